"""Online services: the exports go through the connectors; the indicators match the figures
computed by hand; the page and its downloads; rights; the demo generator."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from django.urls import reverse

from pilotis.demo.framework import Territory
from pilotis.demo.generators import online as online_demo
from pilotis.metrics.registry import HEADLINES, MetricError, Query, evaluate, total
from pilotis.online import data as online_data
from pilotis.online import page
from pilotis.tenants.roles import Role
from tests.online.conftest import load_procedures
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

JAN, FEB_END = date(2025, 1, 1), date(2025, 2, 28)


def query(slug, codes=("35288",), start=JAN, end=FEB_END, **kwargs):
    return evaluate(slug, Query(codes, start, end, **kwargs))


def keyed(result):
    return {row["key"]: row["value"] for row in result.rows if not row["total"]}


def login(client, tenant, role):
    user = UserFactory(username=f"{role}@{tenant.code}.fr")
    MembershipFactory(tenant=tenant, role=role, user=user)
    client.force_login(user)


def test_loads_read_equals_loaded_plus_quarantined(procedures):
    """The three broken counter lines are quarantined, every other line loaded."""
    _tenant, (platform, counter) = procedures
    assert (platform.rows_read, platform.rows_loaded, platform.rows_quarantined) == (4, 4, 0)
    assert (counter.rows_read, counter.rows_loaded, counter.rows_quarantined) == (8, 5, 3)


def test_volumes_and_online_share_by_hand(procedures):
    """100 online of 210 procedures: 47.62 %. Civil status 70 of 100 (70 %), enrolment 30 of
    110 (27.27 %); January 40 of 100, February 60 of 110."""
    assert total(query("online.procedures")) == 210
    assert total(query("online.online_share")) == pytest.approx(100 / 210, abs=1e-4)
    assert keyed(query("online.online_share", by="procedure")) == {
        "civil_status": pytest.approx(0.7),
        "school_enrolment": pytest.approx(30 / 110, abs=1e-4),
    }
    assert keyed(query("online.online_share", by="month")) == {
        "2025-01": pytest.approx(0.4),
        "2025-02": pytest.approx(60 / 110, abs=1e-4),
    }
    channels = keyed(query("online.procedures", by="channel"))
    assert channels == {"online": 100, "counter": 60, "mail": 10, "phone": 40}
    assert total(query("online.procedures", filters={"channel": ("phone",)})) == 40
    with pytest.raises(MetricError):
        query("online.procedures", filters={"service": ("X",)})


def test_several_tenants_add_up(procedures, tmp_path):
    other = TenantFactory(code="35049", name="Cancale")
    (tmp_path / "c").mkdir()
    load_procedures(other, tmp_path / "c")
    assert total(query("online.procedures", ("35288", "35049"))) == 420
    assert total(query("online.online_share", ("35288", "35049"))) == pytest.approx(
        100 / 210, abs=1e-4
    )
    assert HEADLINES["online.online_share"].latest(("35288",)) == date(2025, 2, 4)
    assert HEADLINES["online.online_share"].latest(("99999",)) is None


def test_the_page_says_where_to_act(client, procedures):
    """Enrolment (30 % online) is the procedure to act on; the page and downloads answer."""
    tenant, _runs = procedures
    built = page.build(online_data.load((tenant.code,)))
    assert built is not None and [r["procedure"] for r in built.to_act] == [
        page.procedure_label("school_enrolment")
    ]
    login(client, tenant, Role.ELECTED)
    response = client.get(reverse("online:index", args=[tenant.code]))
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.content.decode())
    for slug in ("part-en-ligne", "volume", "tendance", "guichet"):
        assert f'data-chart="{slug}"' in text
    csv = client.get(reverse("online:export-csv", args=[tenant.code, "part-en-ligne"]))
    assert csv.status_code == 200 and ";70" in csv.content.decode("utf-8-sig")
    assert (
        client.get(reverse("online:export-xlsx", args=[tenant.code, "volume"])).status_code == 200
    )
    assert client.get(reverse("online:export-csv", args=[tenant.code, "nope"])).status_code == 404


def test_other_tenant_sees_nothing(client, procedures):
    tenant, _runs = procedures
    other = TenantFactory(code="35049", name="Cancale")
    login(client, other, Role.ADMIN)
    assert client.get(reverse("online:index", args=[tenant.code])).status_code == 404
    login(client, tenant, Role.ELECTED)
    empty = client.get(reverse("online:index", args=[other.code]))
    assert empty.status_code == 404


def test_empty_state(client, db, warehouse):
    tenant = TenantFactory(code="35049", name="Cancale")
    login(client, tenant, Role.ANALYST)
    response = client.get(reverse("online:index", args=[tenant.code]))
    assert response.status_code == 200 and "empty-state" in response.content.decode()


def test_demo_generator_is_fast_with_seasons(db, warehouse, tmp_path):
    """Three years for the EPCI and Saint-Malo in a few seconds; school enrolment peaks in
    spring and the online share rises from the first year to the last."""
    epci = TenantFactory(code="243500782", kind="epci", name="Agglo", population=None)
    saint_malo = TenantFactory(code="35288", name="Saint-Malo", population=47000, parent=epci)
    land = Territory(epci=epci, communes=[saint_malo], folder=tmp_path / "demo")
    generator = online_demo.OnlineGenerator()
    started = time.monotonic()
    generator.load(land, generator.write(land))
    assert time.monotonic() - started < 10
    for run in generator.runs:
        assert run.status == "succeeded", run.error
        assert run.rows_read == run.rows_loaded + run.rows_quarantined
    assert sum(r.rows_quarantined for r in generator.runs) == 4
    first, last = online_demo.period()
    year = last.year - 1
    spring = total(
        query(
            "online.procedures",
            start=date(year, 3, 1),
            end=date(year, 5, 31),
            filters={"procedure": ("school_enrolment",)},
        )
    )
    autumn = total(
        query(
            "online.procedures",
            start=date(year, 10, 1),
            end=date(year, 12, 31),
            filters={"procedure": ("school_enrolment",)},
        )
    )
    assert spring > 3 * autumn
    early = total(query("online.online_share", start=first, end=first.replace(year=first.year + 1)))
    late = total(query("online.online_share", start=last.replace(year=last.year - 1), end=last))
    assert late > early + 0.1
    assert total(query("online.procedures", ("243500782",), first, last)) > 0
