"""The finance indicators, declared in the metrics registry (pilotis.metrics): what `pilotis
kpi`, the JSON API, the dashboards and the home page ask for by name. Several tenants at once
are added together (an intercommunality and its members: flows between them are not
eliminated); per-inhabitant ratios divide by the population of the territory they cover."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
from django.utils.translation import gettext_lazy as _

from pilotis.finance import data as finance_data
from pilotis.finance import indicators as ind
from pilotis.finance import nomenclature as nom
from pilotis.metrics.registry import (
    Headline,
    Metric,
    MetricError,
    PeriodKind,
    Query,
    register,
    register_headline,
)

DOMAIN = "finance"
FLOW_FILTERS = ("section", "chapter", "function")
Figure = Callable[[finance_data.Data, ind.Period], float | None]


def _filtered(frame: pd.DataFrame, filters: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    for name, values in filters.items():
        if not values or frame.empty:
            continue
        column = "heading" if name == "function" else name
        frame = frame[frame[column].isin(values)]
    return frame


def _scoped(data: finance_data.Data, codes: tuple[str, ...]) -> finance_data.Data:
    """The part of `data` of some tenants, with their own population."""
    return finance_data.Data(
        codes,
        data.lines[data.lines["tenant"].isin(codes)] if len(data.lines) else data.lines,
        data.balances[data.balances["tenant"].isin(codes)] if len(data.balances) else data.balances,
        data.peers,
        finance_data.scope_population(codes),
    )


def _flow_figure(
    value: Callable[[pd.DataFrame], float | None], per_inhabitant: bool = False
) -> Callable[[finance_data.Data, ind.Period, dict[str, tuple[str, ...]]], float | None]:
    def figure(
        data: finance_data.Data, period: ind.Period, filters: dict[str, tuple[str, ...]]
    ) -> float | None:
        frame = _filtered(ind.executed_lines(data, period), filters)
        result = value(frame)
        if per_inhabitant:
            result = ind.per_inhabitant(result, data.population)
        return result

    return figure


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _labels(dimension: str, frame: pd.DataFrame) -> dict[str, str]:
    if dimension == "function":
        names = nom.m57_labels()
        return {k: names.get(k, k) for k in frame["heading"].dropna().unique()}
    if dimension == "chapter":
        return {k: nom.CHAPTER_LABELS.get(k, k) for k in frame["chapter"].dropna().unique()}
    if dimension == "section":
        return {"F": str(_("operating")), "I": str(_("investment"))}
    return {}


def _metric(
    slug: str,
    label: Any,
    description: Any,
    unit: str,
    figure: Callable[[finance_data.Data, ind.Period, dict[str, tuple[str, ...]]], float | None],
    dimensions: tuple[str, ...],
    digits: int = 2,
    higher_is_better: bool | None = None,
    filters: tuple[str, ...] = (),
) -> None:
    allowed = set(dimensions) | set(filters)

    def compute(query: Query) -> list[dict[str, Any]]:
        unknown = set(query.filters) - allowed
        if unknown:
            raise MetricError(
                _("Unknown filter(s): %(names)s. Possible: %(known)s."),
                names=", ".join(sorted(unknown)),
                known=", ".join(sorted(allowed)) or "—",
            )
        data = finance_data.load(query.tenant_codes, with_population=False)
        period = ind.Period(query.start, query.end)
        filters_ = {k: v for k, v in query.filters.items() if k != "tenant"}
        codes = tuple(query.filters.get("tenant") or query.tenant_codes)
        scoped = _scoped(data, codes) if codes != query.tenant_codes else data
        rows: list[dict[str, Any]] = [
            {
                "key": None,
                "total": True,
                "value": _rounded(figure(scoped, period, filters_), digits),
            }
        ]
        if query.by == "tenant":
            for code in codes:
                value = figure(_scoped(data, (code,)), period, filters_)
                rows.append({"key": code, "total": False, "value": _rounded(value, digits)})
        elif query.by is not None:
            frame = _filtered(ind.executed_lines(scoped, period), filters_)
            column = "heading" if query.by == "function" else query.by
            names = _labels(query.by, frame)
            for key in sorted(frame[column].dropna().unique()) if len(frame) else []:
                value = figure(scoped, period, {**filters_, query.by: (key,)})
                if value is None:  # a key of other lines than the figure's
                    continue
                rows.append(
                    {
                        "key": key,
                        "total": False,
                        "value": _rounded(value, digits),
                        "name": names.get(key, key),
                    }
                )
        return rows

    register(
        Metric(
            slug=f"{DOMAIN}.{slug}",
            domain=DOMAIN,
            label=label,
            description=description,
            unit=unit,
            dimensions=dimensions,
            compute=compute,
            higher_is_better=higher_is_better,
            filters=filters,
            source_tables=("budget_lines",),
        )
    )


def _percent(
    value: Callable[[pd.DataFrame], float | None],
) -> Callable[[pd.DataFrame], float | None]:
    def figure(frame: pd.DataFrame) -> float | None:
        result = value(frame)
        return None if result is None else 100 * result

    return figure


def _sum_of(
    select: Callable[[pd.DataFrame], pd.DataFrame],
) -> Callable[[pd.DataFrame], float | None]:
    def value(frame: pd.DataFrame) -> float | None:
        return ind._sum(select(frame)) if len(frame) else None

    return value


def _stock(
    value: Callable[[finance_data.Data, date], float | None], per_inhabitant: bool = False
) -> Callable[[finance_data.Data, ind.Period, dict[str, tuple[str, ...]]], float | None]:
    def figure(
        data: finance_data.Data, period: ind.Period, _filters: dict[str, tuple[str, ...]]
    ) -> float | None:
        result = value(data, period.end)
        return ind.per_inhabitant(result, data.population) if per_inhabitant else result

    return figure


def _debt_amount(data: finance_data.Data, end: date) -> float | None:
    found = ind.debt(data, end)
    return None if found is None else found[1]


_metric(
    "execution_rate",
    _("Budget execution rate"),
    _(
        "Real expenses paid (mandated) over the credits opened, in percent, for the period: "
        "monthly execution of the current exercise, final accounts of the closed ones."
    ),
    "percent",
    _flow_figure(_percent(ind.execution_rate)),
    ("section", "chapter", "function", "tenant"),
    digits=1,
    higher_is_better=True,
)
_metric(
    "real_operating_expenses",
    _("Real operating expenses"),
    _("Operating expenses paid in the period, order operations (transfers) left out, in euros."),
    "euros",
    _flow_figure(_sum_of(ind.operating_expenses)),
    ("chapter", "function", "tenant"),
    higher_is_better=None,
)
_metric(
    "real_operating_revenue",
    _("Real operating revenue"),
    _(
        "Operating revenue collected in the period, order operations and sales of assets left "
        "out, in euros."
    ),
    "euros",
    _flow_figure(_sum_of(ind.operating_revenue)),
    ("chapter", "tenant"),
    higher_is_better=True,
)
_metric(
    "gross_savings",
    _("Gross savings"),
    _("Épargne brute: real operating revenue minus real operating expenses, in euros."),
    "euros",
    _flow_figure(ind.gross_savings),
    ("tenant",),
    higher_is_better=True,
)
_metric(
    "savings_rate",
    _("Gross savings rate"),
    _("Gross savings over real operating revenue, in percent."),
    "percent",
    _flow_figure(_percent(ind.savings_rate)),
    ("tenant",),
    digits=1,
    higher_is_better=True,
)
_metric(
    "staff_costs_per_inhabitant",
    _("Staff costs per inhabitant"),
    _("Real expenses of chapter 012 (staff) in the period, in euros per inhabitant."),
    "euros_per_inhabitant",
    _flow_figure(_sum_of(ind.staff_costs), per_inhabitant=True),
    ("tenant",),
    higher_is_better=None,
)
_metric(
    "investment_per_inhabitant",
    _("Equipment spending per inhabitant"),
    _(
        "Real investment expenses on chapters 20, 204, 21 and 23 (equipment, equipment grants) "
        "in the period, in euros per inhabitant."
    ),
    "euros_per_inhabitant",
    _flow_figure(_sum_of(ind.equipment), per_inhabitant=True),
    ("tenant",),
    higher_is_better=None,
)
_metric(
    "outstanding_debt",
    _("Outstanding debt"),
    _(
        "Borrowings (accounts 16, accrued interest 1688 left out) outstanding at 31 December of "
        "the last exercise closed by the end of the period, in euros."
    ),
    "euros",
    _stock(_debt_amount),
    ("tenant",),
    higher_is_better=False,
)
_metric(
    "debt_per_inhabitant",
    _("Debt per inhabitant"),
    _("Outstanding debt at the end of the last closed exercise, in euros per inhabitant."),
    "euros_per_inhabitant",
    _stock(_debt_amount, per_inhabitant=True),
    ("tenant",),
    higher_is_better=False,
)
_metric(
    "debt_years",
    _("Debt repayment capacity"),
    _(
        "Capacité de désendettement: outstanding debt over the gross savings of the same "
        "exercise, in years (12 years is the usual alert threshold for communes)."
    ),
    "years",
    _stock(ind.debt_years),
    ("tenant",),
    digits=1,
    higher_is_better=False,
)


def _latest(tenant_codes: tuple[str, ...]) -> date | None:
    from django.core.cache import cache

    from pilotis.warehouse import storage

    versions = [
        storage.current_version(c, t) for c in tenant_codes for t in finance_data.TABLES[:1]
    ]
    if all(v is None for v in versions):
        return None
    raw = f"{storage.warehouse_root()}:{tenant_codes}:{versions}"
    key = "finance-latest:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = finance_data.latest_day(finance_data.load(tenant_codes, with_population=False))
        cache.set(key, found or "none", 24 * 3600)
    return None if found in (None, "none") else found


def _latest_closed(tenant_codes: tuple[str, ...]) -> date | None:
    """Stocks are known at 31 December of a closed exercise."""
    day = _latest(tenant_codes)
    if day is None:
        return None
    return day if (day.month, day.day) == (12, 31) else date(day.year - 1, 12, 31)


register_headline(
    Headline(
        "finance.execution_rate",
        "finance:index",
        _latest,
        order=60,
        period=PeriodKind.YEAR_TO_DATE,
    )
)
register_headline(
    Headline(
        "finance.savings_rate",
        "finance:index",
        _latest,
        order=61,
        period=PeriodKind.ROLLING_YEAR,
        target=10.0,
    )
)
register_headline(
    Headline(
        "finance.debt_per_inhabitant",
        "finance:index",
        _latest_closed,
        order=62,
        period=PeriodKind.STOCK,
    )
)
register_headline(
    Headline(
        "finance.debt_years",
        "finance:index",
        _latest_closed,
        order=63,
        period=PeriodKind.STOCK,
        target=12.0,
    )
)
