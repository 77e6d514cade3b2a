"""Value analysis of a project, inspired by the State's MAREVA method (MAREVA 2, DINSIC): five
axes — necessity, risk control, benefits for agents, benefits for users, return on investment
— each marked A (best) to D, plus the project's alignment with the mandate plan and the IT
master plan; one value index from 0 to 100, the weighted mean of the marks.

MAREVA's own weights are not public: the default weights below are Pilotis's, chosen so that
what the project brings to people (users and agents) weighs as much as its necessity and its
money, and said so on the page. A tenant may change questions, weights and axes
(`ValueGrid`); two axes are measured rather than marked: the return on investment (from the
gains and costs entered, business gains kept apart from IT gains) and the alignment (from the
objectives the project serves).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.portfolio.models import PlanObjective, Project, ValueGrid

MARKS = ("A", "B", "C", "D")
POINTS = {"A": 3, "B": 2, "C": 1, "D": 0}

# Payback periods (years) for the marks of the return on investment.
PAYBACK_YEARS = {"A": 3, "B": 5, "C": 8}


def default_grid() -> dict[str, Any]:
    """The grid a tenant starts with: plain strings in the active language."""
    return {
        "axes": [
            {
                "id": "necessite",
                "label": str(gettext_lazy("Necessity")),
                "weight": 20,
                "question": str(
                    gettext_lazy(
                        "What happens if the project is not done: a legal obligation missed, a "
                        "service that stops, or nothing much?"
                    )
                ),
                "marks": {
                    "A": str(gettext_lazy("Required by law or a service stops without it")),
                    "B": str(gettext_lazy("A serious, documented weakness today")),
                    "C": str(gettext_lazy("An improvement that can wait")),
                    "D": str(gettext_lazy("Nice to have")),
                },
            },
            {
                "id": "risques",
                "label": str(gettext_lazy("Risk control")),
                "weight": 15,
                "question": str(
                    gettext_lazy(
                        "Are the project's risks (technical, supplier, data, change for the "
                        "agents) known and mastered? A means low, mastered risks."
                    )
                ),
                "marks": {
                    "A": str(gettext_lazy("Proven solution, experienced team, few changes")),
                    "B": str(gettext_lazy("Known risks with their mitigation")),
                    "C": str(gettext_lazy("Significant risks, partly mastered")),
                    "D": str(gettext_lazy("Untested solution or no one to lead it")),
                },
            },
            {
                "id": "agents",
                "label": str(gettext_lazy("Benefits for agents")),
                "weight": 15,
                "question": str(
                    gettext_lazy(
                        "Does the project improve the agents' working conditions: less "
                        "re-keying, mobility, fewer interruptions, clearer work?"
                    )
                ),
                "marks": {
                    "A": str(gettext_lazy("Daily work of many agents clearly easier")),
                    "B": str(gettext_lazy("Clear gains for one service")),
                    "C": str(gettext_lazy("Small gains")),
                    "D": str(gettext_lazy("No gain, or more work")),
                },
            },
            {
                "id": "usagers",
                "label": str(gettext_lazy("Benefits for users")),
                "weight": 20,
                "question": str(
                    gettext_lazy(
                        "Does the project improve the service to citizens and businesses: "
                        "procedures online, shorter delays, accessibility, information?"
                    )
                ),
                "marks": {
                    "A": str(gettext_lazy("A frequent procedure becomes much simpler")),
                    "B": str(gettext_lazy("Clear gain for a part of the users")),
                    "C": str(gettext_lazy("Small gain for few users")),
                    "D": str(gettext_lazy("No visible change for users")),
                },
            },
            {
                "id": "rentabilite",
                "label": str(gettext_lazy("Return on investment")),
                "weight": 20,
                "computed": "roi",
                "question": str(
                    gettext_lazy(
                        "Measured: years for the yearly gains (business gains and IT gains, "
                        "minus the running cost) to pay back the investment."
                    )
                ),
                "marks": {
                    "A": str(gettext_lazy("Paid back within 3 years")),
                    "B": str(gettext_lazy("Paid back within 5 years")),
                    "C": str(gettext_lazy("Paid back within 8 years")),
                    "D": str(gettext_lazy("Not paid back within 8 years, or no gain measured")),
                },
            },
            {
                "id": "alignement",
                "label": str(gettext_lazy("Alignment with the plans")),
                "weight": 10,
                "computed": "alignment",
                "question": str(
                    gettext_lazy(
                        "Measured: the objectives of the mandate plan and of the IT master "
                        "plan the project serves."
                    )
                ),
                "marks": {
                    "A": str(gettext_lazy("Serves both the mandate plan and the IT master plan")),
                    "B": str(gettext_lazy("Serves the mandate plan")),
                    "C": str(gettext_lazy("Serves the IT master plan only")),
                    "D": str(gettext_lazy("Serves no plan objective")),
                },
            },
        ]
    }


def grid_of(tenant_id: int) -> dict[str, Any]:
    found = ValueGrid.objects.filter(tenant_id=tenant_id).first()
    return found.grid if found is not None and found.grid.get("axes") else default_grid()


@dataclass
class AxisScore:
    id: str
    label: str
    weight: float
    mark: str | None  # None: not marked yet (counted as D)
    why: str
    computed: bool


@dataclass
class Value:
    axes: list[AxisScore]
    index: float  # 0..100
    complete: bool

    def radar_rows(self) -> list[dict[str, Any]]:
        return [
            {"axe": a.label, "points": POINTS.get(a.mark or "D", 0), "note": a.mark or "—"}
            for a in self.axes
        ]


def _euros(value: Decimal | float) -> str:
    return f"{float(value):,.0f} €".replace(",", "\u202f")


def roi_mark(project: Project) -> tuple[str, str]:
    """The return-on-investment mark and why, business and IT gains told apart."""
    business, it, running = project.business_gains, project.it_gains, project.running_cost
    net = business + it - running
    parts = _(
        "Business gains %(business)s a year, IT gains %(it)s a year, running cost "
        "%(running)s a year"
    ) % {"business": _euros(business), "it": _euros(it), "running": _euros(running)}
    if net <= 0:
        return "D", parts + _(": the gains do not cover the running cost.")
    if project.investment <= 0:
        return "A", parts + _(": no investment to pay back.")
    years = float(project.investment / net)
    mark = next((m for m, limit in PAYBACK_YEARS.items() if years <= limit), "D")
    return mark, parts + _(
        ": the investment of %(investment)s is paid back in %(years)s years."
    ) % {
        "investment": _euros(project.investment),
        "years": f"{years:.1f}".replace(".", ","),
    }


def alignment_mark(objectives: list[PlanObjective]) -> tuple[str, str]:
    mandate = [o for o in objectives if o.plan == PlanObjective.Plan.MANDATE]
    master = [o for o in objectives if o.plan == PlanObjective.Plan.IT_MASTER]
    codes = ", ".join(o.code for o in objectives)
    if mandate and master:
        return "A", _("Serves %(codes)s.") % {"codes": codes}
    if mandate:
        return "B", _("Serves %(codes)s (mandate plan only).") % {"codes": codes}
    if master:
        return "C", _("Serves %(codes)s (IT master plan only).") % {"codes": codes}
    return "D", _("Serves no objective of the mandate plan or of the IT master plan.")


def value_of(
    project: Project, grid: dict[str, Any], objectives: list[PlanObjective] | None = None
) -> Value:
    """The project's marks on the grid's axes and its value index. An axis not marked yet
    counts as D, and the value says it is incomplete."""
    if objectives is None:
        objectives = list(project.objectives.all())
    axes = []
    for axis in grid["axes"]:
        computed = axis.get("computed")
        mark: str | None
        if computed == "roi":
            mark, why = roi_mark(project)
        elif computed == "alignment":
            mark, why = alignment_mark(objectives)
        else:
            found = project.value_marks.get(axis["id"])
            mark = found if found in POINTS else None
            why = project.value_notes.get(axis["id"], "")
            if mark is not None and not why:
                why = axis.get("marks", {}).get(mark, "")
        axes.append(
            AxisScore(axis["id"], axis["label"], float(axis["weight"]), mark, why, bool(computed))
        )
    total = sum(a.weight for a in axes) or 1.0
    index = 100 * sum(a.weight * POINTS.get(a.mark or "D", 0) for a in axes) / (3 * total)
    return Value(axes, round(index, 1), all(a.mark is not None for a in axes))
