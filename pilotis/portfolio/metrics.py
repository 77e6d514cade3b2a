"""The portfolio's indicators in the metrics registry: milestones kept and projects under way,
read from the project register (the database, not the warehouse)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pilotis.metrics.registry import (
    Headline,
    Metric,
    PeriodKind,
    Query,
    register,
    register_headline,
)

DOMAIN = "portfolio"


def _milestones_on_time(query: Query) -> list[dict[str, Any]]:
    from pilotis.portfolio.models import Milestone

    due = Milestone.objects.filter(
        project__tenant__code__in=query.tenant_codes,
        planned_on__gte=query.start,
        planned_on__lte=query.end,
    )
    n = due.count()
    kept = due.filter(done_on__isnull=False, done_on__lte=F("planned_on")).count()
    return [{"key": None, "total": True, "value": None if n == 0 else kept / n, "due": n}]


def _projects_under_way(query: Query) -> list[dict[str, Any]]:
    from pilotis.portfolio.models import Project, Status

    live = Project.objects.filter(tenant__code__in=query.tenant_codes).filter(
        Q(status=Status.IN_PROGRESS)
        | Q(status=Status.DONE, end__gte=query.start)
        | Q(status=Status.PLANNED, start__lte=query.end)
    )
    return [{"key": None, "total": True, "value": live.count()}]


register(
    Metric(
        slug=f"{DOMAIN}.milestones_on_time",
        domain=DOMAIN,
        label=_("Project milestones reached on time"),
        description=_(
            "Milestones planned in the period that were reached by their planned date ÷ "
            "milestones planned in the period (project register)."
        ),
        unit="ratio",
        dimensions=(),
        compute=_milestones_on_time,
        higher_is_better=True,
    )
)
register(
    Metric(
        slug=f"{DOMAIN}.projects_under_way",
        domain=DOMAIN,
        label=_("Digital projects under way"),
        description=_(
            "Projects in progress, planned to start in the period or finished during it "
            "(project register)."
        ),
        unit="count",
        dimensions=(),
        compute=_projects_under_way,
    )
)


def _latest(tenant_codes: tuple[str, ...]) -> date | None:
    """The register is live: it has data up to today once it holds a project."""
    from pilotis.portfolio.models import Project

    return date.today() if Project.objects.filter(tenant__code__in=tenant_codes).exists() else None


register_headline(Headline(f"{DOMAIN}.projects_under_way", "portfolio:index", _latest, order=60))
register_headline(
    Headline(
        f"{DOMAIN}.milestones_on_time",
        "portfolio:index",
        _latest,
        order=61,
        period=PeriodKind.ROLLING_YEAR,
        target=0.8,
    )
)
