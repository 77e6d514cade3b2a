"""A small town whose citizen requests are loaded through the real connectors (a French
export, Windows-1252, `;`, dd/mm/yyyy): 24 months up to the last complete month, each request
closed after the same number of days, so the median time to close is known in advance."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from pilotis.metrics import periods
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.tenants.factories import TenantFactory, UserFactory

MAPPING = Path(__file__).resolve().parent / "data" / "requests.yaml"
HEADER = ["N° de demande", "État", "Date de la demande", "Date de clôture", "Thème",
          "Service traitant", "Canal"]  # fmt: skip
THEMES = {"VOIRIE": "Voirie", "PROPRETE": "Propreté", "ECLAIRAGE": "Éclairage public"}
CHANNELS = ["Téléphone", "Accueil", "Courriel"]
SERVICES = ["DEP-01", "DEP-02"]
PER_MONTH = 6
# The last complete month: the anchor of every figure read today.
ANCHOR = periods.previous_month_end(date.today())


def export_lines(days: float, months: int = 24) -> list[list[str]]:
    """PER_MONTH requests a month over `months` months up to ANCHOR, each closed `days` days
    after it was made (the last one, made on ANCHOR, is still open)."""
    lines = []
    for back in range(months):
        end = periods.shift_months(ANCHOR, -back)
        for n in range(PER_MONTH):
            made = datetime(end.year, end.month, 1 + 3 * n, 9, 0)
            if back == 0 and n == PER_MONTH - 1:  # the data reach the anchor: its month counts
                made = datetime(end.year, end.month, end.day, 17, 45)
            closed = made + timedelta(days=days)
            is_closed = closed.date() <= ANCHOR
            lines.append(
                [
                    f"D-{end:%Y%m}-{n}",
                    "Clôturée" if is_closed else "En cours",
                    made.strftime("%d/%m/%Y %H:%M"),
                    closed.strftime("%d/%m/%Y %H:%M") if is_closed else "",
                    list(THEMES.values())[n % 3],
                    SERVICES[n % 2],
                    CHANNELS[n % 3],
                ]
            )
    return lines


def write_export(path: Path, days: float) -> Path:
    text = "\r\n".join(";".join(line) for line in [HEADER, *export_lines(days)]) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    return path


def ingest(tenant_code: str, path: Path) -> dict:
    """`pilotis ingest`: the real connectors, and after them the alerts hook."""
    out = StringIO()
    call_command(
        "ingest", "--tenant", tenant_code, "--table", "requests", str(path),
        "--mapping", str(MAPPING), "--json", stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


def make_town(code: str, name: str, **fields):
    from pilotis.referential.models import OrgUnit, Theme

    tenant = TenantFactory(code=code, name=name, **fields)
    for theme, label in THEMES.items():
        Theme.objects.create(tenant=tenant, code=theme, label=label)
    for service in SERVICES:
        OrgUnit.objects.create(tenant=tenant, name=service, code=service, kind=OrgUnit.Kind.SERVICE)
    return tenant


def member(tenant, email: str, role: str = Role.ANALYST):
    user = UserFactory(username=email, email=email)
    Membership.objects.create(user=user, tenant=tenant, role=role)
    return user


@pytest.fixture
def town(db, warehouse):
    """Saint-Malo (35288) and its analyst, no data loaded yet."""
    from pilotis.connectors import pipeline

    pipeline._INDEX.clear()
    tenant = make_town("35288", "Saint-Malo")
    return tenant, member(tenant, "analyste@saint-malo.fr")


@pytest.fixture
def slow(tmp_path) -> Path:
    """The export where every request takes 12 days to close."""
    return write_export(tmp_path / "demandes-lentes.csv", days=12)


@pytest.fixture
def fast(tmp_path) -> Path:
    """The same requests, closed after 2 days (a corrected export: same numbers)."""
    return write_export(tmp_path / "demandes-rapides.csv", days=2)
