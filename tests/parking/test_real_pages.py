"""The parking page on each real sample, loaded through its mapping: it shows what the data
allows and says what is missing."""

from __future__ import annotations

import pytest
from django.utils import translation

from pilotis.parking import data as parking_data
from pilotis.parking import page, simulate
from tests.parking.test_real_samples import CHARLOTTESVILLE, MONTPELLIER, ingest, read_csv


@pytest.fixture
def tenant(db, warehouse):
    from tests.tenants.factories import TenantFactory

    return TenantFactory(code="35288", name="Saint-Malo")


def built(tenant):
    with translation.override("en"):
        data = parking_data.load((tenant.code,))
        return data, page.build(data)


def test_charlottesville_shows_revenue_and_says_occupancy_needs_capacity(tenant):
    ingest(tenant, "charlottesville.yaml")
    data, shown = built(tenant)
    source = read_csv(CHARLOTTESVILLE)
    source["total"] = source["total"].astype(float)
    # Revenue of the last twelve months of data = all of the pilot (ten weeks).
    assert shown.facts["revenue"] == pytest.approx(source["total"].sum(), abs=0.01)
    paid = source[(source["total"] > 0) & (source["totalparkingtime"] != "00:00:00")]
    assert shown.facts["sessions"] == len(paid)
    slugs = {c.slug for c in shown.charts}
    assert {"recettes", "zones"} <= slugs and "occupation-weekday" not in slugs
    text = " ".join(shown.missing)
    for expected in (
        "No parking zones table",
        "no capacity",
        "No occupancy readings",
        "No tariff grid",
        "No post-parking fines",
    ):
        assert expected in text
    assert shown.facts["occupancy"] is None
    assert simulate.baseline(data) is None  # no grid: the simulator says it cannot run


def test_montpellier_shows_occupancy_of_each_car_park(tenant):
    ingest(tenant, "montpellier.yaml")
    data, shown = built(tenant)
    source = read_csv(MONTPELLIER)
    slugs = {c.slug for c in shown.charts}
    assert {"occupation-weekday", "occupation-saturday", "zones"} <= slugs
    assert "recettes" not in slugs
    assert shown.facts["revenue"] == 0 and shown.facts["occupancy"] is not None
    heat = next(c for c in shown.charts if c.slug == "occupation-weekday")
    assert {r[0] for r in heat.rows} == set(source["nombre_parking"])
    # Capacity comes from the readings; the stuck counter of Gaumont OUEST reads 98 %.
    zones = next(c for c in shown.charts if c.slug == "zones")
    gaumont = next(r for r in zones.rows if r[0] == "Gaumont OUEST")
    assert gaumont[6] == pytest.approx(98.0, abs=0.1)
    text = " ".join(shown.missing)
    assert "No payment transactions" in text and "No tariff grid" in text
    assert "No occupancy readings" not in text


def test_sfpark_shows_entries_by_garage(tenant):
    ingest(tenant, "sfpark.yaml")
    _data, shown = built(tenant)
    slugs = {c.slug for c in shown.charts}
    assert "entrees" in slugs and "occupation-weekday" not in slugs
    flows = next(c for c in shown.charts if c.slug == "entrees")
    assert sum(r[2] for r in flows.rows) == shown.facts["entries"] > 0
    assert "No occupancy readings" in " ".join(shown.missing)
