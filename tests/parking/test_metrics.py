"""The parking indicators in the metrics registry: the figure the API and `pilotis kpi` give is
the page's, recomputed here from the raw frames."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pilotis.metrics.registry import MetricError, Query, all_metrics, evaluate
from tests.parking.conftest import START, town, write_town
from tests.tenants.factories import TenantFactory


@pytest.fixture
def tenant(db, warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    small = town(days=30)
    write_town(tenant.code, small)
    return tenant, small


def query(code, **kwargs):
    return Query((code,), START, START + timedelta(days=29), **kwargs)


def test_parking_metrics_are_registered_with_units():
    slugs = {m.slug: m for m in all_metrics("parking")}
    assert {
        "parking.revenue",
        "parking.occupancy",
        "parking.saturation",
        "parking.fine_rate",
    } <= set(slugs)
    assert slugs["parking.revenue"].unit == "euros"
    assert slugs["parking.saturation"].higher_is_better is False


def test_revenue_by_zone_adds_up_to_the_payments(tenant):
    code, small = tenant[0].code, tenant[1]
    rows = evaluate("parking.revenue", query(code, by="zone")).rows
    total = rows[0]
    assert total["total"] and total["value"] == pytest.approx(small.payments["amount"].sum())
    by_zone = {r["key"]: r["value"] for r in rows[1:]}
    expected = small.payments.groupby("zone_code")["amount"].sum()
    assert by_zone == pytest.approx(expected.to_dict())
    filtered = evaluate("parking.revenue", query(code, filters={"zone": ("A",)})).rows[0]
    assert filtered["value"] == pytest.approx(expected["A"])


def test_fine_rate_and_unknown_filters(tenant):
    code, small = tenant[0].code, tenant[1]
    rate = evaluate("parking.fine_rate", query(code)).rows[0]["value"]
    assert rate == pytest.approx(100 * len(small.fines) / len(small.payments), abs=0.01)
    with pytest.raises(MetricError):
        evaluate("parking.revenue", query(code, filters={"channel": ("web",)}))
    with pytest.raises(MetricError):
        evaluate("parking.revenue", query(code, by="category"))
