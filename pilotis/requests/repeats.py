# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""Repeat requests: the same problem reported again — a request of the same category within
`radius_m` metres and `window_days` days after an earlier one (50 m and 7 days by default).

A repeat says the first report was not visibly handled (or that many people saw the same pothole);
their share and the places they gather are what a service wants to know.

Comparing every request with every other is quadratic; the query compares only requests that can
be neighbours:

- space is cut into cells a little over `radius_m` wide (latitude cells of radius_m / 111 km;
  longitude cells widened by 1 / cos of the highest latitude of the rows, so a cell is at least
  `radius_m` wide everywhere), and time into slices `window_days` long: two requests within
  `radius_m` and `window_days` are at most one cell and one slice apart;
- each earlier candidate is repeated into the 3 × 3 cells around it and the slice after its own,
  and joined on (category, cell, slice) — an equi-join both engines hash — then the exact
  great-circle distance (haversine, mean Earth radius 6,371,008.8 m) and the time difference
  decide. Every pair is met exactly once.

The cost grows with the number of requests times the neighbours each has within `radius_m` and
`window_days`, not with the square of the number of requests. Limits: many requests of one
category placed on the very same point (geocoded to the town hall, say) all repeat each other
and make that cost quadratic for that point; the antimeridian is not wrapped (no French commune
straddles it).

"Earlier" is strict: two requests made at the same instant are ordered by their identifiers, so
one of two duplicates is a repeat of the other. Requests without position or category cannot be
compared: the share is taken over the requests that have both (`located`).

A cluster is a first report and the requests chained to it: each repeat hangs on the earliest
request it repeats, and that one on the earliest it repeats in turn (two links are followed, no
more: a longer chain drifting away shows as two clusters). Its requests are the repeats and
the requests they repeat, the first possibly made up to `window_days` before the period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pilotis.requests.data import VIEW, Database, Period
from pilotis.requests.indicators import PARIS, day_start, instant, midnight, seconds

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180
DEFAULT_RADIUS_M = 50.0
DEFAULT_WINDOW_DAYS = 7.0
# Cells are widened by this factor so that rounding never leaves a pair two cells apart.
CELL_MARGIN = 1.001


@dataclass(frozen=True)
class RepeatCount:
    key: str | None  # the category; None for all requests (or for those without category)
    requests: int  # made in the period
    located: int  # with a position and a category: the ones that can be compared
    repeats: int  # made within radius_m and window_days after an earlier one
    share: float | None  # repeats ÷ located


@dataclass(frozen=True)
class Cluster:
    category: str
    lat: float  # centre of the requests involved
    long: float
    commune_insee: str | None
    requests: int  # involved in repeats: repeats and the requests they repeat
    repeats: int  # of which made in the period and repeating an earlier one
    first: str  # ISO datetime of the first request involved (local time)
    last: str


@dataclass(frozen=True)
class Repeats:
    radius_m: float
    window_days: float
    total: RepeatCount
    groups: list[RepeatCount]  # per category, sorted by category, None last
    clusters: list[Cluster]  # the `top` clusters with most requests, largest first


def haversine_sql(lat1: str, long1: str, lat2: str, long2: str) -> str:
    """Great-circle distance in metres between two points given in radians."""
    return (
        f"2 * {EARTH_RADIUS_M!r} * asin(least(1.0, sqrt("
        f"power(sin(({lat2} - {lat1}) / 2), 2) + "
        f"cos({lat1}) * cos({lat2}) * power(sin(({long2} - {long1}) / 2), 2))))"
    )


def repeats(
    db: Database,
    period: Period,
    radius_m: float = DEFAULT_RADIUS_M,
    window_days: float = DEFAULT_WINDOW_DAYS,
    top: int = 10,
) -> Repeats:
    """Repeat requests made in the period, in all and per category, and the `top` clusters."""
    if not (radius_m > 0 and window_days > 0 and math.isfinite(radius_m + window_days)):
        raise ValueError("the radius and the window are positive")
    window = window_days * 86_400
    start, end = day_start(period.start), day_start(period.end + timedelta(days=1))
    reach = instant(midnight(period.start) - timedelta(seconds=window))
    dlat = radius_m / METRES_PER_DEGREE * CELL_MARGIN
    offsets = ", ".join(
        f"({dx}, {dy}, {dt})" for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dt in (0, 1)
    )
    distance = haversine_sql("l.phi", "l.lam", "e.phi", "e.lam")
    sql = f"""
WITH rows_ AS MATERIALIZED (
    SELECT category AS cat, service_request_id AS id, lat, long, commune_insee,
        {seconds(db, "requested_datetime")} AS ts,
        requested_datetime >= {start} AS in_period,
        lat IS NOT NULL AND long IS NOT NULL AND category IS NOT NULL AS located
    FROM {VIEW}
    WHERE requested_datetime >= {reach} AND requested_datetime < {end}
), grid AS (
    SELECT {dlat!r} / cos(radians(least(89.0, coalesce(max(abs(lat)), 0.0) + 0.01))) AS dlon
    FROM rows_ WHERE located
), cells AS MATERIALIZED (
    SELECT cat, id, ts, lat, long, commune_insee, in_period,
        radians(lat) AS phi, radians(long) AS lam,
        CAST(floor(long / dlon) AS BIGINT) AS cx, CAST(floor(lat / {dlat!r}) AS BIGINT) AS cy,
        CAST(floor(ts / {window!r}) AS BIGINT) AS tb
    FROM rows_ CROSS JOIN grid WHERE located
), pairs AS MATERIALIZED (
    SELECT l.cat, l.id AS l_id, l.ts AS l_ts, e.id AS e_id, e.ts AS e_ts
    FROM (SELECT * FROM cells WHERE in_period) AS l
    JOIN (
        SELECT cells.*, cx + dx AS nx, cy + dy AS ny, tb + dt AS nt
        FROM cells CROSS JOIN (VALUES {offsets}) AS o(dx, dy, dt)
    ) AS e ON e.cat = l.cat AND e.nx = l.cx AND e.ny = l.cy AND e.nt = l.tb
    WHERE (e.ts < l.ts OR (e.ts = l.ts AND e.id < l.id)) AND l.ts - e.ts <= {window!r}
        AND {distance} <= {float(radius_m)!r}
), repeated AS MATERIALIZED (
    SELECT cat, l_id AS id, l_ts AS ts, e_id AS a_id, e_ts AS a_ts FROM (
        SELECT pairs.*,
            row_number() OVER (PARTITION BY cat, l_id, l_ts ORDER BY e_ts, e_id) AS rank_
        FROM pairs
    ) AS ranked WHERE rank_ = 1
), involved AS (
    SELECT c.cat, c.ts, c.lat, c.long, c.commune_insee,
        CASE WHEN r1.id IS NULL THEN 0 ELSE 1 END AS is_repeat,
        coalesce(r2.a_id, r1.a_id, c.id) AS root_id, coalesce(r2.a_ts, r1.a_ts, c.ts) AS root_ts
    FROM (
        SELECT cat, l_id AS id, l_ts AS ts FROM pairs UNION SELECT cat, e_id, e_ts FROM pairs
    ) AS m
    JOIN cells AS c ON c.cat = m.cat AND c.id = m.id AND c.ts = m.ts
    LEFT JOIN repeated AS r1 ON r1.cat = m.cat AND r1.id = m.id AND r1.ts = m.ts
    LEFT JOIN repeated AS r2 ON r2.cat = r1.cat AND r2.id = r1.a_id AND r2.ts = r1.a_ts
)
SELECT 'requests' AS kind, grouping(cat) AS grp, cat,
    count(*) FILTER (WHERE in_period) AS a, count(*) FILTER (WHERE in_period AND located) AS b,
    CAST(NULL AS FLOAT8) AS lat, CAST(NULL AS FLOAT8) AS long, CAST(NULL AS VARCHAR) AS commune,
    CAST(NULL AS FLOAT8) AS first, CAST(NULL AS FLOAT8) AS last
FROM rows_ GROUP BY GROUPING SETS ((), (cat))
UNION ALL
SELECT 'repeats', grouping(cat), cat, count(*), NULL, NULL, NULL, NULL, NULL, NULL
FROM repeated GROUP BY GROUPING SETS ((), (cat))
UNION ALL
SELECT * FROM (
    SELECT 'cluster', 0, cat, count(*) AS a, sum(is_repeat), avg(lat), avg(long),
        min(commune_insee), min(ts), max(ts)
    FROM involved GROUP BY cat, root_id, root_ts
    ORDER BY a DESC, cat, min(ts) LIMIT {int(top)}
) AS clusters"""
    requests: dict[tuple[int, str | None], tuple[int, int]] = {}
    repeated: dict[tuple[int, str | None], int] = {}
    clusters: list[Cluster] = []
    for kind, grp, cat, a, b, lat, long, commune, first, last in db.rows(sql):
        key = (int(grp), None if cat is None else str(cat))
        if kind == "requests":
            requests[key] = (int(a or 0), int(b or 0))
        elif kind == "repeats":
            repeated[key] = int(a or 0)
        else:
            clusters.append(
                Cluster(
                    category=str(cat),
                    lat=float(lat),
                    long=float(long),
                    commune_insee=None if commune is None else str(commune),
                    requests=int(a),
                    repeats=int(b or 0),
                    first=_local(first),
                    last=_local(last),
                )
            )

    def count(key: tuple[int, str | None]) -> RepeatCount:
        made, located = requests.get(key, (0, 0))
        again = repeated.get(key, 0)
        return RepeatCount(key[1], made, located, again, again / located if located else None)

    groups = sorted(
        (count(key) for key in requests if key[0] == 0 and requests[key][0] > 0),
        key=lambda c: (c.key is None, c.key or ""),
    )
    return Repeats(float(radius_m), float(window_days), count((1, None)), groups, clusters)


def _local(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), PARIS).isoformat()
