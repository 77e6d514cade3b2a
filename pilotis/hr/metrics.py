"""The HR indicators, declared in the metrics registry (pilotis.metrics): what `pilotis kpi`,
the JSON API, the home dashboard and the reports ask for by name.

Every figure about fewer than five agents is withheld: its `value` is null and the row says
`"suppressed": true`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from pilotis.hr import data as hr_data
from pilotis.hr import indicators
from pilotis.metrics.periods import latest_in
from pilotis.metrics.registry import (
    Headline,
    Metric,
    MetricError,
    PeriodKind,
    Query,
    register,
    register_headline,
)

DOMAIN = "hr"
STOCK_DIMENSIONS = ("service", "category", "status", "month")
FLOW_DIMENSIONS = ("service", "category", "status", "month")
ABSENCE_DIMENSIONS = ("reason", "service", "category", "status", "month")
DIGITS = {"ratio": 4, "days": 2, "fte": 2, "count": 2}


def _row(key: str | None, figure: indicators.Figure, unit: str, **extra: Any) -> dict[str, Any]:
    value = figure.value
    if value is not None:
        value = round(value, DIGITS.get(unit, 2))
        if unit == "count" and value == int(value):
            value = int(value)
    row = {"key": key, "total": key is None, "value": value, "agents": figure.agents}
    if figure.suppressed:
        row["suppressed"] = True
    return {**row, **extra}


def _scope(query: Query, dimensions: tuple[str, ...]) -> indicators.Scope:
    unknown = set(query.filters) - set(dimensions)
    if unknown:
        raise MetricError(
            _("Unknown filter(s): %(names)s. Possible: %(known)s."),
            names=", ".join(sorted(unknown)),
            known=", ".join(d for d in dimensions if d != "month"),
        )
    population = {k: tuple(v) for k, v in query.filters.items() if k in hr_data.POPULATION and v}
    return indicators.Scope(
        query.start, query.end, population, tuple(query.filters.get("reason", ()))
    )


def _metric(
    name: str,
    label: Any,
    description: Any,
    unit: str,
    dimensions: tuple[str, ...],
    tables: tuple[str, ...],
    higher_is_better: bool | None = None,
) -> None:
    def compute(query: Query) -> list[dict[str, Any]]:
        scope = _scope(query, dimensions)
        data = hr_data.cached(query.tenant_codes)
        rows = [_row(None, indicators.figure(data, name, scope), unit)]
        if query.by:
            for key in indicators.keys(data, query.by, scope):
                wanted = query.filters.get(query.by)
                if wanted and key not in wanted:
                    continue
                narrowed = indicators.scope_of(scope, query.by, key)
                extra = {"name": data.service_name(key)} if query.by == "service" else {}
                rows.append(_row(key, indicators.figure(data, name, narrowed), unit, **extra))
        return rows

    register(
        Metric(
            slug=f"{DOMAIN}.{name}",
            domain=DOMAIN,
            label=label,
            description=description,
            unit=unit,
            dimensions=dimensions,
            compute=compute,
            higher_is_better=higher_is_better,
            source_tables=("hr_positions", *tables),
        )
    )


_metric(
    "headcount",
    _("Headcount"),
    _(
        "Agents paid in the last monthly payroll snapshot up to the end of the period (a stock); "
        "by month, at the end of each month."
    ),
    "count",
    STOCK_DIMENSIONS,
    (),
)
_metric(
    "fte",
    _("Full-time equivalents"),
    _("Sum of the agents' working time (1 for full time) in the last monthly snapshot."),
    "fte",
    STOCK_DIMENSIONS,
    (),
)
_metric(
    "absence_days",
    _("Absence days"),
    _(
        "Working days of absence in the period (annual leave excluded), each absence counted "
        "for the share of its calendar days that falls in the period."
    ),
    "days",
    ABSENCE_DIMENSIONS,
    ("hr_absences",),
    higher_is_better=False,
)
_metric(
    "absence_days_per_agent",
    _("Absence days per agent"),
    _("Absence days in the period divided by the average headcount of the period."),
    "days",
    ABSENCE_DIMENSIONS,
    ("hr_absences",),
    higher_is_better=False,
)
_metric(
    "absence_rate",
    _("Absence rate"),
    _(
        "Absence days divided by the theoretical working days: for each agent paid in a month, "
        "the Monday-to-Friday days of that month (public holidays excluded) in the period."
    ),
    "ratio",
    ABSENCE_DIMENSIONS,
    ("hr_absences",),
    higher_is_better=False,
)
_metric(
    "turnover",
    _("Staff turnover"),
    _("(Arrivals + departures) ÷ 2 ÷ average headcount of the period."),
    "ratio",
    FLOW_DIMENSIONS,
    ("hr_movements",),
)
_metric(
    "arrivals",
    _("Arrivals of agents"),
    _("Agents who joined in the period (recruitments, transfers in)."),
    "count",
    FLOW_DIMENSIONS,
    ("hr_movements",),
)
_metric(
    "departures",
    _("Departures of agents"),
    _("Agents who left in the period (retirements, ends of contract, resignations…)."),
    "count",
    FLOW_DIMENSIONS,
    ("hr_movements",),
)
_metric(
    "training_days_per_agent",
    _("Training days per agent"),
    _("Training days started in the period divided by the average headcount of the period."),
    "days",
    FLOW_DIMENSIONS,
    ("hr_training",),
    higher_is_better=True,
)


_latest = latest_in("hr_positions", "month")


def _latest_month_end(tenant_codes: tuple[str, ...]) -> Any:
    """The last day of the last payroll month (a snapshot dated the 1st covers its month)."""
    from pilotis.metrics.periods import month_end

    found = _latest(tenant_codes)
    return None if found is None else month_end(found)


register_headline(
    Headline("hr.headcount", "hr:index", _latest_month_end, order=30, period=PeriodKind.STOCK)
)
register_headline(Headline("hr.absence_rate", "hr:index", _latest_month_end, order=31, target=0.08))
register_headline(Headline("hr.turnover", "hr:index", _latest_month_end, order=32))
register_headline(
    Headline("hr.training_days_per_agent", "hr:index", _latest_month_end, order=33, target=2.0)
)
