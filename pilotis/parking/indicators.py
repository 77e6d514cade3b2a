"""Parking indicators over the hourly cells (see `pilotis.parking.data`): revenue by zone and
period, occupancy by zone × hour × day type, turnover, average paid duration, post-parking fine
(FPS) rates, and the share of hours above 85 % occupancy (saturation) and below 50 %
(under-use).

*Occupancy* is measured (sensors, car-park counts) where readings exist, else rebuilt from the
payments (paid occupancy: what was paid for, a floor of the real one) when the zone's capacity
is known. Shares of hours count the paid hours when a tariff grid is known, else 8:00–20:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pilotis.parking.data import Data

SATURATED, UNDERUSED = 0.85, 0.50
DAYTIME = range(8, 20)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Summary:
    revenue: float
    sessions: int
    mean_duration: float | None  # minutes
    occupancy: float | None  # mean, over the counted hours
    occupancy_source: str  # "measured", "paid" or ""
    saturated: float | None  # share of counted hours above 85 %
    underused: float | None  # share of counted hours below 50 %
    turnover: float | None  # sessions per space per day with paid hours
    fines: int
    fine_rate: float | None  # fines per 100 paid sessions
    fine_payment_rate: float | None  # share of the fines' amount paid
    entries: int  # daily counts (car-park gates)


def period_cells(data: Data, period: Period, zones: tuple[str, ...] = ()) -> pd.DataFrame:
    cells = data.cells
    if cells.empty:
        return cells
    mask = (cells["day"] >= period.start) & (cells["day"] <= period.end)
    if zones:
        mask &= cells["zone"].isin(zones)
    return cells[mask]


def occupancy_column(cells: pd.DataFrame) -> tuple[pd.Series, str]:
    """Measured occupancy where there is any, else paid occupancy."""
    if cells["occupancy"].notna().any():
        return cells["occupancy"], "measured"
    if cells["paid_rate"].notna().any():
        return cells["paid_rate"].clip(upper=1.0), "paid"
    return pd.Series(np.nan, index=cells.index), ""


def counted_hours(cells: pd.DataFrame) -> pd.Series:
    """The hours the occupancy shares count: paid ones when prices are known, else daytime."""
    if cells["price"].notna().any():
        return cells["price"] > 0
    return cells["hour"].isin(list(DAYTIME)) & (cells["day_type"] != "sunday")


def summary(data: Data, period: Period, zones: tuple[str, ...] = ()) -> Summary:
    cells = period_cells(data, period, zones)
    occupancy, source = occupancy_column(cells)
    counted = counted_hours(cells) & occupancy.notna() if len(cells) else pd.Series(dtype=bool)
    values = occupancy[counted] if len(cells) else pd.Series(dtype=float)
    sessions = int(cells["sessions"].sum()) if len(cells) else 0
    minutes = float(cells["minutes"].sum()) if len(cells) else 0.0
    fines = int(cells["fines"].sum()) if len(cells) else 0
    chosen = zones or tuple(data.zones)
    capacity = sum(data.zones[z].capacity or 0 for z in chosen if z in data.zones)
    paid_days = cells[cells["sessions"] > 0]["day"].nunique() if len(cells) else 0
    fines_frame = data.fines if not zones else data.fines[data.fines["zone"].isin(zones)]
    live = fines_frame[fines_frame["status"] != "cancelled"] if len(fines_frame) else fines_frame
    daily = data.daily
    if len(daily):
        daily = daily[(daily["day"] >= period.start) & (daily["day"] <= period.end)]
        if zones:
            daily = daily[daily["zone"].isin(zones)]
    return Summary(
        revenue=float(cells["revenue"].sum()) if len(cells) else 0.0,
        sessions=sessions,
        mean_duration=minutes / sessions if sessions else None,
        occupancy=float(values.mean()) if len(values) else None,
        occupancy_source=source if len(values) else "",
        saturated=float((values > SATURATED).mean()) if len(values) else None,
        underused=float((values < UNDERUSED).mean()) if len(values) else None,
        turnover=sessions / capacity / paid_days if capacity and paid_days else None,
        fines=fines,
        fine_rate=100 * fines / sessions if sessions and data.has_fines else None,
        fine_payment_rate=float(live["paid_amount"].fillna(0).sum() / live["amount"].sum())
        if len(live) and live["amount"].sum() > 0
        else None,
        entries=int(daily["entries"].fillna(0).sum()) if len(daily) else 0,
    )


def revenue_by_month(data: Data, period: Period, zones: tuple[str, ...] = ()) -> pd.DataFrame:
    """zone, month (first day), revenue, sessions, fines."""
    cells = period_cells(data, period, zones)
    if cells.empty or cells["sessions"].sum() == 0:
        return pd.DataFrame(columns=["zone", "month", "revenue", "sessions", "fines"])
    frame = cells.assign(month=cells["day"].map(lambda d: d.replace(day=1)))
    return (
        frame.groupby(["zone", "month"])[["revenue", "sessions", "fines"]]
        .sum()
        .reset_index()
        .sort_values(["month", "zone"])
    )


def heatmap(
    data: Data, period: Period, zones: tuple[str, ...] = (), day_type: str | None = None
) -> pd.DataFrame:
    """zone, day_type, hour, occupancy (mean), hours (cells counted)."""
    cells = period_cells(data, period, zones)
    if cells.empty:
        return pd.DataFrame(columns=["zone", "day_type", "hour", "occupancy", "hours"])
    occupancy, _source = occupancy_column(cells)
    frame = cells.assign(value=occupancy).dropna(subset=["value"])
    if day_type:
        frame = frame[frame["day_type"] == day_type]
    return (
        frame.groupby(["zone", "day_type", "hour"])
        .agg(occupancy=("value", "mean"), hours=("value", "count"))
        .reset_index()
    )


def by_zone(data: Data, period: Period) -> pd.DataFrame:
    """Per zone: revenue, sessions, mean duration, occupancy, saturation, under-use, fines."""
    rows = []
    for code in sorted(data.zones):
        s = summary(data, period, (code,))
        if not (s.sessions or s.occupancy is not None or s.entries):
            continue
        zone = data.zones[code]
        rows.append(
            {
                "zone": code,
                "name": zone.name,
                "kind": zone.kind,
                "capacity": zone.capacity,
                "revenue": s.revenue,
                "sessions": s.sessions,
                "mean_duration": s.mean_duration,
                "occupancy": s.occupancy,
                "saturated": s.saturated,
                "underused": s.underused,
                "turnover": s.turnover,
                "fines": s.fines,
                "entries": s.entries,
            }
        )
    return pd.DataFrame(rows)


def daily_flows(data: Data, period: Period) -> pd.DataFrame:
    """zone, month, entries, exits from daily counts (car-park gates)."""
    daily = data.daily
    if daily.empty:
        return pd.DataFrame(columns=["zone", "month", "entries", "exits"])
    daily = daily[(daily["day"] >= period.start) & (daily["day"] <= period.end)]
    frame = daily.assign(month=daily["day"].map(lambda d: d.replace(day=1)))
    return frame.groupby(["zone", "month"])[["entries", "exits"]].sum().reset_index()


def default_period(data: Data) -> Period | None:
    """The last twelve months of data (daily counts included)."""
    ends = []
    if len(data.cells):
        ends.append((min(data.cells["day"]), max(data.cells["day"])))
    if len(data.daily):
        ends.append((min(data.daily["day"]), max(data.daily["day"])))
    if not ends:
        return None
    first = min(e[0] for e in ends)
    last = max(e[1] for e in ends)
    return Period(max(first, last - timedelta(days=364)), last)
