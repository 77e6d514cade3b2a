import factory
from django.contrib.auth import get_user_model

from pilotis.tenants.models import Membership, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{35000 + n:05d}")
    kind = "commune"
    name = factory.Sequence(lambda n: f"Commune {n}")
    siren = factory.Sequence(lambda n: f"21{350000 + n:07d}")
    population = 5000


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"agent{n}@example.fr")
    email = factory.LazyAttribute(lambda u: u.username)
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = "elected"
