"""A small staff, as a payroll software exports it, loaded through the real connectors.

`SMALL` is a hand-written set of files small enough to compute every figure by hand (see the
docstrings of the tests); `load_hr` writes them in Windows-1252 with `;` and decimal commas and
loads them with the demo mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotis.connectors.models import LoadRun
from pilotis.demo.generators.requests_common import load_source
from pilotis.referential.models import OrgUnit

MAPPINGS = Path(__file__).resolve().parents[2] / "pilotis" / "demo" / "mappings"
HEADERS = {
    "hr_positions": "Matricule;Nom;Prénom;Mois de paie;Code service;Catégorie;Statut;Quotité ETP",
    "hr_absences": "Matricule;Nom;Date début;Date fin;Nb jours ouvrés;Motif",
    "hr_training": "Matricule;Nom;Date de début;Durée (jours);Intitulé",
    "hr_movements": "Matricule;Nom;Date d'effet;Sens;Motif",
}


def _agents() -> list[tuple[str, str, str, str, str]]:
    """(matricule, name, service, category, status): 6 agents in TECH, 2 in CULT."""
    return [
        ("M001", "LE GALL", "TECH", "C", "Titulaire"),
        ("M002", "HAMON", "TECH", "C", "Titulaire"),
        ("M003", "JÉGOU", "TECH", "C", "Contractuel"),
        ("M004", "PRIGENT", "TECH", "B", "Titulaire"),
        ("M005", "MOREL", "TECH", "A", "Stagiaire"),
        ("M006", "RIVIÈRE", "TECH", "C", "Titulaire"),
        ("M007", "BRÉHIER", "CULT", "B", "Titulaire"),
        ("M008", "GUÉRIN", "CULT", "A", "Contractuel"),
    ]


def positions_lines() -> list[str]:
    """January and February 2025: all eight agents, M006 at 80 % (0,8); M008 leaves at the end
    of January (not paid in February); M009 arrives in February in TECH (C, contract)."""
    lines = []
    for month in ("01", "02"):
        for matricule, name, service, category, status in _agents():
            if matricule == "M008" and month == "02":
                continue
            fte = "0,8" if matricule == "M006" else "1"
            lines.append(
                f"{matricule};{name};Anne;28/{month}/2025;{service};{category};{status};{fte}"
            )
    lines.append("M009;ROUX;Yann;28/02/2025;TECH;C;Contractuel;1")
    # Broken: an impossible date and an FTE over 1 — both quarantined.
    lines.append("M010;DURAND;Loïc;30/02/2025;TECH;C;Titulaire;1")
    lines.append("M011;SIMON;Éric;28/02/2025;TECH;C;Titulaire;1,5")
    return lines


ABSENCES = [
    # M001: 5 working days of ordinary sickness, 06/01–10/01 (inside January).
    "M001;LE GALL;06/01/2025;10/01/2025;5;Maladie ordinaire",
    # M002: 30/01–04/02, 4 working days, 6 calendar days: 2 in January, 4 in February.
    "M002;HAMON;30/01/2025;04/02/2025;4;Maladie ordinaire",
    # M007: a work accident, 10 working days in February.
    "M007;BRÉHIER;03/02/2025;14/02/2025;10;Accident de service",
]
TRAINING = [
    "M001;LE GALL;15/01/2025;2;Habilitation électrique",
    "M004;PRIGENT;20/02/2025;1,5;Management",
]
MOVEMENTS = [
    "M008;GUÉRIN;31/01/2025;Départ;Fin de contrat",
    "M009;ROUX;01/02/2025;Arrivée;Recrutement",
]
FILES = {
    "hr_positions": positions_lines,
    "hr_absences": lambda: ABSENCES,
    "hr_training": lambda: TRAINING,
    "hr_movements": lambda: MOVEMENTS,
}


def write(folder: Path, table: str, lines: list[str]) -> Path:
    path = folder / f"{table}.csv"
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write(HEADERS[table] + "\r\n" + "".join(line + "\r\n" for line in lines))
    return path


def services(tenant) -> None:
    OrgUnit.objects.get_or_create(
        tenant=tenant, code="TECH", defaults={"name": "Services techniques"}
    )
    OrgUnit.objects.get_or_create(tenant=tenant, code="CULT", defaults={"name": "Culture"})


def load_hr(tenant, folder: Path) -> dict[str, LoadRun]:
    services(tenant)
    runs = {}
    for table, lines in FILES.items():
        path = write(folder, table, lines())
        mapping = (MAPPINGS / f"{table}.yaml").read_text(encoding="utf-8")
        runs[table] = load_source(tenant, table, table, "file", {"path": str(path)}, mapping)
    return runs


@pytest.fixture
def small_staff(db, warehouse, tmp_path):
    from tests.tenants.factories import TenantFactory

    tenant = TenantFactory(code="35288", name="Saint-Malo", population=47000)
    runs = load_hr(tenant, tmp_path)
    return tenant, runs
