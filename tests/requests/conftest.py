"""Shared fixtures of the requests tests: a small realistic set of requests, as a pandas frame and
in both engines the indicators run on.

- `requests_frame`: ~500 requests over 2023-01 … 2025-03 (open and closed, six categories and a
  category with one request, services, channels, communes, the data traps, DST nights, 29
  February, exact ties, clusters of nearby requests), timestamps as UTC pandas datetimes;
- `requests_duckdb` / `requests_postgres`: the same rows behind a view/table `requests`, in a
  DuckDB session and in a temporary PostgreSQL schema (database `test` at 127.0.0.1:5432, dropped
  after the session), both in Europe/Paris;
- `requests_db`: parametrised over the two engines — use it and every test runs on both;
- `duckdb_database(frame)` / `postgres_database(frame)`: the same for a frame of your own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pytest

from pilotis.requests.data import DELAY_EXCLUDING_FLAGS, TIMEZONE, Database, DuckDB, Period

PARIS = ZoneInfo(TIMEZONE)
UTC = ZoneInfo("UTC")
# The instant the tests look from: rows made later exist (an extract taken afterwards).
AS_OF = datetime(2025, 3, 15, 12, 0, tzinfo=PARIS)
POSTGRES_DSN = os.environ.get(
    "PILOTIS_TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test"
)

COLUMNS: dict[str, pa.DataType] = {
    "service_request_id": pa.string(),
    "status": pa.string(),
    "service_code": pa.string(),
    "requested_datetime": pa.timestamp("us", tz="UTC"),
    "first_response_datetime": pa.timestamp("us", tz="UTC"),
    "closed_datetime": pa.timestamp("us", tz="UTC"),
    "commune_insee": pa.string(),
    "lat": pa.float64(),
    "long": pa.float64(),
    "service": pa.string(),
    "category": pa.string(),
    "channel": pa.string(),
    "reopened_count": pa.int64(),
    "data_flags": pa.string(),
    "_tenant": pa.string(),
}
POSTGRES_TYPES = {
    pa.string(): "TEXT",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    pa.float64(): "DOUBLE PRECISION",
    pa.int64(): "BIGINT",
}

CATEGORIES = ["voirie", "proprete", "eclairage", "espaces_verts", "bruit", None]
CATEGORY_WEIGHTS = [0.3, 0.25, 0.15, 0.12, 0.1, 0.08]
SERVICES = {
    "voirie": "DEP-01",
    "proprete": "DEP-02",
    "eclairage": "DEP-04",
    "espaces_verts": "DEP-03",
    "bruit": "DRU-02",
    "etat_civil": "DRU-01",
    None: None,
}
CHANNELS = ["phone", "counter", "email", "web", "mobile", "mail", "social"]
COMMUNES = ["35288", "35049", "35255"]
CENTRE = (48.6493, -2.0257)
METRES_PER_DEGREE = 6_371_000 * np.pi / 180


def _local(*args: int) -> pd.Timestamp:
    return pd.Timestamp(datetime(*args, tzinfo=PARIS)).tz_convert("UTC")  # type: ignore[misc]


def _offset(lat: float, long: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point `north_m` metres north and `east_m` east of (lat, long)."""
    return (
        lat + north_m / METRES_PER_DEGREE,
        long + east_m / (METRES_PER_DEGREE * np.cos(np.radians(lat))),
    )


def build_requests(seed: int = 20240229) -> pd.DataFrame:
    """The fixture's rows (deterministic)."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []

    def add(requested: pd.Timestamp, **values: Any) -> dict[str, Any]:
        category = values.pop("category", rng.choice(len(CATEGORIES), p=CATEGORY_WEIGHTS))
        if not isinstance(category, str) and category is not None:
            category = CATEGORIES[int(category)]
        row = {
            "service_request_id": f"R{len(rows):05d}",
            "requested_datetime": requested,
            "category": category,
            "service": SERVICES[category] if rng.random() > 0.05 else None,
            "service_code": None,
            "channel": CHANNELS[rng.integers(len(CHANNELS))] if rng.random() > 0.03 else None,
            "commune_insee": COMMUNES[rng.integers(3)] if rng.random() > 0.04 else None,
            "closed_datetime": None,
            "first_response_datetime": None,
            "lat": None,
            "long": None,
            "reopened_count": None,
            "data_flags": None,
            "_tenant": "35288",
        }
        if rng.random() < 0.85:
            north, east = rng.uniform(-1500, 1500, size=2)
            row["lat"], row["long"] = _offset(*CENTRE, north, east)
        draw = rng.random()
        row["reopened_count"] = (
            None if draw < 0.3 else (int(rng.integers(1, 3)) if draw > 0.9 else 0)
        )
        row.update(values)
        rows.append(row)
        return row

    # Ordinary requests, 2023-01-01 … 2025-03-09, closed or not, with ties of exact durations.
    start = _local(2023, 1, 1).value // 10**9
    end = _local(2025, 3, 10).value // 10**9
    for requested in sorted(rng.integers(start, end, size=430)):
        when = pd.Timestamp(int(requested), unit="s", tz="UTC")
        row = add(when)
        draw = rng.random()
        if draw < 0.12:
            took = pd.Timedelta(days=2)  # ties
        elif draw < 0.18:
            took = pd.Timedelta(days=1)
        elif draw < 0.92:
            took = pd.Timedelta(seconds=int(rng.lognormal(np.log(3 * 86400), 1.2)))
        else:
            took = None  # still open
        if took is not None:
            row["closed_datetime"] = when + took
        if rng.random() < 0.6:
            horizon = took if took is not None else pd.Timedelta(days=5)
            row["first_response_datetime"] = when + horizon * rng.uniform(0, 1)
    # The last days before AS_OF: everything still open (a period entirely censored).
    for day in range(10, 16):
        for hour in (9, 14):
            if day == 15 and hour == 14:
                continue
            add(_local(2025, 3, day, hour, 17))
    # Open exactly 48 hours and exactly 10 days before AS_OF (the age bands' boundaries).
    add(_local(2025, 3, 13, 12), category="voirie")
    add(_local(2025, 3, 5, 12), category="voirie")
    # Made after AS_OF (the extract was taken later): some closed after AS_OF too.
    for day, closed in ((16, None), (17, 19), (20, 21), (25, None)):
        add(
            _local(2025, 3, day, 10),
            closed_datetime=_local(2025, 3, closed, 16) if closed else None,
        )
    # Made before AS_OF, closed after it: open at AS_OF.
    for day in (3, 7, 12):
        add(_local(2025, 3, day, 8, 45), closed_datetime=_local(2025, 3, 18, 11))
    # DST nights: 2024-03-31 (02:00 → 03:00) and 2024-10-27 (03:00 → 02:00, 02:30 twice).
    for stamp in (
        "2024-03-30T22:30:00Z",  # 23:30 on the 30th
        "2024-03-31T00:30:00Z",  # 01:30 CET on the 31st
        "2024-03-31T01:30:00Z",  # 03:30 CEST
        "2024-03-31T21:59:59Z",  # 23:59:59 CEST, still the 31st
        "2024-03-31T22:00:00Z",  # midnight, 1 April
        "2024-10-26T21:30:00Z",  # 23:30 CEST on the 26th
        "2024-10-26T22:00:00Z",  # midnight, the 27th
        "2024-10-27T00:30:00Z",  # 02:30 CEST
        "2024-10-27T01:30:00Z",  # 02:30 CET
        "2024-10-27T22:59:00Z",  # 23:59 CET, still the 27th
        "2024-10-27T23:00:00Z",  # midnight, the 28th
    ):
        when = pd.Timestamp(stamp)
        add(when, closed_datetime=when + pd.Timedelta(hours=25), category="eclairage")
    # 29 February, and the days around it a year before.
    for stamp in ((2024, 2, 29, 10), (2024, 2, 29, 23, 30), (2023, 2, 28, 9), (2023, 3, 1, 0, 5)):
        when = _local(*stamp)
        add(when, closed_datetime=when + pd.Timedelta(days=3))
    # A category with a single request.
    add(_local(2024, 6, 12, 10), category="etat_civil", closed_datetime=_local(2024, 6, 14, 10))
    # Data traps: closed before requested, closed instantly (flagged), an unknown flag, and two
    # unflagged closed-before-requested rows (loaded before flags existed).
    for i in range(6):
        when = _local(2024, 4 + i, 3, 10)
        add(
            when,
            closed_datetime=when - pd.Timedelta(hours=5 + i),
            data_flags="closed_before_requested",
        )
    for i in range(5):
        when = _local(2024, 5, 10 + i, 11)
        add(when, closed_datetime=when + pd.Timedelta(seconds=20), data_flags="closed_instantly")
    for i in range(3):
        when = _local(2024, 9, 2 + i, 9)
        add(
            when,
            closed_datetime=when + pd.Timedelta(seconds=5),
            data_flags="closed_instantly;geocoded_centroid",
        )
    for i in range(2):
        when = _local(2024, 9, 20 + i, 9)
        add(when, closed_datetime=when + pd.Timedelta(days=4), data_flags="geocoded_centroid")
    for i in range(2):
        when = _local(2023, 11, 7 + i, 15)
        add(when, closed_datetime=when - pd.Timedelta(days=1))
    # First responses dated before the request (a source error).
    for i in range(3):
        when = _local(2024, 7, 1 + i, 9)
        add(
            when,
            first_response_datetime=when - pd.Timedelta(hours=2),
            closed_datetime=when + pd.Timedelta(days=6),
        )
    # Clusters of nearby requests (repeats): same category within metres and days.
    spots = [
        ((2024, 5, 6, 9), "voirie", [(0, 0, 0), (12, 5, 1.5), (-20, 18, 3), (8, -30, 6.9)]),
        (
            (2024, 11, 18, 8),
            "proprete",
            [(0, 0, 0), (3, 3, 0.2), (-5, 10, 2), (30, -20, 4), (0, 1, 5)],
        ),
        ((2025, 1, 6, 14), "eclairage", [(0, 0, 0), (10, 10, 2)]),
        # 10 days apart: not repeats at 7 days.
        ((2024, 3, 4, 9), "voirie", [(0, 0, 0), (5, 5, 10)]),
        # 70 metres apart: not repeats at 50 m.
        ((2024, 8, 5, 9), "voirie", [(0, 0, 0), (70, 0, 1)]),
        # 40 metres apart but of different categories.
        ((2024, 8, 12, 9), "voirie", [(0, 0, 0)]),
        ((2024, 8, 12, 9), "bruit", [(40, 0, 1)]),
        # Straddling the start of 2024: the earlier one in the previous year.
        ((2023, 12, 29, 10), "proprete", [(0, 0, 0), (15, 0, 4)]),
    ]
    for stamp, category, points in spots:
        base = _local(*stamp)
        centre = _offset(*CENTRE, rng.uniform(-1000, 1000), rng.uniform(-1000, 1000))
        for north, east, days in points:
            lat, long = _offset(*centre, north, east)
            when = base + pd.Timedelta(days=days)
            add(
                when,
                category=category,
                lat=lat,
                long=long,
                closed_datetime=when + pd.Timedelta(days=1),
            )
    # Two identical requests (same instant, place and category): one repeats the other.
    twin = _local(2024, 2, 14, 10, 30)
    for _ in range(2):
        add(
            twin,
            category="voirie",
            lat=48.6601,
            long=-2.0102,
            closed_datetime=twin + pd.Timedelta(days=2),
        )

    frame = pd.DataFrame(rows)
    for column in ("requested_datetime", "closed_datetime", "first_response_datetime"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    frame["reopened_count"] = frame["reopened_count"].astype("Int64")
    frame["status"] = np.where(frame["closed_datetime"].notna(), "closed", "open")
    return frame[list(COLUMNS)]


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The frame with the warehouse's physical types (timestamps in µs UTC)."""
    schema = pa.schema([pa.field(name, kind) for name, kind in COLUMNS.items() if name in frame])
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def duckdb_database(frame: pd.DataFrame) -> DuckDB:
    """A DuckDB session (Europe/Paris) whose view `requests` holds `frame`."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{TIMEZONE}'")
    con.register("_requests_arrow", arrow_table(frame))
    con.execute("CREATE VIEW requests AS SELECT * FROM _requests_arrow")
    return DuckDB(con)


@dataclass
class Postgres:
    """A `Database` on a PostgreSQL connection (what the benchmark compares DuckDB with)."""

    con: psycopg.Connection[Any]
    dialect: str = field(default="postgres", init=False)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cursor:
            cursor.execute(sql)  # type: ignore[arg-type]
            return cursor.fetchall()


@contextmanager
def postgres_database(frame: pd.DataFrame, dsn: str = POSTGRES_DSN) -> Iterator[Postgres]:
    """A PostgreSQL session (Europe/Paris) whose table `requests`, in a schema of its own that
    is dropped afterwards, holds `frame`."""
    table = arrow_table(frame)
    schema = f"pilotis_requests_{uuid.uuid4().hex[:12]}"
    con = psycopg.connect(dsn, autocommit=True)
    try:
        con.execute(f"SET TIME ZONE '{TIMEZONE}'")
        con.execute(f'CREATE SCHEMA "{schema}"')
        con.execute(f'SET search_path TO "{schema}"')
        columns = ", ".join(f'"{f.name}" {POSTGRES_TYPES[f.type]}' for f in table.schema)
        con.execute(f"CREATE TABLE requests ({columns})")
        names = ", ".join(f'"{name}"' for name in table.schema.names)
        with con.cursor().copy(f"COPY requests ({names}) FROM STDIN") as copy:
            for record in table.to_pylist():
                copy.write_row(tuple(record.values()))
        con.execute("ANALYZE requests")
        yield Postgres(con)
    finally:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        con.close()


@dataclass
class RequestsDB:
    """The fixture's rows (`frame`) in one engine (`db`), and the instant tests look from."""

    engine: str
    frame: pd.DataFrame
    db: Database
    as_of: datetime = AS_OF


@pytest.fixture(scope="session")
def requests_frame() -> pd.DataFrame:
    return build_requests()


@pytest.fixture(scope="session")
def requests_duckdb(requests_frame) -> DuckDB:
    return duckdb_database(requests_frame)


@pytest.fixture(scope="session")
def requests_postgres(requests_frame) -> Iterator[Postgres]:
    with postgres_database(requests_frame) as database:
        yield database


@pytest.fixture(params=["duckdb", "postgres"])
def requests_db(request, requests_frame) -> RequestsDB:
    """The fixture's rows in each engine in turn: a test using it runs on both."""
    db = request.getfixturevalue(f"requests_{request.param}")
    return RequestsDB(request.param, requests_frame.copy(), db)


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request) -> str:
    """Each engine in turn, for tests building databases from frames of their own."""
    return request.param


@contextmanager
def database(engine: str, frame: pd.DataFrame) -> Iterator[Database]:
    """`frame` in `engine` ("duckdb" or "postgres"), for the time of a `with` block."""
    if engine == "duckdb":
        yield duckdb_database(frame)
    else:
        with postgres_database(frame) as db:
            yield db


def local(*args: int) -> datetime:
    """A local (Europe/Paris) datetime, for the tests."""
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


# --- Reference computations in pandas (what the SQL is checked against) -----------------------


def midnight(day: date) -> pd.Timestamp:
    """The instant local day `day` starts."""
    return pd.Timestamp(day.isoformat(), tz=TIMEZONE)


def made_in(frame: pd.DataFrame, period: Period) -> pd.Series:
    """Rows requested in the period (local days)."""
    requested = frame["requested_datetime"]
    return (requested >= midnight(period.start)) & (
        requested < midnight(period.end + timedelta(days=1))
    )


def usable_for_delays(frame: pd.DataFrame) -> pd.Series:
    """No data-trap flag, and not closed before requested."""
    flags = frame["data_flags"].fillna("")
    trapped = flags.map(lambda value: any(flag in value for flag in DELAY_EXCLUDING_FLAGS))
    closed, requested = frame["closed_datetime"], frame["requested_datetime"]
    return ~trapped.astype(bool) & (closed.isna() | (closed >= requested))


def close_durations(frame: pd.DataFrame, period: Period, as_of: datetime) -> pd.DataFrame:
    """The requests time to close is computed on, with `seconds` (to closing, or to the cut-off
    when still open then) and `event` (closed by the cut-off)."""
    cut = min(midnight(period.end + timedelta(days=1)), pd.Timestamp(as_of))
    requested = frame["requested_datetime"]
    rows = frame[made_in(frame, period) & (requested < cut) & usable_for_delays(frame)].copy()
    event = rows["closed_datetime"].notna() & (rows["closed_datetime"] <= cut)
    end = rows["closed_datetime"].where(event, cut)
    rows["event"] = event.astype(bool)
    rows["seconds"] = (end - rows["requested_datetime"]).dt.total_seconds()
    return rows


def groups_of(frame: pd.DataFrame, by: str | None) -> dict[str | None, pd.DataFrame]:
    """The rows per value of `by` (None: all rows under the key None)."""
    if by is None:
        return {None: frame}
    return {
        (None if pd.isna(key) else str(key)): part
        for key, part in frame.groupby(frame[by].astype(object), dropna=False)
    }
