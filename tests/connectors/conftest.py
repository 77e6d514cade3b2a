"""Fixtures of the connector tests: a tenant with a small real referential, and a warehouse in a
temporary folder."""

import pytest
from django.utils import translation

from pilotis.connectors import pipeline
from pilotis.referential.load import load_snapshot
from pilotis.referential.models import OrgUnit, Theme
from tests.tenants.factories import TenantFactory


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English here (French is checked where users read it)."""
    with translation.override("en"):
        yield


@pytest.fixture
def commune(db, small_snapshot_path, warehouse):
    """Saint-Malo as a tenant, the six communes of the small referential, two services and
    three themes."""
    load_snapshot(small_snapshot_path)
    pipeline._INDEX.clear()
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    OrgUnit.objects.create(tenant=tenant, name="Voirie", code="VOI", kind=OrgUnit.Kind.SERVICE)
    OrgUnit.objects.create(tenant=tenant, name="Propreté", code="PRO", kind=OrgUnit.Kind.SERVICE)
    for code, label in (("voirie", "Voirie"), ("proprete", "Propreté"), ("bruit", "Bruit")):
        Theme.objects.create(tenant=tenant, code=code, label=label)
    return tenant
