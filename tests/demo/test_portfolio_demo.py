"""The demo portfolio, on the agglomeration cut to three communes (Saint-Malo, Cancale, La
Fresnais) of the small referential: no requests generated, only the portfolio rows — what the
prioritisation and the adoption pages will show must be there and make sense."""

from collections import Counter
from datetime import date

import pytest

from pilotis.demo.framework import DEMO_EPCI_SIREN, GENERATORS, Territory
from pilotis.demo.generators import portfolio as demo
from pilotis.demo.generators.requests_common import REFERENCE_DATE
from pilotis.metrics import registry
from pilotis.portfolio.models import (
    OPEN_STATUSES,
    ChangeAction,
    Milestone,
    PlanObjective,
    Project,
    ProjectYear,
    Risk,
    Status,
    TargetUsage,
    YearBudget,
)
from pilotis.portfolio.prioritise import Candidate, Capacity, WhatIf, solve
from pilotis.portfolio.value import MARKS, default_grid, value_of
from pilotis.referential.load import load_snapshot
from pilotis.requests.data import DIMENSIONS
from pilotis.tenants.models import Tenant
from pilotis.tenants.services import create_tenant

MODELS = (PlanObjective, Project, ProjectYear, Milestone, Risk, ChangeAction, TargetUsage)


@pytest.fixture
def territory(db, small_snapshot_path, tmp_path):
    load_snapshot(small_snapshot_path)
    epci = create_tenant(DEMO_EPCI_SIREN)
    return Territory(
        epci=epci, communes=list(epci.members.order_by("code")), folder=tmp_path / "demo"
    )


def _run(territory: Territory) -> str:
    generator = demo.PortfolioGenerator()
    return generator.load(territory, generator.write(territory))


def _counts() -> tuple[int, ...]:
    links = (Project.depends_on.through, Project.objectives.through)
    return (*(m.objects.count() for m in (*MODELS, YearBudget, *links)),)


def _demand(tenant: Tenant) -> dict[int, tuple[float, int]]:
    out: dict[int, tuple[float, int]] = {}
    for line in ProjectYear.objects.filter(
        project__tenant=tenant, project__status__in=OPEN_STATUSES
    ):
        cost, staff = out.get(line.year, (0.0, 0))
        out[line.year] = (cost + float(line.cost), staff + line.staff_days)
    return out


def test_registered_after_the_org_charts_and_the_requests():
    assert GENERATORS[demo.NAME] is demo.PortfolioGenerator
    before = ("organigramme", "gru-accueil", "formulaires-web", "appli-mobile", "stationnement")
    assert all(GENERATORS[name].order < demo.PortfolioGenerator.order for name in before)


def test_portfolio_counts_and_idempotence(territory):
    summary = _run(territory)
    assert "15 à Saint-Malo" in summary and "4 à Cancale" in summary
    saint_malo = Tenant.objects.get(code=demo.SAINT_MALO)
    cancale = Tenant.objects.get(code=demo.CANCALE)
    epci = territory.epci
    assert Project.objects.filter(tenant=saint_malo).count() == 15
    assert Project.objects.filter(tenant=epci).count() == 6
    assert Project.objects.filter(tenant=cancale).count() == 4
    # La Fresnais, a member without a portfolio, gets none.
    assert not Project.objects.exclude(tenant__in=[saint_malo, cancale, epci]).exists()
    for tenant in (saint_malo, epci, cancale):
        plans = Counter(PlanObjective.objects.filter(tenant=tenant).values_list("plan", flat=True))
        assert plans[PlanObjective.Plan.MANDATE] >= 3 and plans[PlanObjective.Plan.IT_MASTER] >= 2
        assert sorted(YearBudget.objects.filter(tenant=tenant).values_list("year", flat=True)) == [
            2026,
            2027,
            2028,
            2029,
        ]
    statuses = set(Project.objects.filter(tenant=saint_malo).values_list("status", flat=True))
    assert statuses == {
        Status.IDEA,
        Status.STUDY,
        Status.PLANNED,
        Status.IN_PROGRESS,
        Status.DONE,
        Status.SUSPENDED,
    }
    for project in Project.objects.all():
        assert 2 <= project.milestones.count() <= 4, project
        assert 1 <= project.risks.count() <= 3, project
        assert 1 <= project.usages.count() <= 3, project
        assert project.objectives.exists(), project
        assert 0 < project.investment <= 400_000, project
    assert ChangeAction.objects.filter(progress=100).exists()
    assert ChangeAction.objects.filter(progress__gt=0, progress__lt=100).exists()
    assert Milestone.objects.filter(done_on__isnull=False).exists()
    assert all(m.done_on <= REFERENCE_DATE for m in Milestone.objects.exclude(done_on=None))
    assert Project.objects.filter(business_gains=0, it_gains=0).exists()  # no measured gain

    counts = _counts()
    budgets = YearBudget.objects.order_by("tenant", "year").values_list("budget", "staff_days")
    before = list(budgets)
    marks = list(Project.objects.order_by("id").values_list("value_marks", flat=True))
    assert _run(territory) == summary
    assert _counts() == counts
    assert list(budgets.all()) == before
    assert list(Project.objects.order_by("id").values_list("value_marks", flat=True)) == marks


def test_open_projects_have_year_lines(territory):
    _run(territory)
    saint_malo = Tenant.objects.get(code=demo.SAINT_MALO)
    for project in Project.objects.filter(tenant__in=Tenant.objects.all()):
        years = list(project.years.values_list("year", flat=True))
        if project.status not in OPEN_STATUSES:
            assert years == [], project
            continue
        assert years, project
        first = max(2026, project.start.year)
        assert years == list(range(first, 2030)), project  # building, then running
        for line in project.years.all():
            assert 20 <= line.staff_days <= 300, (project, line.year)
            assert line.cost >= 0
    open_saint_malo = Project.objects.filter(tenant=saint_malo, status__in=OPEN_STATUSES)
    assert open_saint_malo.count() >= 12
    assert all(p.years.exists() for p in open_saint_malo)
    # The investment over the build days, then the running cost: P-04 is built in 2027.
    app = open_saint_malo.get(number="P-04")
    lines = {y.year: float(y.cost) for y in app.years.all()}
    assert lines[2027] == pytest.approx(70_000 + 15_000 * 63 / 365, abs=1)
    assert lines[2028] == lines[2029] == 15_000


def _committed(project: Project) -> bool:
    return project.mandatory or project.status == Status.IN_PROGRESS


def test_budgets_cover_what_is_committed_and_force_a_choice(territory):
    _run(territory)
    for tenant in (territory.epci, *Tenant.objects.filter(code__in=demo_codes())):
        demand = _demand(tenant)
        committed: dict[int, tuple[float, int]] = {}
        for line in ProjectYear.objects.filter(
            project__tenant=tenant, project__status__in=OPEN_STATUSES
        ).select_related("project"):
            if _committed(line.project):
                cost, staff = committed.get(line.year, (0.0, 0))
                committed[line.year] = (cost + float(line.cost), staff + line.staff_days)
        total_budget = total_demand = 0.0
        for budget in YearBudget.objects.filter(tenant=tenant):
            cost, staff = demand[budget.year]
            must_cost, must_staff = committed.get(budget.year, (0.0, 0))
            assert float(budget.budget) >= must_cost and budget.staff_days >= must_staff
            if cost - must_cost > 5_000:  # something new asks for money: not all of it
                assert float(budget.budget) < cost, (tenant, budget.year)
            total_budget += float(budget.budget)
            total_demand += cost
        assert 0.6 <= total_budget / total_demand <= 0.92, tenant
    # Saint-Malo and the agglomeration: well short of the demand from 2027 on.
    for tenant in (territory.epci, Tenant.objects.get(code=demo.SAINT_MALO)):
        demand = _demand(tenant)
        for budget in YearBudget.objects.filter(tenant=tenant, year__gte=2027):
            assert float(budget.budget) / demand[budget.year][0] <= 0.75, (tenant, budget.year)


def test_the_prioritisation_keeps_what_is_under_way_and_chooses_among_the_rest(territory):
    _run(territory)
    grid = default_grid()
    for tenant in (territory.epci, *Tenant.objects.filter(code__in=demo_codes())):
        projects = list(
            Project.objects.filter(tenant=tenant, status__in=OPEN_STATUSES).prefetch_related(
                "objectives", "years", "depends_on"
            )
        )
        candidates = [
            Candidate(
                id=p.pk,
                value=value_of(p, grid).index,
                costs={y.year: float(y.cost) for y in p.years.all()},
                staff={y.year: float(y.staff_days) for y in p.years.all()},
                mandatory=p.mandatory,
                depends_on=tuple(d.pk for d in p.depends_on.all() if d.status in OPEN_STATUSES),
            )
            for p in projects
        ]
        capacities = [
            Capacity(b.year, float(b.budget), float(b.staff_days))
            for b in YearBudget.objects.filter(tenant=tenant)
        ]
        found = solve(candidates, capacities, WhatIf())
        assert found.feasible, tenant
        assert {p.pk for p in projects if _committed(p)} <= found.chosen, tenant
        assert {p.pk for p in projects} - found.chosen, tenant  # something is left out


def demo_codes() -> tuple[str, str]:
    return (demo.SAINT_MALO, demo.CANCALE)


def test_late_dependent_and_mandatory_projects(territory):
    _run(territory)
    for code in demo_codes():
        projects = list(Project.objects.filter(tenant__code=code).prefetch_related("milestones"))
        assert any(p.is_late(REFERENCE_DATE) for p in projects), code
        assert any(p.is_late() for p in projects), code
        assert any(p.mandatory and p.status in OPEN_STATUSES for p in projects), code
        assert any(p.depends_on.exists() for p in projects), code
    saint_malo = Project.objects.filter(tenant__code=demo.SAINT_MALO)
    portal = saint_malo.get(number="P-03")
    assert list(portal.depends_on.values_list("number", flat=True)) == ["P-01"]
    # Late both ways: past its end (P-02), or a milestone past due (P-05).
    rgaa = saint_malo.get(number="P-02")
    assert rgaa.mandatory and rgaa.end < REFERENCE_DATE and rgaa.status == Status.IN_PROGRESS
    grc = saint_malo.get(number="P-05")
    assert grc.end > REFERENCE_DATE and grc.is_late(REFERENCE_DATE)
    # Dependencies stay within a tenant.
    for project in Project.objects.all():
        assert all(d.tenant_id == project.tenant_id for d in project.depends_on.all())


def test_usages_name_registered_metrics(territory):
    _run(territory)
    measured = TargetUsage.objects.exclude(metric="")
    assert measured.filter(as_share=True).count() >= 2
    assert measured.filter(metric="requests.on_time_rate").exists()
    assert TargetUsage.objects.filter(metric="").count() > measured.count()
    for usage in measured:
        metric = registry.get(usage.metric)
        assert metric.domain == "requests"
        assert set(usage.filters) <= set(DIMENSIONS), usage
        assert usage.target is not None and 0 < usage.target < 1, usage
        assert usage.target_on is not None and usage.target_on.year in (2027, 2028)
        assert usage.measured_from is not None
        assert date(2024, 1, 1) <= usage.measured_from < REFERENCE_DATE
        if usage.as_share:
            assert usage.filters, usage  # a share of the whole needs a filtered part
    online = measured.get(project__tenant__code=demo.SAINT_MALO, project__number="P-03")
    assert online.filters == {"channel": ["web", "mobile"]} and online.target == 0.55


def test_value_marks_on_known_axes(territory):
    _run(territory)
    grid = default_grid()
    marked_axes = {a["id"] for a in grid["axes"] if not a.get("computed")}
    assert marked_axes == set(demo.MARKED_AXES)
    unmarked = 0
    for project in Project.objects.prefetch_related("objectives"):
        assert set(project.value_marks) <= marked_axes, project
        assert all(mark in MARKS for mark in project.value_marks.values()), project
        assert set(project.value_notes) <= set(project.value_marks), project
        if not project.value_marks:
            unmarked += 1
        value = value_of(project, grid)
        assert 0 <= value.index <= 100
        assert value.complete == (set(project.value_marks) == marked_axes)
    assert 1 <= unmarked <= 3
    assert Project.objects.filter(tenant__code=demo.SAINT_MALO, value_marks={}).count() == 1
