"""The HR demo generator: realistic French payroll exports for the agglomeration and its bigger
communes, loaded through the connectors in a few seconds, with the seasons the page shows."""

from __future__ import annotations

import time
from datetime import date

import pytest

from pilotis.demo.framework import Territory
from pilotis.demo.generators import hr
from pilotis.demo.generators.orgchart import OrgChartGenerator
from pilotis.metrics.registry import Query, evaluate, total
from tests.tenants.factories import TenantFactory


@pytest.fixture
def territory(db, warehouse, tmp_path):
    epci = TenantFactory(
        code="243500782", kind="epci", name="Saint-Malo Agglomération", population=None
    )
    communes = [
        TenantFactory(code="35288", name="Saint-Malo", population=47000, parent=epci),
        TenantFactory(code="35049", name="Cancale", population=5300, parent=epci),
        TenantFactory(code="35255", name="Saint-Coulomb", population=2600, parent=epci),
    ]
    land = Territory(epci=epci, communes=communes, folder=tmp_path / "demo")
    for generator in (OrgChartGenerator(), hr.HrGenerator()):
        (land.folder / generator.name).mkdir(parents=True, exist_ok=True)
    OrgChartGenerator().load(land, OrgChartGenerator().write(land))
    return land


def test_demo_staff_is_written_and_loaded_fast(territory):
    """Three years up to last month for the EPCI, Saint-Malo and Cancale (not the small
    commune); every line loaded or quarantined; under 10 s."""
    generator = hr.HrGenerator()
    started = time.monotonic()
    summary = generator.load(territory, generator.write(territory))
    seconds = time.monotonic() - started
    assert seconds < 10, summary
    assert set(generator.staff) == {"243500782", "35288", "35049"}
    for run in generator.runs:
        assert run.status == "succeeded", run.error
        assert run.rows_read == run.rows_loaded + run.rows_quarantined
    quarantined = sum(r.rows_quarantined for r in generator.runs if r.table == "hr_positions")
    assert quarantined == 2 * 3
    first, last = hr.period()
    assert (
        last.day >= 28
        and last < date.today()
        and (last.year * 12 + last.month) - (first.year * 12 + first.month) == hr.MONTHS - 1
    )
    # Saint-Malo: about 21 agents per 1,000 inhabitants; winter sickness above summer's.
    heads = total(evaluate("hr.headcount", Query(("35288",), first, last)))
    assert 850 <= heads <= 1150
    rate = total(evaluate("hr.absence_rate", Query(("35288",), first, last)))
    assert 0.04 <= rate <= 0.12
    winter = total(
        evaluate(
            "hr.absence_days",
            Query(("35288",), date(last.year - 1, 1, 1), date(last.year - 1, 2, 28)),
        )
    )
    summer = total(
        evaluate(
            "hr.absence_days",
            Query(("35288",), date(last.year - 1, 7, 1), date(last.year - 1, 8, 31)),
        )
    )
    assert winter > 1.3 * summer
    turnover = total(
        evaluate(
            "hr.turnover", Query(("35288",), date(last.year - 1, 1, 1), date(last.year - 1, 12, 31))
        )
    )
    assert 0.07 <= turnover <= 0.2
