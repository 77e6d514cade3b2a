"""The parking analysis on the demo's two years, loaded through the connectors exactly as
`pilotis demo` loads them: the elasticities the demo was drawn with are recovered (±10 %), the
periphery — whose price never changed — falls back to the labelled reference, and the simulator
and the optimiser run on the result."""

from __future__ import annotations

import pytest

from pilotis.connectors import pipeline
from pilotis.demo.framework import Territory
from pilotis.demo.generators import parking as demo
from pilotis.parking import data as parking_data
from pilotis.parking import elasticity, optimise, page, simulate
from pilotis.referential.load import load_snapshot
from tests.tenants.factories import TenantFactory


@pytest.fixture
def demo_data(db, small_snapshot_path, warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "WINDOW", None)  # the full two years
    load_snapshot(small_snapshot_path)
    pipeline._INDEX.clear()
    tenant = TenantFactory(code=demo.SAINT_MALO, name="Saint-Malo")
    territory = Territory(epci=tenant, communes=[tenant], folder=tmp_path / "demo")
    generator = demo.ParkingGenerator()
    generator.load(territory, generator.write(territory))
    return parking_data.load((tenant.code,))


def test_the_demo_elasticities_are_recovered(demo_data):
    occupancy = elasticity.occupancy_elasticities(demo_data)
    for kind in ("hyper_centre", "centre", "residential"):
        found = occupancy[kind]
        assert found.estimated, kind
        assert found.value == pytest.approx(demo.OCCUPANCY_ELASTICITY, rel=0.10), kind
        assert found.low < demo.OCCUPANCY_ELASTICITY < found.high, kind
    assert occupancy["periphery"].source == "reference"
    durations = elasticity.duration_elasticities(demo_data)
    for kind in ("hyper_centre", "centre"):
        assert durations[kind].value == pytest.approx(demo.DURATION_ELASTICITY, rel=0.10), kind
    # Residential streets (28 spaces) give fewer stays: a wider interval, holding the truth.
    residential = durations["residential"]
    assert residential.estimated and residential.low < demo.DURATION_ELASTICITY < residential.high
    assert durations["periphery"].source == "assumed"

    built = page.build(demo_data)
    assert not built.missing  # the demo has every table
    base = simulate.baseline(demo_data)
    proposal = optimise.optimise(base)
    totals = proposal.prediction.totals
    assert proposal.feasible and totals["income_predicted"] >= 0.95 * totals["income_today"] - 1
    assert totals["in_target_predicted"] > totals["in_target_today"]
