# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""The core indicators of citizen requests: volumes, backlog, trends, time to close, on-time rate,
first response, reopened requests and data quality — plain functions over a `Database`.

Every indicator is one query (two for time to close's neighbours, none needs a correlated
subquery) in the SQL DuckDB and PostgreSQL share, so the benchmark compares the two engines on the
same text. Where they differ, `seconds()` is the one place that branches: DuckDB's `extract(epoch
…)` on a TIMESTAMPTZ goes through ICU (slow on millions of rows), PostgreSQL's `extract` returns a
numeric (slow too); `epoch_us` and `date_part` give a double in each.

Conventions shared by all indicators:

- a request belongs to a period when it was *requested* in it (local days, Europe/Paris);
- a request is open during [requested, closed): open at the end of day d when requested before
  midnight after d and not closed before that midnight; open at an instant x when requested at or
  before x and not closed at or before x. A request closed before it was requested is never open;
- durations are elapsed time (a DST night has 23 or 25 hours), in days of 86,400 seconds;
- delays (time to close, on-time rate) leave out the data traps (`data.delays_sql()`) and any
  request closed before it was requested (even unflagged: older loads carry no flags);
- `by` is one of `data.DIMENSIONS` or None. Each result holds the figure for all requests
  (`total`) and one per value of the dimension (`groups`, sorted by value, NULL last, with
  key None); results are dataclasses that `dataclasses.asdict` turns into JSON-ready dicts (dates
  as ISO strings, no NaN).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from pilotis.requests import survival
from pilotis.requests.data import (
    DELAY_EXCLUDING_FLAGS,
    DIMENSIONS,
    TIMEZONE,
    VIEW,
    Database,
    Period,
    delays_sql,
    lit,
)
from pilotis.warehouse.storage import ident

PARIS = ZoneInfo(TIMEZONE)
GRAINS = ("day", "week", "month", "year")
DAY = 86_400
# Backlog age bands: under 48 hours, 48 hours to 10 days (both included), over 10 days.
AGE_RECENT = 2 * DAY
AGE_OLD = 10 * DAY
DEFAULT_TARGET_DAYS = 10.0
# Time to close: durations are binned on a logarithmic scale, 1 % wide (see `time_to_close`).
DEFAULT_PRECISION = 0.01
# Up to this many requests in a period, times to close use exact durations (see time_to_close).
EXACT_DURATIONS_UP_TO = 200_000

T = TypeVar("T")


# --- SQL helpers ------------------------------------------------------------------------------


def seconds(db: Database, column: str) -> str:
    """Seconds since 1970-01-01 UTC of a TIMESTAMPTZ expression, as a double — the only
    expression written differently for each engine (see the module docstring)."""
    if db.dialect == "duckdb":
        return f"(epoch_us({column}) / 1e6)"
    if db.dialect == "postgres":
        return f"date_part('epoch', {column})"
    raise ValueError(f"unknown SQL dialect {db.dialect!r}")


def aware(moment: datetime) -> datetime:
    """`moment` with its time zone; a naive datetime is local (Europe/Paris) time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def instant(moment: datetime) -> str:
    """A TIMESTAMPTZ literal both engines read. (`data.lit` takes a datetime for a date.)"""
    return f"CAST({lit(aware(moment).isoformat())} AS TIMESTAMP WITH TIME ZONE)"


def midnight(day: date) -> datetime:
    """The instant local day `day` starts."""
    return datetime.combine(day, time(0), tzinfo=PARIS)


def day_start(day: date) -> str:
    """The instant local day `day` starts, as SQL (the session is in Europe/Paris)."""
    return f"CAST({lit(day)} AS TIMESTAMP WITH TIME ZONE)"


@lru_cache(maxsize=256)
def utc_offsets(first: date, last: date) -> tuple[tuple[int, int], ...]:
    """((since, offset), …): the UTC offset in seconds of the local zone in force from instant
    `since` (epoch seconds) on, for the instants from local `first` to the end of `last`."""
    start = int(midnight(first).timestamp())
    end = int(midnight(last + timedelta(days=1)).timestamp())

    def offset(at: int) -> int:
        delta = datetime.fromtimestamp(at, PARIS).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    segments = [(start, offset(start))]
    at = start
    while at < end:
        following = min(at + DAY, end)
        if offset(following) != segments[-1][1]:
            low, high = at, following  # the change happens in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == segments[-1][1] else (low, middle)
            segments.append((high, offset(high)))
        at = following
    return tuple(segments)


def local_day(db: Database, column: str, first: date, last: date) -> str:
    """The local day of a TIMESTAMPTZ expression as a day number (days since 1970-01-01),
    exact for instants from `first` to the end of `last`.

    Why arithmetic rather than `CAST(x AS DATE)`: DuckDB converts each value through ICU, five
    times slower on millions of rows than adding the UTC offset in force (one CASE over the few
    DST changes of the range) to the epoch seconds."""
    epoch = seconds(db, column)
    segments = utc_offsets(first, last)
    offset = str(segments[0][1])
    if len(segments) > 1:
        whens = " ".join(
            f"WHEN {epoch} < {since} THEN {previous}"
            for (since, _), (_, previous) in zip(segments[1:], segments, strict=False)
        )
        offset = f"CASE {whens} ELSE {segments[-1][1]} END"
    return f"CAST(floor(({epoch} + {offset}) / {DAY}) AS INTEGER)"


def bucket_sql(grain: str, day_number: str) -> str:
    """The first day of the `grain` bucket of a day number, as a DATE (weeks start on Monday)."""
    day = f"(DATE '1970-01-01' + {day_number})"
    if grain == "day":
        return day
    return f"CAST(date_trunc({lit(grain)}, {day}) AS DATE)"


def bucket_start(day: date, grain: str) -> date:
    """The first day of the `grain` bucket holding `day` — what `bucket_sql` computes."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def buckets(period: Period, grain: str) -> list[date]:
    """The first days of the buckets overlapping the period (the first and last may be partial:
    a bucket's value covers only the period's days)."""
    _check_grain(grain)
    result = [bucket_start(period.start, grain)]
    while True:
        day = result[-1]
        if grain == "day":
            following = day + timedelta(days=1)
        elif grain == "week":
            following = day + timedelta(days=7)
        elif grain == "month":
            following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            following = day.replace(year=day.year + 1)
        if following > period.end:
            return result
        result.append(following)


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"unknown time grain {grain!r} (expected one of {', '.join(GRAINS)})")


def _key(by: str | None) -> str:
    if by is None:
        return "NULL"
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r} (expected one of {', '.join(DIMENSIONS)})")
    return ident(by)


def _closed_after_requested() -> str:
    return "(closed_datetime IS NULL OR closed_datetime >= requested_datetime)"


def _grouped(
    db: Database, by: str | None, source: str, aggregates: str
) -> tuple[tuple[Any, ...], list[tuple[str | None, tuple[Any, ...]]]]:
    """Run `aggregates` over `source` (a query whose column `k` is the dimension) for all rows
    and, with `by`, per value of `k` in the same scan (GROUPING SETS). Returns the total's
    aggregates and [(key, aggregates)] sorted by key, NULL last."""
    if by is None:
        return db.rows(f"SELECT {aggregates} FROM ({source}) AS s")[0], []
    rows = db.rows(
        f"SELECT grouping(k) AS g, k, {aggregates} FROM ({source}) AS s "
        "GROUP BY GROUPING SETS ((), (k))"
    )
    total = next(tuple(row[2:]) for row in rows if row[0] == 1)
    groups = [(_str(row[1]), tuple(row[2:])) for row in rows if row[0] == 0]
    return total, sorted(groups, key=_key_order)


def _key_order(item: tuple[str | None, Any]) -> tuple[bool, str]:
    return (item[0] is None, item[0] or "")


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int:
    return 0 if value is None else int(value)  # type: ignore[call-overload]


def _float(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) or math.isinf(number) else number


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _change(current: int, base: int) -> float | None:
    """Relative change, None when the base is 0."""
    return (current - base) / base if base else None


@dataclass(frozen=True)
class Breakdown(Generic[T]):
    """An indicator for all requests (`total`) and per value of a dimension (`groups`)."""

    by: str | None
    total: T
    groups: list[T]


def _breakdown(
    db: Database,
    by: str | None,
    source: str,
    aggregates: str,
    make: Callable[[str | None, tuple[Any, ...]], T],
) -> Breakdown[T]:
    total, groups = _grouped(db, by, source, aggregates)
    return Breakdown(by, make(None, total), [make(key, values) for key, values in groups])


@dataclass(frozen=True)
class Point:
    """One point of a time series: the bucket's first day (ISO), its value, its group."""

    bucket: str
    value: int
    group: str | None = None


# --- 1. Volume --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    key: str | None
    requests: int
    share: float | None  # of all requests of the period


def volume(db: Database, period: Period, by: str | None = None) -> Breakdown[Count]:
    """How many requests were made in the period, in all and per value of `by`."""
    total, groups = _grouped(
        db, by, f"SELECT {_key(by)} AS k FROM {VIEW} WHERE {period.sql()}", "count(*)"
    )
    whole = _int(total[0])
    return Breakdown(
        by,
        Count(None, whole, 1.0 if whole else None),
        [Count(key, _int(v[0]), _ratio(_int(v[0]), whole)) for key, v in groups],
    )


def volume_series(db: Database, period: Period, grain: str, by: str | None = None) -> list[Point]:
    """Requests made per `grain` bucket of the period (zeros included), per value of `by`."""
    _check_grain(grain)
    day = local_day(db, "requested_datetime", period.start, period.end)
    rows = db.rows(
        f"SELECT k, {bucket_sql(grain, 'd')} AS b, sum(n) AS n FROM ("
        f"SELECT {_key(by)} AS k, {day} AS d, count(*) AS n FROM {VIEW} "
        f"WHERE {period.sql()} GROUP BY k, d) AS days GROUP BY k, b"
    )
    counts: dict[str | None, dict[date, int]] = defaultdict(dict)
    for key, bucket, n in rows:
        counts[_str(key)][bucket] = _int(n)
    if not counts:
        counts[None] = {}
    return [
        Point(bucket.isoformat(), counts[key].get(bucket, 0), key)
        for key in sorted(counts, key=lambda k: (k is None, k or ""))
        for bucket in buckets(period, grain)
    ]


# --- 2. Backlog -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    key: str | None
    at_start: int  # open at the end of the day before the period
    at_end: int  # open at the end of the period's last day
    change: int


def backlog(db: Database, period: Period, by: str | None = None) -> Breakdown[Backlog]:
    """Requests open before the period started and at its end (one scan)."""
    start, end = day_start(period.start), day_start(period.end + timedelta(days=1))
    source = (
        f"SELECT {_key(by)} AS k, requested_datetime, closed_datetime FROM {VIEW} "
        f"WHERE requested_datetime < {end} "
        f"AND (closed_datetime IS NULL OR closed_datetime >= {start})"
    )
    aggregates = (
        f"count(*) FILTER (WHERE requested_datetime < {start}), "
        f"count(*) FILTER (WHERE closed_datetime IS NULL OR closed_datetime >= {end})"
    )

    def make(key: str | None, values: tuple[Any, ...]) -> Backlog:
        before, after = _int(values[0]), _int(values[1])
        return Backlog(key, before, after, after - before)

    return _breakdown(db, by, source, aggregates, make)


def backlog_series(db: Database, period: Period, grain: str, by: str | None = None) -> list[Point]:
    """Requests open at the end of each `grain` bucket of the period (the last bucket: at the
    end of the period), per value of `by`.

    One scan: each request counts +1 in the bucket it was made in (or "before the period") and
    −1 in the bucket it was closed in (if within the period), in two grouping sets; the
    running sum is the backlog."""
    _check_grain(grain)
    start, end = day_start(period.start), day_start(period.end + timedelta(days=1))
    first, last = period.start - timedelta(days=1), period.end
    opened = local_day(db, "requested_datetime", first, last)
    closed = local_day(db, "closed_datetime", first, last)
    rows = db.rows(
        f"SELECT side, k, {bucket_sql(grain, 'd')} AS b, sum(n) FROM ("
        "SELECT grouping(opened) AS side, k, coalesce(opened, closed) AS d, count(*) AS n FROM ("
        f"SELECT {_key(by)} AS k, "
        f"CASE WHEN requested_datetime >= {start} THEN {opened} END AS opened, "
        f"CASE WHEN closed_datetime < {end} THEN {closed} END AS closed "
        f"FROM {VIEW} WHERE requested_datetime < {end} "
        f"AND (closed_datetime IS NULL OR (closed_datetime >= {start} "
        "AND closed_datetime >= requested_datetime))"
        ") AS s GROUP BY GROUPING SETS ((k, opened), (k, closed))"
        ") AS days GROUP BY side, k, b"
    )
    before: dict[str | None, int] = defaultdict(int)
    moves: dict[str | None, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for side, key, bucket, n in rows:
        key = _str(key)
        if side == 0:  # openings
            if bucket is None:
                before[key] += _int(n)
            else:
                moves[key][bucket] += _int(n)
        elif bucket is not None:  # closings within the period
            moves[key][bucket] -= _int(n)
    keys = sorted(set(before) | set(moves), key=lambda k: (k is None, k or "")) or [None]
    points = []
    for key in keys:
        running = before[key]
        for bucket in buckets(period, grain):
            running += moves[key].get(bucket, 0)
            points.append(Point(bucket.isoformat(), running, key))
    return points


# --- 3. Trend ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    key: str | None
    current: int
    previous: int  # the period of the same length just before
    year_before: int  # the same days one year earlier
    vs_previous: float | None  # relative change, None when the base is 0
    vs_year_before: float | None


def trend(db: Database, period: Period, by: str | None = None) -> Breakdown[Trend]:
    """The volume of the period against the previous period and the same days a year before
    (one scan over the three periods, which may overlap)."""
    current, previous, year = period.sql(), period.previous().sql(), period.year_before().sql()
    # One range holding the three periods: a range filter is pushed into the scan, an OR of
    # three is evaluated row by row (three times slower in DuckDB).
    first = min(period.previous().start, period.year_before().start)
    source = (
        f"SELECT {_key(by)} AS k, requested_datetime FROM {VIEW} "
        f"WHERE {Period(first, period.end).sql()}"
    )
    aggregates = (
        f"count(*) FILTER (WHERE {current}), count(*) FILTER (WHERE {previous}), "
        f"count(*) FILTER (WHERE {year})"
    )

    def make(key: str | None, values: tuple[Any, ...]) -> Trend:
        now, before, last_year = (_int(v) for v in values)
        return Trend(key, now, before, last_year, _change(now, before), _change(now, last_year))

    result = _breakdown(db, by, source, aggregates, make)
    # Values seen only between the year before and the previous period have nothing to show.
    groups = [g for g in result.groups if g.current or g.previous or g.year_before]
    return Breakdown(by, result.total, groups)


# --- 4. Time to close -------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseTime:
    key: str | None
    requests: int  # made in the period, used for delays
    closed: int  # closed by the cut-off
    still_open: int  # open at the cut-off (censored)
    median_days: float | None  # Kaplan–Meier; None: more than `longest_days`
    p90_days: float | None  # Kaplan–Meier 90th percentile; None: more than `longest_days`
    longest_days: float | None  # the longest duration observed, closed or still open
    closed_median_days: float | None  # median of closed requests only: biased low


def cut_off(period: Period, as_of: datetime) -> datetime:
    """When delays are observed: the end of the period, or `as_of` when earlier."""
    return min(midnight(period.end + timedelta(days=1)), aware(as_of))


def time_to_close(
    db: Database,
    period: Period,
    as_of: datetime,
    by: str | None = None,
    *,
    precision: float | None | str = "auto",
) -> Breakdown[CloseTime]:
    """How long requests made in the period take to close: median and 90th percentile by
    Kaplan–Meier (pilotis.requests.survival), counting the requests still open.

    Each request made in the period and before the cut-off (`cut_off`: the end of the period, or
    `as_of` when earlier) lasts until it closed, if it closed by the cut-off, or is still open at
    the cut-off (censored). The same cut-off applies to every request: a closing after it is
    not known yet, so a past period reads as it did on its last day, whenever it is computed
    (counting later closings for closed requests only would bias the estimate low).

    `closed_median_days` is the naive figure — the median of the requests closed by the cut-off
    (the lower median: the smallest duration within which half of them closed) — shown for
    comparison: it leaves out the slowest requests, those still open, so it is biased low.

    Durations are binned on a logarithmic scale `precision` wide (1 %: from 0.6 s at the bottom
    to 1 day at 100 days) and reported at the bottom of their bin, so the figures are at most
    1 % short; the estimator then handles about 1,300 distinct durations per group whatever the
    number of requests. `precision=None` uses exact durations (slower on millions of rows).

    Binning is an approximation: a request still open at a duration inside a bin stays at risk
    for the closings later in the same bin, which in a small group can move a quantile by many
    bins (two open at 2.000 days, two closed at 2.005: the binned median jumps to the next
    closing). So `precision="auto"` (the default) uses exact durations when the period holds at
    most `EXACT_DURATIONS_UP_TO` requests — every commune and most intercommunalities — and 1 %
    bins above, where each bin holds many requests and the effect fades."""
    cut = cut_off(period, as_of)
    closed_by_cut = f"closed_datetime <= {instant(cut)}"
    where = (
        f"WHERE {period.sql()} AND requested_datetime < {instant(cut)} "
        f"AND {delays_sql()} AND {_closed_after_requested()}"
    )
    if precision == "auto":
        # Requests made in the period (a cheap bound of those the estimate reads).
        count = _int(db.rows(f"SELECT count(*) FROM {VIEW} WHERE {period.sql()}")[0][0])
        precision = None if count <= EXACT_DURATIONS_UP_TO else DEFAULT_PRECISION
    if isinstance(precision, str):
        raise ValueError("precision is a fraction between 0 and 1, None or 'auto'")
    width: float | None = precision
    elapsed = (
        f"CASE WHEN {closed_by_cut} THEN {seconds(db, 'closed_datetime')} "
        f"ELSE {cut.timestamp()!r} END - {seconds(db, 'requested_datetime')}"
    )
    if width is None:
        step = f"({elapsed})"
    else:
        if not 0 < width < 1:
            raise ValueError("precision is a fraction between 0 and 1")
        step = f"CAST(floor(ln(1 + ({elapsed}) / 60.0) / {math.log1p(width)!r}) AS INTEGER)"
    durations = (
        f"SELECT {_key(by)} AS k, CASE WHEN {closed_by_cut} THEN 1 ELSE 0 END AS ev, "
        f"{step} AS t FROM {VIEW} {where}"
    )
    sql = survival.kaplan_meier_sql(durations, (0.5, 0.9), grouped=by is not None)
    rows = db.rows(sql)

    def days(t: object) -> float | None:
        value = _float(t)
        if value is None:
            return None
        if width is None:
            return value / DAY
        return 60 * math.expm1(value * math.log1p(width)) / DAY

    results: dict[tuple[int, str | None], CloseTime] = {}
    for grp, key, n, events, median, p90, longest, closed_median in rows:
        results[(int(grp), _str(key))] = CloseTime(
            key=_str(key),
            requests=_int(n),
            closed=_int(events),
            still_open=_int(n) - _int(events),
            median_days=days(median),
            p90_days=days(p90),
            longest_days=days(longest),
            closed_median_days=days(closed_median),
        )
    empty = CloseTime(None, 0, 0, 0, None, None, None, None)
    groups = [v for (grp, _), v in results.items() if grp == 0]
    return Breakdown(
        by,
        results.get((1, None), empty),
        sorted(groups, key=lambda c: (c.key is None, c.key or "")),
    )


# --- 5. On-time rate --------------------------------------------------------------------------


@dataclass(frozen=True)
class OnTime:
    key: str | None
    requests: int  # made in the period by `as_of`, used for delays
    closed_on_time: int  # closed within the target of their category
    closed_late: int
    open_overdue: int  # still open at `as_of`, past their target
    open_in_time: int  # still open, target not yet reached: not counted in the rate
    rate: float | None  # closed on time ÷ (closed + open overdue)


def target_sql(targets: Mapping[str, float], default_target: float) -> str:
    """The target of a request's category in seconds, as a CASE over the categories."""
    for days in (*targets.values(), default_target):
        if not (math.isfinite(days) and days > 0):
            raise ValueError("targets are positive numbers of days")
    default = repr(float(default_target) * DAY)
    if not targets:
        return default
    whens = " ".join(
        f"WHEN {lit(category)} THEN {float(days) * DAY!r}" for category, days in targets.items()
    )
    return f"CASE category {whens} ELSE {default} END"


def on_time(
    db: Database,
    period: Period,
    as_of: datetime,
    targets: Mapping[str, float] | None = None,
    default_target: float = DEFAULT_TARGET_DAYS,
    by: str | None = None,
) -> Breakdown[OnTime]:
    """Share of the requests made in the period handled on time, as known at `as_of`: closed
    within the target of their category (`targets`: category → days; `default_target` for the
    others and for requests without category) ÷ (closed + still open past their target). Open
    requests not yet at their target are not counted either way: they may still be on time."""
    at = instant(as_of)
    moment = aware(as_of).timestamp()
    requested = seconds(db, "requested_datetime")
    source = (
        f"SELECT {_key(by)} AS k, {target_sql(targets or {}, default_target)} AS target, "
        f"CASE WHEN closed_datetime <= {at} "
        f"THEN {seconds(db, 'closed_datetime')} - {requested} END AS took, "
        f"{moment!r} - {requested} AS age "
        f"FROM {VIEW} WHERE {period.sql()} AND requested_datetime <= {at} "
        f"AND {delays_sql()} AND {_closed_after_requested()}"
    )
    aggregates = (
        "count(*), count(*) FILTER (WHERE took <= target), count(*) FILTER (WHERE took > target), "
        "count(*) FILTER (WHERE took IS NULL AND age > target)"
    )

    def make(key: str | None, values: tuple[Any, ...]) -> OnTime:
        n, in_time, late, overdue = (_int(v) for v in values)
        return OnTime(
            key,
            n,
            in_time,
            late,
            overdue,
            n - in_time - late - overdue,
            _ratio(in_time, in_time + late + overdue),
        )

    return _breakdown(db, by, source, aggregates, make)


# --- 6. Backlog by age ------------------------------------------------------------------------


@dataclass(frozen=True)
class BacklogAge:
    key: str | None
    open: int  # open at `as_of`
    under_48h: int
    from_48h_to_10d: int  # 48 hours to 10 days, both included
    over_10d: int


def backlog_by_age(db: Database, as_of: datetime, by: str | None = None) -> Breakdown[BacklogAge]:
    """The requests open at `as_of` (whenever made), by age: under 48 hours, 48 hours to 10
    days, over 10 days."""
    at = instant(as_of)
    source = (
        f"SELECT {_key(by)} AS k, {aware(as_of).timestamp()!r} - "
        f"{seconds(db, 'requested_datetime')} AS age FROM {VIEW} "
        f"WHERE requested_datetime <= {at} AND (closed_datetime IS NULL OR closed_datetime > {at})"
    )
    aggregates = (
        f"count(*), count(*) FILTER (WHERE age < {AGE_RECENT}), "
        f"count(*) FILTER (WHERE age >= {AGE_RECENT} AND age <= {AGE_OLD}), "
        f"count(*) FILTER (WHERE age > {AGE_OLD})"
    )

    def make(key: str | None, values: tuple[Any, ...]) -> BacklogAge:
        return BacklogAge(key, *(_int(v) for v in values))

    return _breakdown(db, by, source, aggregates, make)


# --- 7. First response ------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstResponse:
    key: str | None
    requests: int
    known: int  # with a first response at or after the request
    share_known: float | None
    median_days: float | None  # over the known ones


def first_response(db: Database, period: Period, by: str | None = None) -> Breakdown[FirstResponse]:
    """Time to the first response, where the source records it: the median over the known
    ones (interpolated: `percentile_cont`), and the share known. A first response dated before
    the request is an error of the source: counted as unknown."""
    requested = seconds(db, "requested_datetime")
    source = (
        f"SELECT {_key(by)} AS k, CASE WHEN first_response_datetime >= requested_datetime "
        f"THEN ({seconds(db, 'first_response_datetime')} - {requested}) / {DAY} END AS delay "
        f"FROM {VIEW} WHERE {period.sql()}"
    )
    aggregates = "count(*), count(delay), percentile_cont(0.5) WITHIN GROUP (ORDER BY delay)"

    def make(key: str | None, values: tuple[Any, ...]) -> FirstResponse:
        n, known = _int(values[0]), _int(values[1])
        return FirstResponse(key, n, known, _ratio(known, n), _float(values[2]))

    return _breakdown(db, by, source, aggregates, make)


# --- 8. Reopened ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reopened:
    key: str | None
    requests: int
    known: int  # whose source says how many times they were reopened
    reopened: int  # reopened at least once
    share: float | None  # reopened ÷ known


def reopened(db: Database, period: Period, by: str | None = None) -> Breakdown[Reopened]:
    """Requests reopened after a closure. A request whose reopened count is unknown (NULL: the
    source does not say) is left out of the share's denominator rather than counted as never
    reopened, which would dilute the share for sources that do not track it; `known` says on
    how many requests the share rests."""
    source = f"SELECT {_key(by)} AS k, reopened_count FROM {VIEW} WHERE {period.sql()}"
    aggregates = "count(*), count(reopened_count), count(*) FILTER (WHERE reopened_count > 0)"

    def make(key: str | None, values: tuple[Any, ...]) -> Reopened:
        n, known, again = (_int(v) for v in values)
        return Reopened(key, n, known, again, _ratio(again, known))

    return _breakdown(db, by, source, aggregates, make)


# --- 9. Data quality --------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagCount:
    flag: str
    requests: int
    excludes_delays: bool  # the flag keeps the request out of delays


@dataclass(frozen=True)
class DataQuality:
    requests: int  # made in the period
    flagged: int  # with at least one flag
    excluded_from_delays: int  # with a flag that keeps them out of delays
    flags: list[FlagCount]  # per flag, most frequent first; known flags always listed


def data_quality(db: Database, period: Period) -> DataQuality:
    """The requests of the period flagged by each data trap (`data_flags`), so a page can say
    "12 requests left out of delays: closed before they were requested".

    One scan counting the requests per distinct `data_flags` value (a handful: most are NULL),
    split into flags here. Known flags (the table schema's, and those excluding delays) are
    listed even at 0."""
    rows = db.rows(
        f"SELECT data_flags, count(*) FROM {VIEW} WHERE {period.sql()} GROUP BY data_flags"
    )
    known = dict.fromkeys(DELAY_EXCLUDING_FLAGS, 0)
    known.update(dict.fromkeys(_schema_flags(), 0))
    total = flagged = excluded = 0
    for value, n in rows:
        count = _int(n)
        total += count
        names = {part.strip() for part in (value or "").split(";")} - {""}
        if not names:
            continue
        flagged += count
        # The same test as data.delays_sql(): the flag's name occurs in data_flags.
        if any(flag in value for flag in DELAY_EXCLUDING_FLAGS):
            excluded += count
        for name in names:
            known[name] = known.get(name, 0) + count
    flags = [
        FlagCount(name, count, name in DELAY_EXCLUDING_FLAGS)
        for name, count in sorted(known.items(), key=lambda item: (-item[1], item[0]))
    ]
    return DataQuality(total, flagged, excluded, flags)


def _schema_flags() -> list[str]:
    from pilotis.warehouse.schemas import canonical_tables

    table = canonical_tables().get("requests")
    return [flag["name"] for flag in table.flags] if table is not None else []
