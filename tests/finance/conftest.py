"""A small territory for the finance tests: the agglomeration and three of its communes, with
the demo's finance files written once and loaded through the connectors."""

from __future__ import annotations

from datetime import date

import pytest

from pilotis.demo.framework import Territory
from pilotis.demo.generators import finance as demo
from tests.tenants.factories import TenantFactory

TODAY = date(2026, 9, 15)  # the demo's "today": exercises 2022–2025 closed, 2026 to August


def make_territory(folder) -> Territory:
    epci = TenantFactory(
        code="243500782",
        kind="epci",
        name="Saint-Malo Agglomération",
        population=84000,
        siren="243500782",
    )
    communes = [
        TenantFactory(
            code="35288", name="Saint-Malo", population=46000, parent=epci, siren="213502881"
        ),
        TenantFactory(
            code="35049", name="Cancale", population=5300, parent=epci, siren="213500497"
        ),
        TenantFactory(
            code="35255", name="Saint-Coulomb", population=2600, parent=epci, siren="213502550"
        ),
    ]
    land = Territory(epci=epci, communes=communes, folder=folder)
    (folder / demo.NAME).mkdir(parents=True, exist_ok=True)
    return land


@pytest.fixture
def territory(db, warehouse, tmp_path):
    return make_territory(tmp_path / "demo")


@pytest.fixture
def loaded(territory):
    generator = demo.FinanceGenerator(today=TODAY)
    paths = generator.write(territory)
    generator.summary = generator.load(territory, paths)
    generator.paths = paths
    return generator
