"""The value index and its measured axes; usage adoption measured from the warehouse."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from pilotis.portfolio import adoption, value
from pilotis.portfolio.models import PlanObjective, Project, TargetUsage
from tests.portfolio.builders import _month, write_online_requests
from tests.tenants.factories import TenantFactory


def _project(**fields) -> Project:
    defaults = {"investment": Decimal(0), "running_cost": Decimal(0)}
    defaults.update({k: Decimal(v) if isinstance(v, int) else v for k, v in fields.items()})
    return Project(number="P", title="T", status="idee", **defaults)


@pytest.mark.parametrize(
    ("investment", "business", "it", "running", "mark"),
    [
        (100_000, 30_000, 10_000, 5_000, "A"),  # 35,000 net a year: 2.9 years
        (100_000, 20_000, 5_000, 5_000, "B"),  # 20,000: 5 years
        (100_000, 10_000, 5_000, 2_000, "C"),  # 13,000: 7.7 years
        (100_000, 8_000, 2_000, 0, "D"),  # 10 years
        (100_000, 5_000, 0, 5_000, "D"),  # the gains only cover the running cost
        (0, 1_000, 0, 0, "A"),  # nothing to pay back
    ],
)
def test_return_on_investment_mark(investment, business, it, running, mark):
    project = _project(
        investment=investment, business_gains=business, it_gains=it, running_cost=running
    )
    found, why = value.roi_mark(project)
    assert found == mark
    assert "Business gains" in why or "Gains métier" in why or "gains" in why.lower()


def test_alignment_mark():
    mandate = PlanObjective(plan="mandat", code="M1", title="m")
    master = PlanObjective(plan="sdn", code="S1", title="s")
    assert value.alignment_mark([mandate, master])[0] == "A"
    assert value.alignment_mark([mandate])[0] == "B"
    assert value.alignment_mark([master])[0] == "C"
    assert value.alignment_mark([])[0] == "D"


def test_value_index_is_the_weighted_mean_and_unmarked_counts_as_d():
    grid = value.default_grid()
    project = _project(
        investment=0,
        business_gains=1000,
        value_marks={"necessite": "A", "risques": "B", "agents": "C", "usagers": "A"},
    )
    found = value.value_of(project, grid, objectives=[])
    # Weights 20, 15, 15, 20, 20 (ROI: A), 10 (alignment: D); points 3, 2, 1, 3, 3, 0.
    expected = 100 * (20 * 3 + 15 * 2 + 15 * 1 + 20 * 3 + 20 * 3 + 10 * 0) / (3 * 100)
    assert found.index == pytest.approx(round(expected, 1))
    assert found.complete
    project.value_marks = {"necessite": "A"}
    partial = value.value_of(project, grid, objectives=[])
    assert not partial.complete
    assert partial.index == pytest.approx(round(100 * (60 + 60) / 300, 1))
    # A grid changed by the tenant: only the users' axis weighs.
    for axis in grid["axes"]:
        axis["weight"] = 1 if axis["id"] == "usagers" else 0
    project.value_marks = {"usagers": "B"}
    assert value.value_of(project, grid, objectives=[]).index == pytest.approx(66.7)


@pytest.fixture
def portal(db, warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    project = Project.objects.create(
        tenant=tenant, number="P-1", title="Portail", status="en_cours"
    )
    return tenant, project


def test_share_of_online_requests_month_by_month(portal):
    tenant, project = portal
    shares = write_online_requests(tenant.code)
    today = date.today()
    usage = TargetUsage.objects.create(
        project=project,
        sentence="L'usager fait sa demande en ligne",
        metric="requests.volume_series",
        filters={"channel": ["web", "mobile"]},
        as_share=True,
        target=0.5,
        target_on=today + timedelta(days=200),
        measured_from=_month(today, -6),
    )
    found = adoption.adoption(usage, (tenant.code,), today)
    assert [round(v, 6) for _m, v in found.points] == shares
    assert found.points[0][0] == _month(today, -6)
    assert found.latest == pytest.approx(0.6)
    assert found.state == adoption.State.REACHED and found.delivered
    # A higher target, still far ahead: where the straight line says we should be decides.
    usage.target = 0.9
    found = adoption.adoption(usage, (tenant.code,), today)
    span = (usage.target_on - found.points[0][0]).days
    done = (today - found.points[0][0]).days / span
    assert found.expected_now == pytest.approx(0.1 + (0.9 - 0.1) * done)
    assert found.state == (
        adoption.State.ON_TRACK if 0.6 >= found.expected_now else adoption.State.BEHIND
    )
    # The target date has passed without reaching it: behind.
    usage.target_on = today - timedelta(days=1)
    assert adoption.adoption(usage, (tenant.code,), today).state == adoption.State.BEHIND
    # The raw count (not a share): 10 requests a month, the filter keeps k of them.
    usage.as_share = False
    counts = [v for _m, v in adoption.adoption(usage, (tenant.code,), today).points]
    assert counts == [1, 2, 3, 4, 5, 6]


def test_unmeasured_unknown_and_empty(portal):
    tenant, project = portal
    plain = TargetUsage(project=project, sentence="L'agent travaille en mobilité")
    assert adoption.adoption(plain, (tenant.code,)).state == adoption.State.UNMEASURED
    unknown = TargetUsage(project=project, sentence="x", metric="nothing.here", target=1)
    found = adoption.adoption(unknown, (tenant.code,))
    assert found.state == adoption.State.NO_DATA and "nothing.here" in found.error
    empty = TargetUsage(project=project, sentence="x", metric="requests.volume_series", target=1)
    found = adoption.adoption(empty, (tenant.code,))  # no requests loaded
    assert found.state == adoption.State.NO_DATA


def test_a_metric_without_months_is_measured_month_by_month(portal):
    tenant, project = portal
    write_online_requests(tenant.code)
    usage = TargetUsage(
        project=project,
        sentence="x",
        metric="requests.volume",
        filters={"channel": ["phone"]},
        target=100,
        measured_from=_month(date.today(), -3),
    )
    found = adoption.adoption(usage, (tenant.code,))
    assert [v for _m, v in found.points] == [6, 5, 4]  # 10 − k for k = 4, 5, 6
