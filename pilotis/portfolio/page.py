"""What the portfolio pages show, computed once per request: each project with its value,
adoption and lateness; the action plan's table (the columns authorities exchange); the charts
(roadmap as a Gantt, value ranking, budget use, adoption over time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from pilotis.metrics import charts
from pilotis.metrics.charts import Chart
from pilotis.metrics.registry import METRICS
from pilotis.portfolio import adoption as adoption_mod
from pilotis.portfolio import value as value_mod
from pilotis.portfolio.models import (
    OPEN_STATUSES,
    Milestone,
    Project,
    ProjectYear,
    Status,
    TargetUsage,
    YearBudget,
)
from pilotis.portfolio.prioritise import Candidate, Capacity, Selection, WhatIf, solve
from pilotis.tenants.access import data_scope
from pilotis.tenants.models import Tenant

STATE_COLOURS = {
    Status.IDEA: charts.PALETTE[7],
    Status.STUDY: charts.PALETTE[4],
    Status.PLANNED: charts.PALETTE[0],
    Status.IN_PROGRESS: charts.PALETTE[1],
    Status.DONE: charts.PALETTE[2],
    Status.SUSPENDED: charts.PALETTE[5],
    Status.ABANDONED: charts.MUTED,
}


def state_label(state: str) -> str:
    return {
        adoption_mod.State.REACHED: _("reached"),
        adoption_mod.State.ON_TRACK: _("on track"),
        adoption_mod.State.BEHIND: _("behind"),
        adoption_mod.State.NO_DATA: _("no data yet"),
        adoption_mod.State.UNMEASURED: _("not measured"),
    }[state]


def euros(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.0f} €".replace(",", "\u202f")


def figure(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("ratio", "percent") and abs(value) <= 1.5:
        return f"{100 * value:.1f} %".replace(".", ",")
    if unit == "days":
        return _("%(n)s days") % {"n": f"{value:.1f}".replace(".", ",")}
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",").removesuffix(",0")


@dataclass
class ProjectView:
    project: Project
    value: value_mod.Value
    adoptions: list[adoption_mod.Adoption]
    late: bool
    years: list[ProjectYear] = field(default_factory=list)

    @property
    def total_budget(self) -> Decimal:
        from_years = sum((y.cost for y in self.years), Decimal(0))
        return from_years or self.project.investment

    @property
    def usage_summary(self) -> dict[str, Any]:
        return adoption_mod.summary(self.adoptions)

    @property
    def indicators(self) -> list[str]:
        out = []
        for a in self.adoptions:
            metric = METRICS.get(a.usage.metric)
            if metric is not None:
                out.append(str(metric.label))
        return list(dict.fromkeys(out))


def projects_of(tenant: Tenant, *, measure: bool = True) -> list[ProjectView]:
    """Every project of the tenant, with what the pages show of it."""
    grid = value_mod.grid_of(tenant.pk)
    today = date.today()
    codes = data_scope(tenant)
    queryset = Project.objects.filter(tenant=tenant).prefetch_related(
        "objectives",
        "years",
        Prefetch("milestones", queryset=Milestone.objects.order_by("planned_on")),
        Prefetch("usages", queryset=TargetUsage.objects.order_by("id")),
        "depends_on",
    )
    out = []
    for project in queryset:
        usages = list(project.usages.all())
        adoptions = (
            [adoption_mod.adoption(u, codes, today) for u in usages]
            if measure
            else [adoption_mod.Adoption(u, adoption_mod.State.UNMEASURED) for u in usages]
        )
        out.append(
            ProjectView(
                project,
                value_mod.value_of(project, grid, list(project.objectives.all())),
                adoptions,
                project.is_late(today),
                list(project.years.all()),
            )
        )
    return out


def action_plan(views: list[ProjectView]) -> tuple[list[str], list[list[Any]]]:
    """The action plan as authorities exchange it (one row per project)."""
    columns = [
        _("Number"),
        _("Title"),
        _("Categories"),
        _("Description"),
        pgettext("project", "Status"),
        _("Late"),
        _("Lead service"),
        _("Referent person"),
        _("IT project lead"),
        _("Referent elected official"),
        _("Sponsor"),
        _("Partners"),
        _("Total budget (€)"),
        _("Start"),
        _("End"),
        _("Linked indicators"),
        _("Value index"),
        _("Usages reached"),
    ]
    rows = []
    for v in views:
        p = v.project
        usage = v.usage_summary
        rows.append(
            [
                p.number,
                p.title,
                ", ".join(p.categories),
                p.description,
                p.get_status_display(),
                _("yes") if v.late else _("no"),
                p.lead_service,
                p.business_lead,
                p.it_lead,
                p.referent_elected,
                p.sponsor,
                p.partners,
                float(v.total_budget),
                p.start,
                p.end,
                ", ".join(v.indicators),
                v.value.index,
                f"{usage['reached']}/{usage['measured']}" if usage["measured"] else "—",
            ]
        )
    return columns, rows


# --- prioritisation ------------------------------------------------------------------------


def candidates(views: list[ProjectView]) -> list[Candidate]:
    """The projects still to choose (not done, not abandoned), for the optimiser. A project
    that depends on an abandoned one cannot be chosen: it is left out by `blocked`."""
    open_ids = {v.project.pk for v in views if v.project.status in OPEN_STATUSES}
    out = []
    for v in views:
        p = v.project
        if p.pk not in open_ids:
            continue
        out.append(
            Candidate(
                id=p.pk,
                value=v.value.index,
                costs={y.year: float(y.cost) for y in v.years},
                staff={y.year: float(y.staff_days) for y in v.years},
                # Under way counts as committed: kept unless the what-if leaves it out.
                mandatory=p.mandatory or p.status == Status.IN_PROGRESS,
                depends_on=tuple(d.pk for d in p.depends_on.all() if d.pk in open_ids),
            )
        )
    return out


def blocked(views: list[ProjectView]) -> frozenset[int]:
    """Open projects that need an abandoned project: they cannot be done."""
    return frozenset(
        v.project.pk
        for v in views
        if v.project.status in OPEN_STATUSES
        and any(d.status == Status.ABANDONED for d in v.project.depends_on.all())
    )


def capacities(tenant: Tenant) -> list[Capacity]:
    return [
        Capacity(b.year, float(b.budget), float(b.staff_days))
        for b in YearBudget.objects.filter(tenant=tenant).order_by("year")
    ]


@dataclass
class Prioritised:
    selection: Selection
    baseline: Selection
    what_if: WhatIf
    capacities: list[Capacity]
    candidates: list[Candidate]
    views: list[ProjectView]

    @property
    def added(self) -> list[ProjectView]:
        ids = self.selection.chosen - self.baseline.chosen
        return [v for v in self.views if v.project.pk in ids]

    @property
    def removed(self) -> list[ProjectView]:
        ids = self.baseline.chosen - self.selection.chosen
        return [v for v in self.views if v.project.pk in ids]

    def chosen_views(self) -> list[ProjectView]:
        return [v for v in self.views if v.project.pk in self.selection.chosen]

    def left_views(self) -> list[ProjectView]:
        ids = {c.id for c in self.candidates} - self.selection.chosen
        return [v for v in self.views if v.project.pk in ids]


def prioritise(tenant: Tenant, views: list[ProjectView], what_if: WhatIf) -> Prioritised:
    caps = capacities(tenant)
    found = candidates(views)
    cannot = blocked(views)
    base_if = WhatIf(exclude=cannot)
    real_if = WhatIf(
        what_if.budget_percent,
        what_if.staff_percent,
        what_if.force - cannot,
        what_if.exclude | cannot,
    )
    baseline = solve(found, caps, base_if)
    selection = baseline if real_if == base_if else solve(found, caps, real_if)
    return Prioritised(selection, baseline, real_if, caps, found, views)


# --- charts --------------------------------------------------------------------------------


def _label(p: Project) -> str:
    return f"{p.number} {p.title}"


def gantt_chart(views: list[ProjectView], chosen: frozenset[int] | None = None) -> Chart:
    """The roadmap: each dated project as a bar from its start to its end, its milestones as
    diamonds, today as a line; with `chosen`, what the prioritisation keeps is in colour."""
    dated = [v for v in views if v.project.start and v.project.end]
    dated.sort(key=lambda v: (v.project.start, v.project.number))
    title = _("Roadmap") if chosen is not None else _("Projects over time")
    rows: list[list[Any]] = []
    data: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    for v in dated:
        p = v.project
        assert p.start is not None and p.end is not None  # noqa: S101 - dated above
        kept = chosen is None or p.pk in chosen or p.status == Status.DONE
        group = (
            p.get_status_display()
            if chosen is None
            else (_("kept") if kept else _("not kept this time"))
        )
        data.append(
            {
                "projet": _label(p),
                "debut": p.start.isoformat(),
                "fin": p.end.isoformat(),
                "groupe": group,
                "retard": _("late") if v.late else "",
            }
        )
        for m in p.milestones.all():
            marks.append({"projet": _label(p), "jalon": m.title, "date": m.planned_on.isoformat()})
        rows.append(
            [
                _label(p),
                date_format(p.start, "SHORT_DATE_FORMAT"),
                date_format(p.end, "SHORT_DATE_FORMAT"),
                group,
                _("yes") if v.late else _("no"),
            ]
        )
    if chosen is None:
        domain = [str(s.label) for s in Status if any(v.project.status == s for v in dated)]
        colours = [STATE_COLOURS[s] for s in Status if any(v.project.status == s for v in dated)]
    else:
        domain, colours = [_("kept"), _("not kept this time")], [charts.PALETTE[0], "#b8b8b8"]
    y = {"field": "projet", "type": "nominal", "sort": None, "title": None}
    spec = charts.base(
        title,
        data,
        height=max(140, 24 * len(dated)),
        layer=[
            {
                "mark": {"type": "bar", "cornerRadius": 2, "height": 14},
                "encoding": {
                    "y": y,
                    "x": {"field": "debut", "type": "temporal", "title": None},
                    "x2": {"field": "fin"},
                    "color": {
                        "field": "groupe",
                        "type": "nominal",
                        "title": pgettext("project", "Status") if chosen is None else None,
                        "scale": {"domain": domain, "range": colours},
                    },
                    "tooltip": [
                        {"field": "projet", "title": _("Project")},
                        {"field": "debut", "type": "temporal", "title": _("Start")},
                        {"field": "fin", "type": "temporal", "title": _("End")},
                        {"field": "groupe", "title": pgettext("project", "Status")},
                        {"field": "retard", "title": _("Late")},
                    ],
                },
            },
            {
                "data": {"values": marks},
                "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 60},
                "encoding": {
                    "y": y,
                    "x": {"field": "date", "type": "temporal"},
                    "color": {"value": "#1e1e1e"},
                    "tooltip": [
                        {"field": "jalon", "title": _("Milestone")},
                        {"field": "date", "type": "temporal", "title": _("Date")},
                    ],
                },
            },
            {
                "data": {"values": [{"today": date.today().isoformat()}]},
                "mark": {"type": "rule", "color": charts.ACCENT, "strokeDash": [4, 3]},
                "encoding": {"x": {"field": "today", "type": "temporal"}},
            },
        ],
    )
    late = sum(1 for v in dated if v.late)
    summary = _(
        "%(n)s dated projects from their planned start to their planned end; %(late)s are "
        "late. Diamonds are milestones, the dashed line is today."
    ) % {"n": len(dated), "late": late}
    return Chart(
        "feuille-de-route" if chosen is not None else "calendrier",
        title,
        summary,
        [_("Project"), _("Start"), _("End"), pgettext("project", "Status"), _("Late")],
        rows,
        spec,
        empty=not dated,
    )


def value_chart(views: list[ProjectView]) -> Chart:
    ranked = sorted(views, key=lambda v: (-v.value.index, v.project.number))
    data = [{"projet": _label(v.project), "valeur": v.value.index} for v in ranked]
    spec = charts.bar(
        _("Value index"),
        data,
        x="valeur",
        y="projet",
        x_title=_("Value index (0–100)"),
        y_title=_("Project"),
        value_format=",.1f",
    )
    best = ranked[0] if ranked else None
    summary = (
        _("Projects ranked by value index; first: %(first)s (%(value)s).")
        % {"first": _label(best.project), "value": figure(best.value.index, "")}
        if best
        else ""
    )
    rows = [
        [
            _label(v.project),
            v.value.index,
            *[a.mark or "—" for a in v.value.axes],
            _("yes") if v.value.complete else _("no"),
        ]
        for v in ranked
    ]
    axes = [a.label for a in ranked[0].value.axes] if ranked else []
    return Chart(
        "valeur",
        _("Projects ranked by value"),
        summary,
        [_("Project"), _("Value index"), *axes, _("Fully assessed")],
        rows,
        spec,
        empty=not ranked,
    )


def budget_chart(found: Prioritised) -> Chart:
    """Per year: what the kept projects cost against the budget (and staff-days)."""
    data, rows = [], []
    for use in found.selection.uses:
        data.append(
            {"annee": str(use.year), "quoi": _("Cost of the kept projects"), "euros": use.cost}
        )
        data.append({"annee": str(use.year), "quoi": _("Budget"), "euros": use.budget})
        rows.append(
            [
                use.year,
                round(use.cost),
                round(use.budget),
                round(use.staff_days),
                round(use.capacity),
            ]
        )
    spec = charts.base(
        _("Budget use by year"),
        data,
        mark={"type": "bar"},
        encoding={
            "x": {"field": "annee", "type": "nominal", "title": _("Year")},
            "xOffset": {"field": "quoi"},
            "y": {
                "field": "euros",
                "type": "quantitative",
                "title": _("Euros"),
                "axis": {"format": ",.0f"},
            },
            "color": {"field": "quoi", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "annee", "title": _("Year")},
                {"field": "quoi", "title": _("What")},
                {"field": "euros", "type": "quantitative", "format": ",.0f", "title": _("Euros")},
            ],
        },
    )
    return Chart(
        "budget",
        _("Budget and staff-days used by the kept projects"),
        _("For each year, the cost of the kept projects beside the budget."),
        [_("Year"), _("Cost (€)"), _("Budget (€)"), _("Staff-days"), _("Staff-days available")],
        rows,
        spec,
        empty=not rows,
    )


def adoption_chart(a: adoption_mod.Adoption, slug: str) -> Chart:
    """A usage's monthly figure against its target (and the straight line to it)."""
    as_percent = a.unit in ("ratio", "percent")
    scale = 100.0 if as_percent and a.unit == "ratio" else 1.0
    data = [{"mois": m.isoformat(), "valeur": round(v * scale, 2)} for m, v in a.points]
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "point": True, "color": charts.PALETTE[0]},
            "encoding": {
                "x": {"field": "mois", "type": "temporal", "title": None, "timeUnit": "yearmonth"},
                "y": {
                    "field": "valeur",
                    "type": "quantitative",
                    "title": _("%") if as_percent else a.unit,
                },
                "tooltip": [
                    {
                        "field": "mois",
                        "type": "temporal",
                        "timeUnit": "yearmonth",
                        "title": _("Month"),
                    },
                    {
                        "field": "valeur",
                        "type": "quantitative",
                        "format": ",.1f",
                        "title": _("Value"),
                    },
                ],
            },
        }
    ]
    target = a.usage.target
    if target is not None:
        t = round(target * scale, 2)
        layers.append(
            {
                "data": {"values": [{"cible": t}]},
                "mark": {"type": "rule", "color": charts.ACCENT, "strokeDash": [6, 3]},
                "encoding": {"y": {"field": "cible", "type": "quantitative"}},
            }
        )
    spec = charts.base(a.usage.sentence, data, layer=layers)
    rows = [[date_format(m, "F Y"), figure(v, a.unit)] for m, v in a.points]
    summary = _("%(usage)s: %(latest)s last month, target %(target)s by %(date)s (%(state)s).") % {
        "usage": a.usage.sentence,
        "latest": figure(a.latest, a.unit),
        "target": figure(target, a.unit),
        "date": date_format(a.usage.target_on, "F Y") if a.usage.target_on else "—",
        "state": state_label(a.state),
    }
    return Chart(
        slug, a.usage.sentence, summary, [_("Month"), _("Value")], rows, spec, empty=not data
    )
