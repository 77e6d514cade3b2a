"""The finance indicators over any period, computed from `pilotis.finance.data.Data`.

Which figures a period counts, for each tenant and exercise Y:
- when Y has final accounts (CA from the budget XML or the SCDL file, else the DGFiP balance
  BAL), each of its months that ends in the period counts for 1/12 of the year (a whole year
  counts once; a rolling year straddling two exercises takes its share of each);
- else, when Y has monthly execution (EXEC), the months that end in the period count, with the
  credits opened at the last of them;
- budgets (BP, BS, DM) give credits only: the execution rate of a year without any execution is
  unknown, not zero.
Stocks (outstanding debt) are read at the last exercise closed on or before the period's end.
Real flows leave out order operations (chapters 021/023, 040/042, 041/043) and carried results.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pilotis.finance.data import Data

ANNUAL = ("CA", "BAL")
EQUIPMENT_CHAPTERS = ("20", "204", "21", "23")
STAFF_CHAPTER = "012"
# Debt: the borrowings (16) but accrued interest (1688) and the bonds' premiums (169).
DEBT_EXCLUDED = ("1688", "169")
# Sales of assets (775 in M14) are not operating revenue.
CESSIONS = ("775",)


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def _month_ends(year: int, period: Period) -> list[int]:
    months = []
    for month in range(1, 13):
        end = date(year, month, calendar.monthrange(year, month)[1])
        if period.start <= end <= period.end:
            months.append(month)
    return months


def executed_lines(data: Data, period: Period) -> pd.DataFrame:
    """The lines the period counts, with `executed`, `committed` and `budgeted` weighted (see
    the module docstring). Columns as in budget_lines, plus `tenant` and `heading`."""
    lines = data.lines
    if lines.empty:
        return lines.assign(weight=pd.Series(dtype=float))
    parts = []
    for (tenant, year), group in lines.groupby(["tenant", "exercise"], sort=True):
        months = _month_ends(int(year), period)
        if not months:
            continue
        stages = set(group["stage"])
        annual = next((s for s in ANNUAL if s in stages), None)
        if annual is not None:
            chosen = group[group["stage"] == annual].copy()
            share = len(months) / 12
            for column in ("executed", "committed", "budgeted"):
                chosen[column] = chosen[column] * share
            parts.append(chosen)
            continue
        monthly = group[(group["stage"] == "EXEC") & group["month"].isin(months)]
        if monthly.empty:
            continue
        last = int(monthly["month"].max())
        flows = monthly.groupby(KEY, dropna=False)[["executed", "committed"]].sum(min_count=1)
        credits = monthly[monthly["month"] == last].set_index(KEY)[["budgeted"]]
        merged = flows.join(credits, how="outer").reset_index()
        merged["stage"] = "EXEC"
        merged["exercise"] = int(year)
        merged["tenant"] = tenant
        parts.append(merged)
    if not parts:
        return lines.iloc[0:0]
    return pd.concat(parts, ignore_index=True)


KEY = [
    "section",
    "direction",
    "chapter",
    "article",
    "function",
    "is_real",
    "heading",
    "nomenclature",
]


def real(frame: pd.DataFrame, section: str, direction: str) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[
        (frame["section"] == section) & (frame["direction"] == direction) & frame["is_real"]
    ]


def _sum(frame: pd.DataFrame, column: str = "executed") -> float | None:
    if frame.empty or frame[column].isna().all():
        return None
    return float(frame[column].sum())


def operating_expenses(frame: pd.DataFrame) -> pd.DataFrame:
    return real(frame, "F", "D")


def operating_revenue(frame: pd.DataFrame) -> pd.DataFrame:
    revenue = real(frame, "F", "R")
    if revenue.empty:
        return revenue
    return revenue[~revenue["article"].str.startswith(CESSIONS)]


def staff_costs(frame: pd.DataFrame) -> pd.DataFrame:
    expenses = operating_expenses(frame)
    return expenses[expenses["chapter"] == STAFF_CHAPTER] if len(expenses) else expenses


def equipment(frame: pd.DataFrame) -> pd.DataFrame:
    spending = real(frame, "I", "D")
    return spending[spending["chapter"].isin(EQUIPMENT_CHAPTERS)] if len(spending) else spending


def gross_savings(frame: pd.DataFrame) -> float | None:
    """Épargne brute: real operating revenue minus real operating expenses."""
    revenue, expenses = _sum(operating_revenue(frame)), _sum(operating_expenses(frame))
    if revenue is None or expenses is None:
        return None
    return revenue - expenses


def savings_rate(frame: pd.DataFrame) -> float | None:
    revenue = _sum(operating_revenue(frame))
    savings = gross_savings(frame)
    if savings is None or not revenue:
        return None
    return savings / revenue


def execution_rate(frame: pd.DataFrame) -> float | None:
    """Executed ÷ credits opened, on the real expense lines (both sections) of the frame."""
    if frame.empty:
        return None
    spent = frame[(frame["direction"] == "D") & frame["is_real"]]
    budgeted = _sum(spent, "budgeted")
    executed = _sum(spent)
    if not budgeted or executed is None:
        return None
    return executed / budgeted


def debt(data: Data, end: date) -> tuple[int, float] | None:
    """(exercise, outstanding debt at its 31 December) for the last exercise closed by `end`."""
    balances = data.balances
    if balances.empty:
        return None
    years = balances["exercise"].astype(int)
    closed = balances[[date(int(y), 12, 31) <= end for y in years]]
    if closed.empty:
        return None
    year = int(closed["exercise"].max())
    rows = closed[(closed["exercise"].astype(int) == year) & closed["article"].str.startswith("16")]
    rows = rows[~rows["article"].str.startswith(DEBT_EXCLUDED)]
    amount = float(rows["closing_balance"].fillna(0).sum())
    return year, amount


def debt_years(data: Data, end: date) -> float | None:
    """Capacité de désendettement: outstanding debt ÷ gross savings of the same exercise."""
    found = debt(data, end)
    if found is None:
        return None
    year, amount = found
    savings = gross_savings(executed_lines(data, Period(date(year, 1, 1), date(year, 12, 31))))
    if savings is None or savings <= 0:
        return None
    return amount / savings


def per_inhabitant(value: float | None, population: int | None) -> float | None:
    if value is None or not population:
        return None
    return value / population


def by_year(data: Data) -> pd.DataFrame:
    """One row per exercise with the main annual figures (whole years only)."""
    if data.lines.empty:
        return pd.DataFrame()
    rows = []
    for year in sorted(data.lines["exercise"].unique()):
        year = int(year)
        frame = executed_lines(data, Period(date(year, 1, 1), date(year, 12, 31)))
        if frame.empty:
            continue
        stages = sorted(set(frame["stage"]))
        months = 12
        if stages == ["EXEC"]:
            months = int(
                data.lines[(data.lines["exercise"] == year) & (data.lines["stage"] == "EXEC")][
                    "month"
                ].max()
            )
        rows.append(
            {
                "exercise": year,
                "complete": months == 12,
                "months": months,
                "revenue": _sum(operating_revenue(frame)),
                "expenses": _sum(operating_expenses(frame)),
                "staff": _sum(staff_costs(frame)),
                "equipment": _sum(equipment(frame)),
                "savings": gross_savings(frame),
                "execution_rate": execution_rate(frame),
            }
        )
    return pd.DataFrame(rows)


def by_heading(frame: pd.DataFrame) -> pd.DataFrame:
    """Real expenses (both sections) by M57 function heading."""
    spent = frame[(frame["direction"] == "D") & frame["is_real"]] if len(frame) else frame
    if spent.empty:
        return pd.DataFrame(columns=["heading", "executed"])
    return spent.groupby(spent["heading"].fillna("?"))["executed"].sum().reset_index()
