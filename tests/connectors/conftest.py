"""Fixtures of the connector tests: a tenant with a small real referential, and a warehouse in a
temporary folder."""

from datetime import date
from pathlib import Path

import pytest
from django.utils import translation

from pilotis.connectors import pipeline
from pilotis.referential.load import load_snapshot
from pilotis.referential.models import OrgUnit, Theme
from pilotis.referential.snapshot import build_from
from tests.tenants.factories import TenantFactory

PACKAGE = Path(__file__).resolve().parents[1] / "referential" / "data" / "package"


@pytest.fixture(scope="session")
def small_referential(tmp_path_factory) -> Path:
    """Six communes of Ille-et-Vilaine, cut from the real package (see tests/referential)."""
    path = tmp_path_factory.mktemp("snapshot") / "cog.json.gz"
    build_from(PACKAGE, path, built_on=date(2026, 1, 1))
    return path


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English here (French is checked where users read it)."""
    with translation.override("en"):
        yield


@pytest.fixture
def warehouse(settings, tmp_path):
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    settings.VAR_DIR = tmp_path
    return settings.WAREHOUSE_DIR


@pytest.fixture
def commune(db, small_referential, warehouse):
    """Saint-Malo as a tenant, the six communes of the small referential, two services and
    three themes."""
    load_snapshot(small_referential)
    pipeline._INDEX.clear()
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    OrgUnit.objects.create(tenant=tenant, name="Voirie", code="VOI", kind=OrgUnit.Kind.SERVICE)
    OrgUnit.objects.create(tenant=tenant, name="Propreté", code="PRO", kind=OrgUnit.Kind.SERVICE)
    for code, label in (("voirie", "Voirie"), ("proprete", "Propreté"), ("bruit", "Bruit")):
        Theme.objects.create(tenant=tenant, code=code, label=label)
    return tenant
