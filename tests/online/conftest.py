"""A small set of procedure counts, as the online platform and a counter log export them,
loaded through the real connectors with the demo mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotis.demo.generators.requests_common import load_source

MAPPINGS = Path(__file__).resolve().parents[2] / "pilotis" / "demo" / "mappings"
PLATFORM = [
    # January 2025: 30 civil-status requests and 10 enrolments online; February: 40 and 20.
    "06/01/2025;Demande d'acte d'état civil;30",
    "07/01/2025;Inscription scolaire;10",
    "03/02/2025;Demande d'acte d'état civil;40",
    "04/02/2025;Inscription scolaire;20",
]
COUNTER = [
    # January: 20 civil status at the counter, 30 enrolments at the counter, 10 by mail;
    # February: 10 civil status at the counter, 40 enrolments by phone (110 off-line).
    "06/01/2025;Acte d'état civil;Guichet;20",
    "07/01/2025;Inscription scolaire;Guichet;30",
    "08/01/2025;Inscription scolaire;Courrier;10",
    "03/02/2025;Acte d'état civil;Guichet;10",
    "04/02/2025;Inscription scolaire;Téléphone;40",
    # Broken: an impossible date, a negative count, an unknown channel.
    "31/04/2025;Acte d'état civil;Guichet;5",
    "05/02/2025;Acte d'état civil;Guichet;-2",
    "05/02/2025;Urbanisme;Pigeon voyageur;1",
]


def write(path: Path, header: str, lines: list[str]) -> Path:
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write(header + "\r\n" + "".join(line + "\r\n" for line in lines))
    return path


def load_procedures(tenant, folder: Path):
    platform = write(
        folder / "teleservices.csv", "Date de dépôt;Démarche;Nombre de demandes", PLATFORM
    )
    counter = write(folder / "registre.csv", "Date;Motif;Canal;Nombre", COUNTER)
    runs = []
    for path, mapping, name in (
        (platform, "online_platform.yaml", "demarches-en-ligne"),
        (counter, "online_counter.yaml", "registre-accueil"),
    ):
        text = (MAPPINGS / mapping).read_text(encoding="utf-8")
        runs.append(load_source(tenant, name, name, "file", {"path": str(path)}, text))
    return runs


@pytest.fixture
def procedures(db, warehouse, tmp_path):
    from tests.tenants.factories import TenantFactory

    tenant = TenantFactory(code="35288", name="Saint-Malo", population=47000)
    return tenant, load_procedures(tenant, tmp_path)
