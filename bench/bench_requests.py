# ruff: noqa: S608 - the SQL is built from constants of this file and the canonical schema
"""Benchmark: the citizen-requests page at métropole scale, Pilotis (DuckDB over Delta) against
PostgreSQL computing the same indicators on the same rows.

Run: .venv/bin/python bench/bench_requests.py [--rows 10000000] [--seed 42] [--warm 5]

Generates (once; cached in the temporary folder, keyed by rows, seed and the generator's code)
ten years of requests of Rennes Métropole (bench/requests_data.py: 43 communes, 12 categories
with seasons and trends, channels, log-normal delays, ~3 % still open, first responses,
reopened counts, flagged rows) and writes them as the tenant's Delta table `requests`, as the
pipeline does. Loads the same rows (once; cached, checked by row count and a version marker) into
a PostgreSQL table `requests` of the database `pilotis_bench` (127.0.0.1:5432, user postgres),
with the indexes a BI deployment would have (requested_datetime, closed_datetime, category,
commune_insee), VACUUM ANALYZE; sessions in Europe/Paris with `work_mem` 256MB and the default
parallel workers.

Then times, in the same run, each engine in a fresh subprocess, the work the page does on the
data: `page.data_span` then `page.figures` (every figure the page reads) over the last twelve
months of data, as of the end of the data:

- Pilotis: `requests.data.connect(Scope(("BENCH",)))` (DuckDB over the Delta table's Parquet
  files). Cold: a new connection's first run (connection included, operating-system file cache
  warm); warm: the best of `--warm` runs on the same connection;
- baseline "PostgreSQL": the same functions on a `Database` over a psycopg connection (what a
  Postgres-backed BI tool does: the same SQL, the rows in an indexed table). Cold: a new
  session's first run (the server's buffers and the file cache stay warm); warm: best of 3.

Prints the time of each indicator (the calls `figures` makes, timed one by one in the same runs,
with how many queries each sends and how much of its time is SQL), the ratio PostgreSQL warm ÷
Pilotis warm, and the goals: warm < 300 ms, cold < 3 s, ratio ≥ 10. Checks that both engines
computed the same figures (exits non-zero when they differ: the ratio must compare the same
work).
"""

import argparse
import atexit
import inspect
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests_data  # noqa: E402
from _setup import in_subprocess, report, setup_django  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "pilotis-bench-requests"
POSTGRES = os.environ.get("PILOTIS_BENCH_POSTGRES", "host=127.0.0.1 port=5432 user=postgres")
DATABASE = "pilotis_bench"
WORK_MEM = "256MB"
GOAL_WARM_MS, GOAL_COLD_S, GOAL_RATIO = 300, 3.0, 10
POSTGRES_TYPES = {
    "string": "TEXT",
    "integer": "BIGINT",
    "number": "DOUBLE PRECISION",
    "datetime": "TIMESTAMPTZ",
}
INDEXED = ("requested_datetime", "closed_datetime", "category", "commune_insee")
# Figures both engines must agree on exactly (counts) or within rounding (rates, days).
KEY_FIGURES = (
    "trend.current",
    "backlog_age.open",
    "close.total.median_days",
    "close.total.p90_days",
    "on_time.total.rate",
    "first.median_days",
    "reopened.share",
    "quality.flagged",
)


# ---------------------------------------------------------------------------------------------
# Setting up: Django, the cached data, the period


def setup(data_dir: Path) -> None:
    """Django (settings, translations; no database) with the warehouse in the cache."""
    folder = tempfile.mkdtemp(prefix="pilotis-bench-")
    atexit.register(shutil.rmtree, folder, True)
    setup_django(folder, migrate=False)
    from django.conf import settings

    settings.WAREHOUSE_DIR = str(data_dir / "warehouse")


def data_dir(rows: int, seed: int) -> tuple[Path, str]:
    key = requests_data.cache_key(rows, seed, requests_data.communes())
    return CACHE / f"requests-{rows}-{seed}-{key}", key


def the_period() -> tuple[Any, datetime]:
    """The page's default period on these data (the last twelve months), and `as_of`."""
    from pilotis.requests import page

    as_of = requests_data.as_of()
    return page.default_period((requests_data.START, requests_data.END), requests_data.END), as_of


# ---------------------------------------------------------------------------------------------
# PostgreSQL


@dataclass
class Postgres:
    """A `pilotis.requests.data.Database` on a psycopg connection (the baseline's engine)."""

    con: Any  # psycopg.Connection
    dialect: str = field(default="postgres", init=False)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


def postgres_connect(dbname: str = DATABASE) -> Any:
    import psycopg

    con = psycopg.connect(f"{POSTGRES} dbname={dbname}", autocommit=True)
    con.execute("SET TIME ZONE 'Europe/Paris'")
    con.execute(f"SET work_mem = '{WORK_MEM}'")
    return con


def postgres_state(version: str) -> tuple[bool, int]:
    """(whether `requests` holds the rows of `version`, its row count)."""
    import psycopg

    with postgres_connect("postgres") as con:
        found = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchall()
        if not found:
            con.execute(f"CREATE DATABASE {DATABASE}")
    with postgres_connect() as con:
        try:
            marker = con.execute("SELECT version, rows FROM bench_meta").fetchall()
            count = con.execute("SELECT count(*) FROM requests").fetchall()[0][0]
        except psycopg.errors.UndefinedTable:
            return False, 0
    return bool(marker) and marker[0] == (version, count), count


def child_load_postgres(data: str, version: str) -> None:
    """Copy the Delta table's rows into PostgreSQL: DuckDB writes them as CSV (UTC), COPY
    streams the file in, then the indexes and VACUUM ANALYZE."""
    import duckdb

    from pilotis.warehouse import storage
    from pilotis.warehouse.schemas import get_schema

    setup(Path(data))
    schema = storage.arrow_schema(get_schema("requests"))
    types = {f.name: POSTGRES_TYPES[f.type] for f in get_schema("requests").fields}
    columns = [f.name for f in schema]
    steps: dict[str, float] = {}
    started = time.perf_counter()
    csv = Path(data) / "requests.csv"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    storage.register(con, "delta_requests", requests_data.TENANT, "requests")
    names = ", ".join(storage.ident(c) for c in columns)
    con.execute(f"COPY (SELECT {names} FROM delta_requests) TO '{csv}' (HEADER false)")
    con.close()
    steps["DuckDB writes the rows as CSV"] = time.perf_counter() - started

    mark = time.perf_counter()
    pg = postgres_connect()
    pg.execute("SET maintenance_work_mem = '1GB'")
    pg.execute("DROP TABLE IF EXISTS requests, bench_meta")
    definitions = ", ".join(
        f"{storage.ident(c)} {types.get(c, 'BIGINT' if c == '_source_row' else 'TEXT')}"
        for c in columns
    )
    with pg.transaction():  # created and filled in one transaction: COPY … FREEZE
        pg.execute(f"CREATE TABLE requests ({definitions})")
        with pg.cursor().copy(f"COPY requests ({names}) FROM STDIN (FORMAT csv, FREEZE)") as copy:
            with open(csv, "rb") as source:
                while chunk := source.read(8 * 1024 * 1024):
                    copy.write(chunk)
    csv.unlink()
    steps["COPY into PostgreSQL"] = time.perf_counter() - mark
    mark = time.perf_counter()
    for column in INDEXED:
        pg.execute(f"CREATE INDEX requests_{column} ON requests ({storage.ident(column)})")
    steps["indexes " + ", ".join(INDEXED)] = time.perf_counter() - mark
    mark = time.perf_counter()
    pg.execute("VACUUM ANALYZE requests")
    steps["VACUUM ANALYZE"] = time.perf_counter() - mark
    count = pg.execute("SELECT count(*) FROM requests").fetchall()[0][0]
    pg.execute("CREATE TABLE bench_meta (version TEXT, rows BIGINT)")
    pg.execute("INSERT INTO bench_meta VALUES (%s, %s)", (version, count))
    size = pg.execute("SELECT pg_total_relation_size('requests')").fetchall()[0][0]
    pg.close()
    report({"rows": count, "seconds": time.perf_counter() - started, "steps": steps, "size": size})


# ---------------------------------------------------------------------------------------------
# Timing `figures`, indicator by indicator


class Timed:
    """A `Database` that adds each query's time to the indicator being computed."""

    def __init__(self, db: Any, clock: "Clock") -> None:
        self.db, self.clock, self.dialect = db, clock, db.dialect

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        started = time.perf_counter()
        try:
            return self.db.rows(sql)
        finally:
            self.clock.query(time.perf_counter() - started)


class Clock:
    """Times the calls `page.figures` makes (each indicator function it calls with `db`), by
    wrapping them where `figures` looks them up; nested calls count in the outermost one."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.seconds: dict[str, float] = {}
        self.sql: dict[str, float] = {}
        self.queries: dict[str, int] = {}

    def reset(self) -> None:
        self.seconds, self.sql, self.queries = {}, {}, {}

    def query(self, seconds: float) -> None:
        label = self.current or "other"
        self.sql[label] = self.sql.get(label, 0.0) + seconds
        self.queries[label] = self.queries.get(label, 0) + 1

    def wrap(self, owner: Any, name: str, label: str | None = None) -> None:
        function = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.current is not None:
                return function(*args, **kwargs)
            by = next((a for a in args[1:] if isinstance(a, str)), kwargs.get("by"))
            self.current = (label or name) + (f"({by})" if by else "")
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds[self.current] = self.seconds.get(self.current, 0.0) + elapsed
                self.current = None

        setattr(owner, name, timed)

    def instrument(self) -> None:
        """Wrap what `figures` calls: found in its source, so the breakdown follows it."""
        from pilotis.requests import page, rising, seasonality  # noqa: F401 - wrapped below

        source = inspect.getsource(page.figures)
        modules = {"indicators": page.indicators, "rising": rising, "seasonality": seasonality}
        for module, name in sorted(set(re.findall(r"\b(\w+)\.(\w+)\(db\b", source))):
            if module in modules:
                self.wrap(modules[module], name, f"{module}.{name}")
        for name in sorted(set(re.findall(r"(?<![.\w])(\w+)\(db\b", source))):
            if name != "figures" and callable(getattr(page, name, None)):
                self.wrap(page, name, f"page.{name}")
        self.wrap(page, "data_span", "page.data_span")


def page_work(db: Any, period: Any, as_of: datetime) -> Any:
    """What the page computes from the data: its span, then every figure."""
    from pilotis.requests import page

    page.data_span(db)
    return page.figures(db, period, as_of, requests_data.TARGETS)


def child_engine(engine: str, data: str, warm_runs: str) -> None:
    """Cold run on a new connection, then the best of `warm_runs` on the same one."""
    setup(Path(data))
    from pilotis.requests import data as requests_db
    from pilotis.requests import page, rising, seasonality  # noqa: F401 - imported before timing

    period, as_of = the_period()
    clock = Clock()
    clock.instrument()

    def connect() -> Any:
        if engine == "duckdb":
            return requests_db.connect(requests_db.Scope((requests_data.TENANT,)))
        return Postgres(postgres_connect())

    started = time.perf_counter()
    db = connect()
    connected = time.perf_counter() - started
    figures = page_work(Timed(db, clock), period, as_of)
    cold = time.perf_counter() - started
    cold_steps = dict(clock.seconds)
    runs, steps, sql, queries = [], [], [], {}
    for _ in range(int(warm_runs)):
        clock.reset()
        started = time.perf_counter()
        page_work(Timed(db, clock), period, as_of)
        runs.append(time.perf_counter() - started)
        steps.append(dict(clock.seconds))
        sql.append(dict(clock.sql))
        queries = dict(clock.queries)
    best = {k: min(s.get(k, math.inf) for s in steps) for k in steps[0]}
    best_sql = {k: min(s.get(k, math.inf) for s in sql) for k in sql[0]}
    report(
        {
            "period": [period.start.isoformat(), period.end.isoformat()],
            "connect": connected,
            "cold": cold,
            "cold_steps": cold_steps,
            "warm": min(runs),
            "warm_median": statistics.median(runs),
            "runs": runs,
            "steps": best,
            "sql": best_sql,
            "queries": queries,
            "figures": plain(figures),
        }
    )


def plain(value: Any) -> Any:
    """JSON-ready values of a result (dataclasses, numpy, Decimal, dates), for comparing."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Where two `plain` results differ: counts exactly, other numbers within 1e-6 relative."""
    if isinstance(left, dict) and isinstance(right, dict):
        found = []
        for key in sorted(set(left) | set(right)):
            found += differences(left.get(key), right.get(key), f"{path}.{key}".lstrip("."))
        return found
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} items against {len(right)}"]
        found = []
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            found += differences(a, b, f"{path}[{i}]")
        return found
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        if (
            isinstance(left, bool)
            or isinstance(right, bool)
            or isinstance(left, int)
            and isinstance(right, int)
        ):
            return [] if left == right else [f"{path}: {left} against {right}"]
        if math.isclose(left, right, rel_tol=1e-6, abs_tol=1e-9):
            return []
        return [f"{path}: {left} against {right}"]
    return [] if left == right else [f"{path}: {left!r} against {right!r}"]


def figure(result: dict, path: str) -> Any:
    value: Any = result
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# ---------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def run(rows: int, seed: int, warm_runs: int) -> int:
    started = time.perf_counter()
    setup(CACHE)  # the warehouse is set per subprocess; the parent reads the referential only
    folder, version = data_dir(rows, seed)
    script = str(Path(__file__).resolve())
    if (folder / "done.json").exists():
        print(f"generate: cached in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        made = in_subprocess(script, "--child", "generate", str(folder), str(rows), str(seed))
        if "error" in made:
            print(f"  the generation failed: {made['error']}")
            return 1
        print(
            f"generate + write the Delta table: {made['seconds']:.1f} s, peak RSS "
            f"{made['peak_rss_mb']:,.0f} MB → {folder}"
        )
    size = sum(p.stat().st_size for p in (folder / "warehouse").rglob("*.parquet"))
    print(f"  {rows:,} requests over ten years, Delta table {size / 1e6:,.0f} MB")

    loaded, count = postgres_state(version)
    if loaded:
        print(f"PostgreSQL: cached in database {DATABASE} ({count:,} rows)")
    else:
        load = in_subprocess(script, "--child", "load", str(folder), version)
        if "error" in load:
            print(f"  the PostgreSQL load failed: {load['error']}")
            return 1
        print(
            f"PostgreSQL load: {load['seconds']:.1f} s, table + indexes {load['size'] / 1e9:.1f} GB"
        )
        for step, seconds in load["steps"].items():
            print(f"  {step}: {seconds:.1f} s")

    print("\nPilotis (DuckDB over Delta)…")
    duck = in_subprocess(script, "--child", "engine", "duckdb", str(folder), str(warm_runs))
    if "error" in duck:
        print(f"  failed: {duck['error']}")
        return 1
    print("PostgreSQL…")
    pg = in_subprocess(script, "--child", "engine", "postgres", str(folder), "3")
    if "error" in pg:
        print(f"  failed: {pg['error']}")
        return 1

    start, end = duck["period"]
    print(
        f"\nPeriod {start} … {end} (the last twelve months), "
        f"as of {requests_data.as_of():%Y-%m-%d %H:%M}"
    )
    print(
        f"{'indicator (queries)':<44}{'DuckDB cold':>12}{'DuckDB warm':>12}{'of it SQL':>11}"
        f"{'PG warm':>10}{'PG/DuckDB':>10}"
    )
    for label, seconds in sorted(duck["steps"].items(), key=lambda kv: -kv[1]):
        other = pg["steps"].get(label)
        name = f"{label} ({duck['queries'].get(label, 0)})"
        print(
            f"{name:<44}{ms(duck['cold_steps'].get(label, 0)):>12}{ms(seconds):>12}"
            f"{ms(duck['sql'].get(label, 0)):>11}{ms(other) if other else '—':>10}"
            f"{f'×{other / seconds:,.1f}' if other and seconds else '—':>10}"
        )
    print(
        f"\nPilotis (DuckDB over Delta): cold {duck['cold']:.2f} s "
        f"(connect {ms(duck['connect'])}), "
        f"warm {ms(duck['warm'])} (best of {warm_runs}; median {ms(duck['warm_median'])}), "
        f"peak RSS {duck['peak_rss_mb']:,.0f} MB"
    )
    print(
        f"baseline 'PostgreSQL' (indexed table, same SQL): cold {pg['cold']:.2f} s, "
        f"warm {ms(pg['warm'])} (best of 3)"
    )
    ratio = pg["warm"] / duck["warm"]
    warm_ok, cold_ok, ratio_ok = (
        duck["warm"] * 1000 < GOAL_WARM_MS,
        duck["cold"] < GOAL_COLD_S,
        ratio >= GOAL_RATIO,
    )
    print(
        f"\nPilotis (DuckDB over Delta) is ×{ratio:,.1f} faster than PostgreSQL (warm, same run; "
        f"goal ≥ ×{GOAL_RATIO}: {'met' if ratio_ok else 'NOT met'}); cold "
        f"×{pg['cold'] / duck['cold']:,.1f}"
    )
    print(
        f"goals: warm < {GOAL_WARM_MS} ms: {'met' if warm_ok else 'NOT met'}; "
        f"cold < {GOAL_COLD_S:.0f} s: {'met' if cold_ok else 'NOT met'}"
    )

    print("\nSame figures on both engines?")
    for path in KEY_FIGURES:
        print(
            f"  {path}: DuckDB {figure(duck['figures'], path)}, "
            f"PostgreSQL {figure(pg['figures'], path)}"
        )
    found = differences(duck["figures"], pg["figures"])
    print(f"  every figure compared: {len(found)} difference(s)")
    for line in found[:15]:
        print(f"    {line}")
    print(f"total run time: {time.perf_counter() - started:.1f} s")
    return 1 if found else 0


def child_generate(folder: str, rows: str, seed: str) -> None:
    setup(Path(folder))
    made = requests_data.write_table(Path(folder), int(rows), int(seed), requests_data.communes())
    report(made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--warm", type=int, default=5, help="warm runs on DuckDB (best kept)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        children: dict[str, Callable[..., None]] = {
            "generate": child_generate,
            "load": child_load_postgres,
            "engine": child_engine,
        }
        children[kind](*rest)
        return
    sys.exit(run(args.rows, args.seed, args.warm))


if __name__ == "__main__":
    main()
