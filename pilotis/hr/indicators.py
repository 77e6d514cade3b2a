"""The HR indicators, computed from the frames of `pilotis.hr.data` for any period and scope.

- headcount, FTE: a STOCK, read in the last monthly snapshot up to the end of the period;
- average headcount: for each tenant, the mean over the months of the period of the agents paid
  that month, summed over the tenants;
- absence days: each absence's days × the share of its calendar days that fall in the period;
- absence rate: absence days ÷ theoretical working days (each agent × each month of the period:
  the Monday-to-Friday days of the month, public holidays excluded, within the period);
- turnover: (arrivals + departures) ÷ 2 ÷ average headcount;
- per agent (absence and training days): the days ÷ average headcount.
Flows (absences, training, movements) take the service, category and status of the agent in the
month they start (or the nearest month known).

Privacy: a figure about fewer than `MIN_GROUP` agents is withheld (None), so that no page or
export tells anything about one agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pilotis.hr.data import POPULATION, Data
from pilotis.referential.calendar import public_holidays

MIN_GROUP = 5
REASONS = ("ordinary_sickness", "long_sickness", "work_accident", "parenthood", "other")
CATEGORIES = ("A", "B", "C")
STATUSES = ("tenured", "contract", "other")


@dataclass(frozen=True)
class Scope:
    """Which period, which agents (service, category, status) and which absence reasons."""

    start: date
    end: date
    population: dict[str, tuple[str, ...]] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    def narrowed(self, **changes: object) -> Scope:
        values = {"start": self.start, "end": self.end, "reasons": self.reasons}
        population = dict(self.population)
        for key, value in changes.items():
            if key in POPULATION:
                population[key] = value  # type: ignore[assignment]
            else:
                values[key] = value
        return Scope(population=population, **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Figure:
    value: float | None
    agents: int  # the size of the group the figure is about

    @property
    def suppressed(self) -> bool:
        return self.agents < MIN_GROUP and self.agents > 0


def month_start(day: date) -> pd.Timestamp:
    return pd.Timestamp(day.year, day.month, 1)


def month_starts(start: date, end: date) -> list[pd.Timestamp]:
    return list(pd.date_range(month_start(start), month_start(end), freq="MS"))


def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days from start to end (included), French public holidays excluded."""
    if end < start:
        return 0
    holidays = set().union(*(public_holidays(y) for y in range(start.year, end.year + 1)))
    days = np.busday_count(start, end + timedelta(days=1))
    return int(days) - sum(1 for h in holidays if start <= h <= end and h.weekday() < 5)


def filter_population(frame: pd.DataFrame, population: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for column, values in population.items():
        if values:
            mask &= frame[column].isin(values).to_numpy()
    return frame[mask]


def stock(data: Data, scope: Scope) -> pd.DataFrame:
    """The agents in post at the end of the period: each tenant's last snapshot up to then."""
    p = data.positions
    known = p[p["month"] <= month_start(scope.end)]
    if known.empty:
        return known
    last = known.groupby("tenant")["month"].transform("max")
    return filter_population(known[known["month"] == last], scope.population)


def monthly(data: Data, scope: Scope) -> pd.DataFrame:
    """The positions of the months of the period, of the agents in scope."""
    p = data.positions
    inside = p[(p["month"] >= month_start(scope.start)) & (p["month"] <= month_start(scope.end))]
    return filter_population(inside, scope.population)


def average_headcount(rows: pd.DataFrame) -> float:
    if rows.empty:
        return 0.0
    per_month = rows.groupby(["tenant", "month"])["agent"].nunique()
    return float(per_month.groupby(level="tenant").mean().sum())


def attributed(data: Data, table: str, column: str) -> pd.DataFrame:
    """The rows of a flow table with the agent's service, category and status at `column`'s
    month (the last snapshot before, else the first after). Computed once per Data."""
    cache = data.__dict__.setdefault("_attributed", {})
    if table in cache:
        return cache[table]
    flows = getattr(data, table).copy()
    flows["_order"] = np.arange(len(flows))
    flows["month"] = flows[column].dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    people = data.positions[["agent", "month", *POPULATION]].sort_values("month")
    people = people.astype({"month": "datetime64[ns]"})
    flows = flows.sort_values("month")
    found = pd.DataFrame(index=flows.index)
    if len(flows) and len(people):
        for direction in ("backward", "forward"):
            joined = pd.merge_asof(
                flows[["month", "agent"]].reset_index(),
                people,
                on="month",
                by="agent",
                direction=direction,
            ).set_index("index")
            for name in POPULATION:
                base = found[name] if name in found else pd.Series(None, index=flows.index)
                found[name] = base.combine_first(joined[name])
    for name in POPULATION:
        flows[name] = found[name] if name in found else None
    flows = flows.sort_values("_order").drop(columns=["_order"])
    cache[table] = flows
    return flows


def absence_days(data: Data, scope: Scope) -> float:
    rows = filter_population(attributed(data, "absences", "start"), scope.population)
    if scope.reasons:
        rows = rows[rows["reason"].isin(scope.reasons)]
    if rows.empty:
        return 0.0
    lo, hi = pd.Timestamp(scope.start), pd.Timestamp(scope.end)
    first = rows["start"].where(rows["start"] > lo, lo)
    last = rows["end"].where(rows["end"] < hi, hi)
    overlap = ((last - first).dt.days + 1).clip(lower=0)
    span = ((rows["end"] - rows["start"]).dt.days + 1).clip(lower=1)
    return float((rows["days"] * overlap / span).sum())


def theoretical_days(rows: pd.DataFrame, scope: Scope) -> float:
    """Working days the agents of `rows` (one per agent and month) owed in the period."""
    if rows.empty:
        return 0.0
    owed = {}
    for month in rows["month"].unique():
        first = max(pd.Timestamp(month).date(), scope.start)
        last = min((pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date(), scope.end)
        owed[month] = working_days(first, last)
    return float(rows["month"].map(owed).sum())


def flow_sum(data: Data, table: str, scope: Scope, kind: str | None = None) -> float:
    rows = filter_population(attributed(data, table, "date"), scope.population)
    inside = rows[
        (rows["date"] >= pd.Timestamp(scope.start)) & (rows["date"] <= pd.Timestamp(scope.end))
    ]
    if kind is not None:
        return float((inside["kind"] == kind).sum())
    return float(inside["days"].sum())


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


def figure(data: Data, name: str, scope: Scope) -> Figure:
    """One indicator (`headcount`, `fte`, `absence_days`, `absence_days_per_agent`,
    `absence_rate`, `turnover`, `arrivals`, `departures`, `training_days_per_agent`) over the
    scope, withheld when it is about fewer than MIN_GROUP agents."""
    if name in ("headcount", "fte"):
        rows = stock(data, scope)
        agents = int(rows["agent"].nunique())
        value: float | None = float(agents) if name == "headcount" else float(rows["fte"].sum())
    else:
        rows = monthly(data, scope)
        agents = int(rows["agent"].nunique())
        average = average_headcount(rows)
        if name == "absence_days":
            value = absence_days(data, scope)
        elif name == "absence_days_per_agent":
            value = _ratio(absence_days(data, scope), average)
        elif name == "absence_rate":
            value = _ratio(absence_days(data, scope), theoretical_days(rows, scope))
        elif name in ("arrivals", "departures"):
            value = flow_sum(data, "movements", scope, name.removesuffix("s"))
        elif name == "turnover":
            moves = flow_sum(data, "movements", scope, "arrival") + flow_sum(
                data, "movements", scope, "departure"
            )
            value = _ratio(moves / 2, average)
        elif name == "training_days_per_agent":
            value = _ratio(flow_sum(data, "training", scope), average)
        else:
            raise KeyError(name)
    if agents < MIN_GROUP:
        value = 0.0 if agents == 0 and name in ("headcount", "fte") else None
    return Figure(value, agents)


def keys(data: Data, dimension: str, scope: Scope) -> list[str]:
    """The values of `dimension` found in the period (months as "YYYY-MM")."""
    if dimension == "month":
        return [m.strftime("%Y-%m") for m in month_starts(scope.start, scope.end)]
    if dimension == "reason":
        return list(REASONS)
    rows = monthly(data, scope)
    found = rows[dimension].dropna().unique().tolist()
    order = {"category": CATEGORIES, "status": STATUSES}.get(dimension)
    if order:
        return [k for k in order if k in found]
    return sorted(found)


def scope_of(scope: Scope, dimension: str, key: str) -> Scope:
    """The scope narrowed to one value of `dimension`."""
    if dimension == "month":
        first = pd.Timestamp(key + "-01").date()
        last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
        return scope.narrowed(start=max(first, scope.start), end=min(last, scope.end))
    if dimension == "reason":
        return scope.narrowed(reasons=(key,))
    return scope.narrowed(**{dimension: (key,)})


def default_period(data: Data) -> tuple[date, date] | None:
    """The twelve months up to the last month with positions."""
    if data.empty:
        return None
    last = data.positions["month"].max()
    end = (last + pd.offsets.MonthEnd(0)).date()
    start = (last - pd.DateOffset(months=11)).date()
    return max(start, data.positions["month"].min().date()), end
