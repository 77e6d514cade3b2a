"""The HR page as data: plain-French answers, key figures and charts — aggregates only.

No figure about fewer than five agents is shown: such cells read "fewer than 5" and their value
is left out of charts and downloads; services with fewer than five agents are grouped into one
line. No Django request here: `build` takes the data, a period and filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pilotis.hr import indicators
from pilotis.hr.data import Data
from pilotis.hr.indicators import MIN_GROUP, Figure, Scope, figure
from pilotis.metrics.charts import PALETTE, Chart, bar, base
from pilotis.requests.page import Answer, Kpi, num, pct

CATEGORY_LABELS = {
    "A": gettext_noop("Category A"),
    "B": gettext_noop("Category B"),
    "C": gettext_noop("Category C"),
}
STATUS_LABELS = {
    "tenured": gettext_noop("Tenured"),
    "contract": gettext_noop("Contract staff"),
    "other": gettext_noop("Other (apprentices, subsidised jobs)"),
}
REASON_LABELS = {
    "ordinary_sickness": gettext_noop("Ordinary sickness"),
    "long_sickness": gettext_noop("Long sickness"),
    "work_accident": gettext_noop("Work accident or occupational disease"),
    "parenthood": gettext_noop("Maternity, paternity, adoption"),
    "other": gettext_noop("Other reasons"),
}


@dataclass
class Page:
    start: date
    end: date
    as_of: date | None  # the payroll month of the stock figures
    answers: list[Answer]
    kpis: list[Kpi]
    charts: list[Chart]
    notes: list[str]
    facts: dict[str, Any] = field(default_factory=dict)


def month_label(day: date | pd.Timestamp) -> str:
    return date_format(pd.Timestamp(day).date(), "F Y")


def shown(f: Figure, text: str) -> str:
    """The figure as text, or "fewer than 5 agents" when it is withheld."""
    if f.suppressed:
        return _("fewer than %(n)s agents") % {"n": MIN_GROUP}
    return text if f.value is not None else "—"


def cell(f: Figure, digits: int = 0) -> float | int | None:
    """A table cell: the rounded value, None (shown as —) when withheld."""
    if f.value is None:
        return None
    return round(f.value, digits) if digits else int(round(f.value))


def build(data: Data, period: tuple[date, date] | None = None, service: str = "") -> Page | None:
    if data.empty:
        return None
    period = period or indicators.default_period(data)
    if period is None:
        return None
    start, end = period
    scope = Scope(start, end, {"service": (service,)} if service else {})
    stock = indicators.stock(data, scope)
    as_of = stock["month"].max().date() if len(stock) else None
    f = {
        name: figure(data, name, scope)
        for name in (
            "headcount",
            "fte",
            "absence_days_per_agent",
            "absence_rate",
            "turnover",
            "arrivals",
            "departures",
            "training_days_per_agent",
        )
    }
    contract = figure(data, "headcount", scope.narrowed(status=("contract",)))
    contract_share = (
        None
        if f["headcount"].value in (None, 0) or contract.value is None
        else contract.value / f["headcount"].value  # type: ignore[operator]
    )
    charts = [
        pyramid_chart(data, scope),
        services_chart(data, scope),
        volume_chart(data, scope),
        absences_chart(data, scope),
        absence_services_chart(data, scope),
        movements_chart(data, scope),
        training_chart(data, scope),
    ]
    kpis = [
        Kpi(
            _("Headcount"),
            shown(f["headcount"], num(f["headcount"].value)),
            _("agents paid in %(month)s") % {"month": month_label(as_of)} if as_of else "",
        ),
        Kpi(
            _("Full-time equivalents"),
            shown(f["fte"], num(f["fte"].value, 1)),
            _("%(share)s contract staff") % {"share": pct(contract_share)},
        ),
        Kpi(
            _("Absence rate"),
            shown(f["absence_rate"], pct(f["absence_rate"].value, 1)),
            _("%(days)s days per agent") % {"days": num(f["absence_days_per_agent"].value, 1)},
        ),
        Kpi(
            _("Turnover"),
            shown(f["turnover"], pct(f["turnover"].value, 1)),
            _("%(arrivals)s arrivals, %(departures)s departures")
            % {"arrivals": num(f["arrivals"].value), "departures": num(f["departures"].value)},
        ),
        Kpi(
            _("Training days per agent"),
            shown(f["training_days_per_agent"], num(f["training_days_per_agent"].value, 1)),
            _("over the period"),
        ),
    ]
    answers = [
        Answer(_("How many agents?"), _headcount_sentence(f, contract_share, as_of)),
        Answer(_("How often are agents absent?"), _absence_sentence(data, scope, f)),
        Answer(_("Do staff turn over?"), _turnover_sentence(f)),
        Answer(_("Do agents train?"), _training_sentence(f)),
    ]
    notes = [
        _(
            "To protect agents' privacy, no figure is shown about fewer than %(n)s agents: such "
            "cells read “fewer than %(n)s” or are grouped with others, and are left out of the "
            "downloads. Agents are pseudonymous in the warehouse: neither names nor payroll "
            "numbers are kept."
        )
        % {"n": MIN_GROUP},
        _(
            "Headcount and full-time equivalents are read in the last monthly payroll snapshot "
            "of the period. The absence rate divides the working days of absence (annual leave "
            "excluded) by the working days each agent paid in a month owed (Monday to Friday, "
            "public holidays excluded)."
        ),
        _("Turnover is (arrivals + departures) ÷ 2 ÷ the average headcount of the period."),
    ]
    facts = {name: value.value for name, value in f.items()}
    return Page(start, end, as_of, answers, kpis, charts, notes, facts)


# ---------------------------------------------------------------------------------------------
# Sentences


def _headcount_sentence(
    f: dict[str, Figure], contract_share: float | None, as_of: date | None
) -> str:
    if f["headcount"].value is None or as_of is None:
        return _("Too few agents in this selection to say more without identifying anyone.")
    return _(
        "%(headcount)s agents were paid in %(month)s, %(fte)s full-time equivalents; "
        "%(contract)s of them are contract staff."
    ) % {
        "headcount": num(f["headcount"].value),
        "month": month_label(as_of),
        "fte": num(f["fte"].value, 1),
        "contract": pct(contract_share),
    }


def _absence_sentence(data: Data, scope: Scope, f: dict[str, Figure]) -> str:
    if f["absence_rate"].value is None:
        return _("Too few agents in this selection to show their absences.")
    by_month = {
        key: figure(data, "absence_days", indicators.scope_of(scope, "month", key)).value or 0.0
        for key in indicators.keys(data, "month", scope)
    }
    text = _(
        "Agents were absent %(days)s working days each on average (annual leave excluded): an "
        "absence rate of %(rate)s."
    ) % {"days": num(f["absence_days_per_agent"].value, 1), "rate": pct(f["absence_rate"].value, 1)}
    if len(by_month) >= 3 and any(by_month.values()):
        peak = max(by_month, key=lambda k: by_month[k])
        text += " " + _("The most absences were in %(month)s.") % {
            "month": month_label(pd.Timestamp(peak + "-01"))
        }
    return text


def _turnover_sentence(f: dict[str, Figure]) -> str:
    if f["turnover"].value is None:
        return _("No movement is known for this selection, or it has too few agents.")
    return _(
        "%(arrivals)s agents arrived and %(departures)s left in the period: a turnover of "
        "%(rate)s of the staff."
    ) % {
        "arrivals": num(f["arrivals"].value),
        "departures": num(f["departures"].value),
        "rate": pct(f["turnover"].value, 1),
    }


def _training_sentence(f: dict[str, Figure]) -> str:
    value = f["training_days_per_agent"].value
    if value is None:
        return _("Too few agents in this selection to show their training.")
    return _("Agents followed %(days)s training days each on average in the period.") % {
        "days": num(value, 1)
    }


# ---------------------------------------------------------------------------------------------
# Charts


def _small(f: Figure) -> str:
    return _("fewer than %(n)s") % {"n": MIN_GROUP}


def pyramid_chart(data: Data, scope: Scope) -> Chart:
    """Headcount by category, tenured agents to the left and the others to the right."""
    title = _("Headcount by category and status")
    rows, values = [], []
    for category in indicators.CATEGORIES:
        line: list[Any] = [_(CATEGORY_LABELS[category])]
        for status in indicators.STATUSES:
            f = figure(data, "headcount", scope.narrowed(category=(category,), status=(status,)))
            line.append(_small(f) if f.suppressed else cell(f))
            if f.value:
                side = -1 if status == "tenured" else 1
                values.append(
                    {
                        "category": line[0],
                        "status": _(STATUS_LABELS[status]),
                        "agents": side * int(f.value),
                        "count": int(f.value),
                    }
                )
        rows.append(line)
    spec = base(
        title,
        values,
        height=160,
        mark={"type": "bar"},
        encoding={
            "y": {"field": "category", "type": "nominal", "title": None, "sort": None},
            "x": {
                "field": "agents",
                "type": "quantitative",
                "stack": True,
                "title": _("Agents (tenured to the left, others to the right)"),
                "axis": {"labelExpr": "abs(datum.value)"},
            },
            "color": {"field": "status", "type": "nominal", "title": _("Status")},
            "tooltip": [
                {"field": "category", "title": _("Category")},
                {"field": "status", "title": _("Status")},
                {"field": "count", "type": "quantitative", "title": _("Agents")},
            ],
        },
    )
    return Chart(
        "pyramide",
        title,
        _(
            "Agents in post at the end of the period by category (A, B, C): tenured agents to "
            "the left, contract staff and others to the right."
        ),
        [_("Category"), *(_(STATUS_LABELS[s]) for s in indicators.STATUSES)],
        rows,
        spec,
        empty=not values,
    )


def _groups(data: Data, name: str, scope: Scope, digits: int) -> list[tuple[str, Figure]]:
    """One (label, figure) per service with at least MIN_GROUP agents, then the smaller ones
    together (shown only when they add up to MIN_GROUP agents)."""
    out, small = [], []
    for key in indicators.keys(data, "service", scope):
        size = figure(data, "headcount", scope.narrowed(service=(key,)))
        f = figure(data, name, scope.narrowed(service=(key,)))
        if f.suppressed or (name in ("headcount", "fte") and size.suppressed):
            small.append(key)
        else:
            out.append((data.service_name(key), f))
    if small:
        f = figure(data, name, scope.narrowed(service=tuple(small)))
        label = _("Services with fewer than %(n)s agents (%(count)s)") % {
            "n": MIN_GROUP,
            "count": len(small),
        }
        out.append((label, f))
    return out


def services_chart(data: Data, scope: Scope) -> Chart:
    title = _("Full-time equivalents by service")
    groups = _groups(data, "fte", scope, 1)
    heads = dict(_groups(data, "headcount", scope, 0))
    rows = [
        [
            label,
            _small(f) if f.suppressed else cell(f, 1),
            cell(heads[label]) if label in heads else None,
        ]
        for label, f in groups
    ]
    values = [{"service": label, "fte": round(f.value, 1)} for label, f in groups if f.value]
    spec = bar(
        title,
        values,
        x="fte",
        y="service",
        x_title=_("Full-time equivalents"),
        y_title=_("Service"),
        value_format=",.1f",
    )
    return Chart(
        "etp-services",
        title,
        _("Full-time equivalents of each service at the end of the period, largest first."),
        [_("Service"), _("Full-time equivalents"), _("Agents")],
        sorted(rows, key=lambda r: -(r[1] if isinstance(r[1], float | int) else 0)),
        {**spec, "data": {"values": sorted(values, key=lambda v: -v["fte"])}},
        empty=not values,
    )


def volume_chart(data: Data, scope: Scope) -> Chart:
    """Headcount and FTE at the end of each month: slug `volume`."""
    title = _("Headcount and full-time equivalents, month by month")
    rows, values = [], []
    for key in indicators.keys(data, "month", scope):
        narrowed = indicators.scope_of(scope, "month", key)
        head, fte = figure(data, "headcount", narrowed), figure(data, "fte", narrowed)
        rows.append([key, cell(head), cell(fte, 1)])
        if head.value is not None:
            values.append({"month": key + "-01", "measure": _("Agents"), "value": head.value})
        if fte.value is not None:
            values.append(
                {"month": key + "-01", "measure": _("Full-time equivalents"), "value": fte.value}
            )
    spec = base(
        title,
        values,
        mark={"type": "line", "point": True, "strokeWidth": 2.5},
        encoding={
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {"field": "measure", "type": "nominal", "title": None},
            "tooltip": [
                {
                    "field": "month",
                    "type": "temporal",
                    "timeUnit": "yearmonth",
                    "title": _("Month"),
                },
                {"field": "measure", "title": _("Measure")},
                {"field": "value", "type": "quantitative", "format": ",.1f", "title": _("Value")},
            ],
        },
    )
    return Chart(
        "volume",
        title,
        _("Agents paid and full-time equivalents at the end of each month of the period."),
        [_("Month"), _("Agents"), _("Full-time equivalents")],
        rows,
        spec,
        empty=not values,
    )


def absences_chart(data: Data, scope: Scope) -> Chart:
    title = _("Absence days by reason, month by month")
    rows, values = [], []
    for key in indicators.keys(data, "month", scope):
        narrowed = indicators.scope_of(scope, "month", key)
        line: list[Any] = [key]
        for reason in indicators.REASONS:
            f = figure(data, "absence_days", narrowed.narrowed(reasons=(reason,)))
            line.append(cell(f))
            if f.value:
                values.append(
                    {"month": key + "-01", "reason": _(REASON_LABELS[reason]), "days": f.value}
                )
        rows.append(line)
    spec = base(
        title,
        values,
        mark={"type": "bar"},
        encoding={
            "x": {"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "days", "type": "quantitative", "stack": True, "title": _("Days")},
            "color": {"field": "reason", "type": "nominal", "title": _("Reason")},
            "tooltip": [
                {
                    "field": "month",
                    "type": "temporal",
                    "timeUnit": "yearmonth",
                    "title": _("Month"),
                },
                {"field": "reason", "title": _("Reason")},
                {"field": "days", "type": "quantitative", "format": ",.0f", "title": _("Days")},
            ],
        },
    )
    return Chart(
        "absences",
        title,
        _(
            "Working days of absence each month, by reason: ordinary sickness rises in winter, "
            "long absences stay steady."
        ),
        [_("Month"), *(_(REASON_LABELS[r]) for r in indicators.REASONS)],
        rows,
        spec,
        empty=not values,
    )


def absence_services_chart(data: Data, scope: Scope) -> Chart:
    title = _("Absence rate by service")
    groups = _groups(data, "absence_rate", scope, 3)
    rows = [[label, _small(f) if f.suppressed else pct(f.value, 1)] for label, f in groups]
    rates = sorted(
        ((label, round(f.value, 4)) for label, f in groups if f.value is not None),
        key=lambda pair: -pair[1],
    )
    values = [{"service": label, "rate": rate} for label, rate in rates]
    spec = bar(
        title,
        values,
        x="rate",
        y="service",
        x_title=_("Absence rate"),
        y_title=_("Service"),
        color=PALETTE[1],
        value_format=".1%",
    )
    return Chart(
        "absences-services",
        title,
        _("Share of the working days lost to absence in each service over the period."),
        [_("Service"), _("Absence rate")],
        rows,
        spec,
        empty=not values,
    )


def movements_chart(data: Data, scope: Scope) -> Chart:
    title = _("Arrivals and departures, month by month")
    rows, values = [], []
    for key in indicators.keys(data, "month", scope):
        narrowed = indicators.scope_of(scope, "month", key)
        arrivals = indicators.flow_sum(data, "movements", narrowed, "arrival")
        departures = indicators.flow_sum(data, "movements", narrowed, "departure")
        rows.append([key, int(arrivals), int(departures)])
        values.append({"month": key + "-01", "kind": _("Arrivals"), "agents": arrivals})
        values.append({"month": key + "-01", "kind": _("Departures"), "agents": -departures})
    population = figure(data, "turnover", scope)
    if population.agents < MIN_GROUP:
        rows, values = [], []
    spec = base(
        title,
        values,
        mark={"type": "bar"},
        encoding={
            "x": {"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "title": None},
            "y": {
                "field": "agents",
                "type": "quantitative",
                "title": _("Agents (departures below zero)"),
                "axis": {"labelExpr": "abs(datum.value)"},
            },
            "color": {"field": "kind", "type": "nominal", "title": None},
        },
    )
    return Chart(
        "mouvements",
        title,
        _("Agents who joined (above) and left (below) each month of the period."),
        [_("Month"), _("Arrivals"), _("Departures")],
        rows,
        spec,
        empty=not any(v["agents"] for v in values),
    )


def training_chart(data: Data, scope: Scope) -> Chart:
    title = _("Training days by theme")
    frame = indicators.filter_population(
        indicators.attributed(data, "training", "date"), scope.population
    )
    frame = frame[
        (frame["date"] >= pd.Timestamp(scope.start)) & (frame["date"] <= pd.Timestamp(scope.end))
    ]
    themes = frame.groupby(frame["theme"].fillna("—")).agg(
        days=("days", "sum"), agents=("agent", "nunique")
    )
    big = themes[themes["agents"] >= MIN_GROUP].sort_values("days", ascending=False)
    rest = themes[themes["agents"] < MIN_GROUP]
    rows = [[theme, round(float(r.days), 1), int(r.agents)] for theme, r in big.iterrows()]
    if len(rest) and frame[frame["theme"].fillna("—").isin(rest.index)]["agent"].nunique() >= 5:
        rows.append([_("Other themes"), round(float(rest["days"].sum()), 1), None])
    values = [{"theme": r[0], "days": r[1]} for r in rows]
    spec = bar(
        title,
        values,
        x="days",
        y="theme",
        x_title=_("Days"),
        y_title=_("Theme"),
        color=PALETTE[2],
        value_format=",.0f",
    )
    return Chart(
        "formation",
        title,
        _(
            "Training days followed in the period, by theme (themes followed by fewer than five "
            "agents are grouped)."
        ),
        [_("Theme"), _("Days"), _("Agents trained")],
        rows,
        spec,
        empty=not values,
    )
