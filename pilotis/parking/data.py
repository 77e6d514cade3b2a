# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""The parking data of a scope as pandas frames: zones, tariff grids, and the hourly cells every
indicator, the elasticity estimate and the simulator read.

A *cell* is one zone during one local hour (Europe/Paris) of one day. Its columns:
`occupancy` (mean share of spaces occupied, from sensors or counts; NaN without readings),
`paid_rate` (share of spaces paid for: the paid minutes of the sessions overlapping the hour,
over 60 × capacity; NaN without a capacity), `paid_hours` (paid space-hours), `sessions`
(payments starting in the hour), `minutes` and `log_minutes` (their paid durations, summed),
`revenue` (€ of those payments), `fines` and `fines_amount` (post-parking fines issued in the
hour), and `price` (€ for one hour in the grid in force; 0 when parking is free then; NaN when
no grid is known). DuckDB aggregates the large tables (a payment explodes into the hours it
overlaps there); pandas then joins the grids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pilotis.referential.calendar import public_holidays
from pilotis.warehouse import storage

TIMEZONE = "Europe/Paris"
TABLES = (
    "parking_zones",
    "parking_tariffs",
    "parking_payments",
    "parking_occupancy",
    "parking_fines",
)
DAY_TYPES = ("weekday", "saturday", "sunday")
KINDS = ("hyper_centre", "centre", "periphery", "residential")


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    kind: str | None  # None when the zone has no row in parking_zones
    capacity: int | None
    facility: str | None = None
    lat: float | None = None
    long: float | None = None


@dataclass(frozen=True)
class Tariff:
    """One band of a grid: the price of each duration step, from `start` to `end` o'clock."""

    zone: str
    day_type: str  # weekday, saturday, sunday or all
    start: time
    end: time
    steps: tuple[tuple[int, float], ...]  # (minutes, price), by minutes
    free_minutes: int = 0
    max_stay: int | None = None
    fps: float | None = None
    valid_from: date = date.min
    valid_to: date | None = None

    def cost(self, minutes: float) -> float:
        """What a stay of `minutes` costs: the first step covering its paid part (free minutes
        come first: with 30 free minutes, an hour costs the 30-minute step)."""
        billable = minutes - self.free_minutes
        if billable <= 0 or not self.steps:
            return 0.0
        for step, price in self.steps:
            if step >= billable - 1e-9:
                return price
        return self.steps[-1][1]

    @property
    def rate(self) -> float:
        """The price of one hour: the figure elasticities and tariff changes are stated in."""
        return self.cost(60)

    @property
    def max_price(self) -> float:
        """The price of the maximum stay — the grid's last step, what a stay of the longest
        allowed duration is charged (free minutes push that duration back, not the price) — the
        cap of the post-parking fine (FPS)."""
        return self.steps[-1][1] if self.steps else 0.0

    def hours(self) -> range:
        """The o'clock hours the band covers (an hour belongs to the band it starts in)."""
        end = 24 if self.end == time(0) or self.end <= self.start else self.end.hour
        return range(self.start.hour, end + (1 if self.end.minute else 0))

    def applies(self, day: date, day_type: str) -> bool:
        return (
            self.day_type in (day_type, "all")
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )


@dataclass
class Data:
    """Everything the parking page reads, for one scope."""

    zones: dict[str, Zone]
    tariffs: list[Tariff]
    cells: pd.DataFrame  # one row per zone × local day × hour (see the module docstring)
    daily: pd.DataFrame  # daily counts (entries, exits) by zone, day and segment
    fines: pd.DataFrame  # amount, paid_amount, status per fine (for payment rates)
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    step: int = 0  # the grid's purchase step (minutes) when durations are bought by steps
    # Sessions by zone, local day, hour of start and paid minutes (n): for median durations.
    bought: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_occupancy(self) -> bool:
        return bool(self.cells["occupancy"].notna().any()) if len(self.cells) else False

    @property
    def has_payments(self) -> bool:
        return self.tables.get("parking_payments", 0) > 0

    @property
    def has_tariffs(self) -> bool:
        return bool(self.tariffs)

    @property
    def has_fines(self) -> bool:
        return self.tables.get("parking_fines", 0) > 0

    @property
    def empty(self) -> bool:
        return not any(self.tables.values())


def day_type(day: date, holidays: set[date] | None = None) -> str:
    """weekday, saturday, or sunday (Sundays and French public holidays)."""
    holidays = public_holidays(day.year) if holidays is None else holidays
    if day.weekday() == 6 or day in holidays:
        return "sunday"
    return "saturday" if day.weekday() == 5 else "weekday"


def connect(tenant_codes: tuple[str, ...]) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    """A DuckDB session with one view per parking table over the tenants' Delta tables."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    counts = {}
    for table in TABLES:
        storage.register(con, table, list(tenant_codes), table)
        counts[table] = int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    return con, counts


def load(tenant_codes: tuple[str, ...]) -> Data:
    con, counts = connect(tenant_codes)
    try:
        return build(con, counts)
    finally:
        con.close()


def build(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> Data:
    zones = _zones(con)
    tariffs = _tariffs(con)
    step = purchase_step(con, tariffs)
    cells = _cells(con, zones, step)
    for code in cells["zone"].unique() if len(cells) else []:
        if code not in zones:
            zones[code] = Zone(code, code, None, None)
    zones = _with_observed_capacity(con, zones)
    if len(cells):
        capacity = cells["zone"].map(lambda z: zones[z].capacity).astype(float)
        cells["paid_rate"] = cells["paid_hours"] / capacity
        cells["price"] = _prices(cells, tariffs)
    daily = con.sql(
        "SELECT zone_code AS zone, CAST(observed_datetime AS DATE) AS day, segment, "
        "sum(entries) AS entries, sum(exits) AS exits FROM parking_occupancy "
        "WHERE period_minutes >= 1440 GROUP BY ALL ORDER BY ALL"
    ).df()
    fines = con.sql("SELECT zone_code AS zone, amount, paid_amount, status FROM parking_fines").df()
    bought = con.sql(
        "SELECT zone_code AS zone, CAST(start_datetime AS DATE) AS day, "
        "CAST(hour(start_datetime) AS INTEGER) AS hour, paid_minutes AS minutes, "
        "count(*) AS n FROM parking_payments WHERE paid_minutes > 0 AND amount > 0 "
        "GROUP BY ALL"
    ).df()
    if len(bought):
        bought["day"] = pd.to_datetime(bought["day"]).dt.date
    return Data(zones, tariffs, cells, daily, fines, counts, step, bought)


def _zones(con: duckdb.DuckDBPyConnection) -> dict[str, Zone]:
    rows = con.sql(
        "SELECT zone_code, name, kind, capacity, facility, lat, long FROM parking_zones "
        "ORDER BY zone_code"
    ).fetchall()
    return {
        code: Zone(code, name or code, kind, capacity, facility, lat, long)
        for code, name, kind, capacity, facility, lat, long in rows
    }


def _with_observed_capacity(con: duckdb.DuckDBPyConnection, zones: dict[str, Zone]) -> dict:
    """Zones without a capacity of their own take the largest capacity their readings give."""
    observed = dict(
        con.sql(
            "SELECT zone_code, max(capacity) FROM parking_occupancy "
            "WHERE capacity IS NOT NULL GROUP BY zone_code"
        ).fetchall()
    )
    out = {}
    for code, zone in zones.items():
        if zone.capacity is None and observed.get(code):
            zone = Zone(zone.code, zone.name, zone.kind, int(observed[code]), zone.facility)
        out[code] = zone
    for code, capacity in observed.items():
        if code not in out and capacity:
            out[code] = Zone(code, code, None, int(capacity))
    return out


def _tariffs(con: duckdb.DuckDBPyConnection) -> list[Tariff]:
    rows = con.sql(
        "SELECT zone_code, day_type, band_start, band_end, valid_from, valid_to, "
        "list(struct_pack(m := step_minutes, p := price) ORDER BY step_minutes), "
        "max(free_minutes), max(max_stay_minutes), max(fps_amount) "
        "FROM parking_tariffs GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return [
        Tariff(
            zone=zone,
            day_type=kind,
            start=_time(start),
            end=_time(end),
            steps=tuple((int(s["m"]), float(s["p"])) for s in steps),
            free_minutes=int(free or 0),
            max_stay=max_stay,
            fps=fps,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        for zone, kind, start, end, valid_from, valid_to, steps, free, max_stay, fps in rows
    ]


# The end of a paid stay, to the microsecond.
STAY_END = "start_datetime + to_microseconds(CAST(round(paid_minutes * 60000000) AS BIGINT))"


def _time(value: Any) -> time:
    """A band's bound: stored as ISO text ("09:00:00"), Delta Lake having no time type."""
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def purchase_step(con: duckdb.DuckDBPyConnection, tariffs: list[Tariff]) -> int:
    """The grid's duration step (minutes) when nearly every paid duration is a multiple of it —
    drivers then buy the step above the stay they want — else 0."""
    steps = {t.steps[0][0] for t in tariffs if t.steps}
    if len(steps) != 1:
        return 0
    step = steps.pop()
    share = con.sql(
        f"SELECT avg(CASE WHEN paid_minutes % {int(step)} = 0 THEN 1.0 ELSE 0 END) "
        "FROM parking_payments WHERE paid_minutes > 0 AND amount > 0"
    ).fetchall()[0][0]
    return int(step) if share is not None and share >= 0.95 else 0


def _cells(con: duckdb.DuckDBPyConnection, zones: dict[str, Zone], step: int = 0) -> pd.DataFrame:
    """The hourly cells of every zone (see the module docstring). With a purchase `step`, the
    log durations are those of the middle of each bought step (a 60-minute ticket covers a stay
    of 45 to 60 minutes with 15-minute steps): rounding up would otherwise bias elasticities of
    duration towards zero."""
    wanted = f"greatest(paid_minutes - {step / 2}, 1)" if step else "paid_minutes"
    sql = f"""
    WITH readings AS (
        SELECT zone_code AS zone, date_trunc('hour', observed_datetime) AS hour_start,
               avg(occupied) AS occupied, max(capacity) AS reading_capacity
        FROM parking_occupancy
        WHERE period_minutes < 1440 AND occupied IS NOT NULL
          AND coalesce(position('over_capacity' IN data_flags), 0) = 0
        GROUP BY ALL
    ), starts AS (
        -- Revenue counts every payment; sessions and durations only those that bought time.
        SELECT zone_code AS zone, date_trunc('hour', start_datetime) AS hour_start,
               count(*) FILTER (WHERE paid_minutes > 0) AS sessions,
               coalesce(sum(paid_minutes) FILTER (WHERE paid_minutes > 0), 0) AS minutes,
               coalesce(sum(ln({wanted})) FILTER (WHERE paid_minutes > 0), 0) AS log_minutes,
               sum(amount) AS revenue
        FROM parking_payments WHERE amount > 0
        GROUP BY ALL
    ), overlap AS (
        SELECT zone, hour_start,
               sum(epoch(least(finish, hour_start + INTERVAL 1 HOUR)
                         - greatest(start_datetime, hour_start)) / 3600.0) AS paid_hours
        FROM (
            SELECT zone_code AS zone, start_datetime, {STAY_END} AS finish,
                   unnest(generate_series(date_trunc('hour', start_datetime), {STAY_END},
                       INTERVAL 1 HOUR)) AS hour_start
            FROM parking_payments WHERE paid_minutes > 0 AND amount > 0
        )
        WHERE hour_start < finish
        GROUP BY ALL
    ), fined AS (
        SELECT zone_code AS zone, date_trunc('hour', issued_datetime) AS hour_start,
               count(*) AS fines, sum(amount) AS fines_amount
        FROM parking_fines WHERE status <> 'cancelled' GROUP BY ALL
    ), keys AS (
        SELECT zone, hour_start FROM readings UNION SELECT zone, hour_start FROM starts
        UNION SELECT zone, hour_start FROM overlap UNION SELECT zone, hour_start FROM fined
    )
    SELECT k.zone, CAST(k.hour_start AS DATE) AS day, CAST(hour(k.hour_start) AS INTEGER) AS hour,
           r.occupied, r.reading_capacity,
           coalesce(s.sessions, 0) AS sessions, coalesce(s.minutes, 0) AS minutes,
           coalesce(s.log_minutes, 0) AS log_minutes, coalesce(s.revenue, 0) AS revenue,
           coalesce(o.paid_hours, 0) AS paid_hours,
           coalesce(f.fines, 0) AS fines, coalesce(f.fines_amount, 0) AS fines_amount
    FROM keys k
    LEFT JOIN readings r USING (zone, hour_start)
    LEFT JOIN starts s USING (zone, hour_start)
    LEFT JOIN overlap o USING (zone, hour_start)
    LEFT JOIN fined f USING (zone, hour_start)
    ORDER BY k.zone, k.hour_start
    """
    cells = con.sql(sql).df()
    if cells.empty:
        return _empty_cells()
    cells["day"] = pd.to_datetime(cells["day"]).dt.date
    capacity = cells["zone"].map(lambda z: zones[z].capacity if z in zones else None)
    capacity = capacity.astype(float).fillna(cells["reading_capacity"].astype(float))
    cells["occupancy"] = (cells["occupied"] / capacity.where(capacity > 0)).clip(upper=1.0)
    years = {d.year for d in cells["day"]}
    holidays = set().union(*(public_holidays(y) for y in years))
    types = {d: day_type(d, holidays) for d in set(cells["day"])}
    cells["day_type"] = cells["day"].map(types)
    cells["month"] = cells["day"].map(lambda d: d.month)
    cells["paid_rate"] = np.nan
    cells["price"] = np.nan
    return cells.drop(columns=["occupied", "reading_capacity"])


def _empty_cells() -> pd.DataFrame:
    columns = [
        "zone",
        "day",
        "hour",
        "sessions",
        "minutes",
        "log_minutes",
        "revenue",
        "paid_hours",
        "fines",
        "fines_amount",
        "occupancy",
        "day_type",
        "month",
        "paid_rate",
        "price",
    ]
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


def _prices(cells: pd.DataFrame, tariffs: list[Tariff]) -> pd.Series:
    """The one-hour price in force in each cell: 0 outside the grid's bands in a zone that has
    a grid, NaN in a zone without any."""
    priced_zones = {t.zone for t in tariffs}
    prices = pd.Series(np.where(cells["zone"].isin(priced_zones), 0.0, np.nan), index=cells.index)
    if not tariffs:
        return prices
    for tariff in tariffs:
        hours = list(tariff.hours())
        mask = (
            (cells["zone"] == tariff.zone)
            & cells["hour"].isin(hours)
            & (cells["day"] >= tariff.valid_from)
            & (
                cells["day"] <= tariff.valid_to
                if tariff.valid_to is not None
                else pd.Series(True, index=cells.index)
            )
        )
        if tariff.day_type != "all":
            mask &= cells["day_type"] == tariff.day_type
        prices[mask] = tariff.rate
    return prices


def tariffs_on(tariffs: list[Tariff], day: date) -> list[Tariff]:
    """The grids in force on `day`."""
    return [t for t in tariffs if t.valid_from <= day and (t.valid_to is None or day <= t.valid_to)]


def tariff_at(tariffs: list[Tariff], zone: str, day_type_: str, hour: int) -> Tariff | None:
    """The band of `zone` covering `hour` on a day of `day_type_` among `tariffs`."""
    for tariff in tariffs:
        if tariff.zone == zone and tariff.day_type in (day_type_, "all") and hour in tariff.hours():
            return tariff
    return None


def local_now() -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(TIMEZONE))


def last_year(cells: pd.DataFrame) -> tuple[date, date] | None:
    """The last 365 days with data: what "today" means for indicators and simulations."""
    if cells.empty:
        return None
    end = max(cells["day"])
    start = max(min(cells["day"]), end - timedelta(days=364))
    return start, end


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]
