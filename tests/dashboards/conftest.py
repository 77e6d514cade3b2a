"""A small town whose citizen requests were loaded through the real connectors (a French
export file, Windows-1252, `;`, dd/mm/yyyy), and its people: an analyst who builds pages,
another analyst, an elected official who reads them."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.tenants.factories import TenantFactory, UserFactory

MAPPING = Path(__file__).resolve().parent / "data" / "requests.yaml"
THEMES = ["Voirie", "Propreté", "Éclairage public"]
CHANNELS = ["Téléphone", "Accueil", "Courriel"]
SERVICES = ["DEP-01", "DEP-02"]
HEADER = ["N° de demande", "État", "Date de la demande", "Date de clôture", "Thème",
          "Service traitant", "Canal"]  # fmt: skip
ROWS = 240


def export_lines(seed: int = 7) -> list[list[str]]:
    """The export's rows: two years of requests, December 2024 to 30 November 2026, most
    closed."""
    rng = random.Random(seed)
    start = datetime(2024, 12, 1, 8, 0)
    lines = []
    for n in range(ROWS):
        made = start + timedelta(minutes=rng.randrange(0, 729 * 24 * 60))
        if n == ROWS - 1:  # the last day of the export
            made = datetime(2026, 11, 30, 17, 45)
        closed = made + timedelta(hours=rng.randrange(2, 400)) if rng.random() < 0.8 else None
        lines.append(
            [
                f"D-{n:04d}",
                "Clôturée" if closed else rng.choice(["Nouvelle", "En cours"]),
                made.strftime("%d/%m/%Y %H:%M"),
                closed.strftime("%d/%m/%Y %H:%M") if closed else "",
                rng.choice(THEMES),
                rng.choice(SERVICES),
                rng.choice(CHANNELS),
            ]
        )
    return lines


def write_export(path: Path) -> Path:
    text = "\r\n".join(";".join(line) for line in [HEADER, *export_lines()]) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    return path


def ingest(tenant_code: str, path: Path) -> dict:
    out = StringIO()
    call_command(
        "ingest", "--tenant", tenant_code, "--table", "requests", str(path),
        "--mapping", str(MAPPING), "--json", stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


@pytest.fixture
def town(db, warehouse, tmp_path):
    """Saint-Malo (35288) with its requests loaded, and Cancale (35049), another tenant."""
    from pilotis.connectors import pipeline
    from pilotis.referential.models import OrgUnit, Theme

    pipeline._INDEX.clear()
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    for code, label in zip(("VOIRIE", "PROPRETE", "ECLAIRAGE"), THEMES, strict=True):
        Theme.objects.create(tenant=tenant, code=code, label=label)
    for code in SERVICES:
        OrgUnit.objects.create(tenant=tenant, name=code, code=code, kind=OrgUnit.Kind.SERVICE)
    result = ingest(tenant.code, write_export(tmp_path / "export-demandes.csv"))
    assert result["loaded"] == ROWS, result
    return tenant


@pytest.fixture
def people(town):
    other = TenantFactory(code="35049", name="Cancale")
    users = {}
    for key, role, tenant in (
        ("analyst", Role.ANALYST, town),
        ("colleague", Role.ANALYST, town),
        ("elected", Role.ELECTED, town),
        ("other", Role.ANALYST, other),
    ):
        user = UserFactory(username=f"{key}@exemple.fr")
        Membership.objects.create(user=user, tenant=tenant, role=role)
        users[key] = user
    users["other_tenant"] = other
    return users


def english(client):
    """Pages in English: the tests read the msgids, whatever the French catalogue says."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
