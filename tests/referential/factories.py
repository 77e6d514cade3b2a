import factory

from pilotis.referential.models import OrgUnit, Theme
from tests.tenants.factories import TenantFactory


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    kind = OrgUnit.Kind.SERVICE
    code = ""


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"theme-{n}")
    label = factory.Sequence(lambda n: f"Thème {n}")
