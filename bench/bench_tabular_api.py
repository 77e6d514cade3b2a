# ruff: noqa: S310, S603, S608 - loopback HTTP to servers this script starts; SQL of constants
"""Benchmark: the tabular API (/api/donnees/) on a 10-million-row resource against the named
baseline "datasette 0.65.5" serving the same table, on the same machine, with the same queries.

Run: .venv/bin/python bench/bench_tabular_api.py [--rows 10000000] [--clients 8] [--seconds 10]
(the environment variable BENCH_ROWS sets the default of --rows).

Generates (once; cached in the temporary folder, keyed by rows, seed and the generator's code)
citizen requests of a métropole: id, commune (40 values), categorie (12), statut (3), date (ten
years, uniformly spread: the file is not in date order), montant (log-normal), quantite (1–99)
and a reference (unique text). Writes them as the Parquet file of a published version, and into
a SQLite table with the indexes each query needs (categorie+date, categorie+quantite,
categorie+montant, statut+commune, commune+categorie: what a datasette publisher adds for these
queries), ANALYZEd.

Servers, each in its own process on loopback:
- Pilotis: waitress (8 threads, as `pilotis serve`) on a fresh instance (migrated SQLite
  database, the tenant, the publication and its version), rate limit off. Its first request
  copies the Parquet file into the API's DuckDB cache (timed and reported, not measured);
- datasette 0.65.5: `datasette serve -i` (immutable, its fastest mode), sql_time_limit_ms
  60000 (the group-by runs longer than the default second), max_returned_rows 10000 (the
  page size of its CSV streaming), suggest_facets off, num_sql_threads = --clients.

The load comes from a separate process: --clients threads, each with its own keep-alive
connection, sending requests back to back for --seconds after a warm-up; each request's
parameters are drawn at random (neither side answers the same question twice in a row):
1. filter + sort + page: categorie = one of 12, montant ≥ a random threshold, sorted by date
   descending, first page of 50 rows with the filtered total. Pilotis' copy of a big table is
   clustered by its columns with few values then by its first date (pilotis.opendata.tabular):
   this sort is the one it is laid out for;
1b. the same sorted by quantite instead (a sort it is not laid out for: every row the filter
   keeps is read);
2. group-by count: rows per commune among the requests of one statut;
3. CSV export: every row of one commune and one categorie (~1/480 of the table), streamed.

CPU ms/req is the server process' CPU time (user + system, its DuckDB or SQLite threads
included) per request: with both cores busy, it is what bounds the throughput.

Before measuring, both servers answer each query once with the same parameters and the answers
are compared (totals, dates in order, counts per commune, CSV rows); the run fails when they
differ. Prints throughput (requests/s), p50 and p99 latency of both, side by side, and the
ratios."""

import argparse
import hashlib
import http.client
import inspect
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "pilotis-bench-tabular"
BIN = Path(sys.executable).parent
RESULT_MARK = "BENCH-RESULT "
TENANT, SLUG = "35238", "demandes"
COMMUNES = [
    "Rennes",
    "Saint-Malo",
    "Cesson-Sévigné",
    "Bruz",
    "Saint-Jacques-de-la-Lande",
    "Pacé",
    "Betton",
    "Chartres-de-Bretagne",
    "Vezin-le-Coquet",
    "Thorigné-Fouillard",
    "Acigné",
    "Bécherel",
    "Brécé",
    "Chantepie",
    "Chavagne",
    "Chevaigné",
    "Cintré",
    "Corps-Nuds",
    "Gévezé",
    "L'Hermitage",
    "La Chapelle-Chaussée",
    "La Chapelle-des-Fougeretz",
    "La Chapelle-Thouarault",
    "Laillé",
    "Langan",
    "Le Rheu",
    "Le Verger",
    "Miniac-sous-Bécherel",
    "Montgermont",
    "Mordelles",
    "Nouvoitou",
    "Noyal-Châtillon-sur-Seiche",
    "Orgères",
    "Parthenay-de-Bretagne",
    "Pont-Péan",
    "Romillé",
    "Saint-Armel",
    "Saint-Erblon",
    "Saint-Gilles",
    "Saint-Grégoire",
]
CATEGORIES = [
    "Voirie",
    "Propreté",
    "Éclairage public",
    "Espaces verts",
    "Stationnement",
    "Bruit",
    "Eau",
    "Déchets",
    "Transports",
    "Écoles",
    "Sport",
    "Culture",
]
STATUSES = ["ouvert", "clos", "en cours"]
INDEXES = {
    "t_categorie_date": "categorie, date",
    "t_categorie_quantite": "categorie, quantite",
    "t_categorie_montant": "categorie, montant",
    "t_statut_commune": "statut, commune",
    "t_commune_categorie": "commune, categorie",
}
QUERIES = ("filter+sort+page", "filter+sort+page (quantite)", "group-by count", "CSV export")


# ---------------------------------------------------------------------------------------------
# The data


def generate(rows: int, seed: int, parquet: Path) -> None:
    """The rows, written as a Parquet file (zstd, as the publication pipeline writes)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)

    def pick(values: list[str]) -> pa.Array:
        codes = pa.array(rng.integers(0, len(values), rows).astype(np.int32))
        return pa.DictionaryArray.from_arrays(codes, pa.array(values)).cast(pa.string())

    days = rng.integers(0, 3653, rows).astype("timedelta64[D]")
    ids = np.arange(1, rows + 1)
    table = pa.table(
        {
            "id": pa.array(ids),
            "reference": pa.array(np.char.add("D-", ids.astype(str))),
            "commune": pick(COMMUNES),
            "categorie": pick(CATEGORIES),
            "statut": pick(STATUSES),
            "date": pa.array(np.datetime64("2016-01-01") + days),
            "montant": pa.array(np.round(rng.lognormal(5, 1.2, rows), 2)),
            "quantite": pa.array(rng.integers(1, 100, rows)),
        }
    )
    pq.write_table(table, parquet, compression="zstd")


def build_sqlite(parquet: Path, db: Path) -> dict[str, float]:
    """The same rows in SQLite (dates as ISO text, as datasette shows them), indexed."""
    import pyarrow.parquet as pq

    steps = {}
    started = time.perf_counter()
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, reference TEXT, commune TEXT, categorie TEXT, "
        "statut TEXT, date TEXT, montant REAL, quantite INTEGER)"
    )
    for batch in pq.ParquetFile(parquet).iter_batches(batch_size=200_000):
        columns = batch.to_pydict()
        columns["date"] = [d.isoformat() for d in columns["date"]]
        con.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            zip(*(columns[n] for n in batch.schema.names), strict=True),
        )
    con.commit()
    steps["SQLite: insert the rows"] = time.perf_counter() - started
    mark = time.perf_counter()
    for name, columns in INDEXES.items():
        con.execute(f"CREATE INDEX {name} ON t ({columns})")
    con.execute("ANALYZE")
    con.commit()
    con.close()
    tmp.rename(db)
    steps["SQLite: indexes " + "; ".join(INDEXES.values()) + ", ANALYZE"] = (
        time.perf_counter() - mark
    )
    return steps


def data(rows: int, seed: int) -> tuple[Path, Path]:
    code = inspect.getsource(generate) + inspect.getsource(build_sqlite) + repr(INDEXES)
    key = hashlib.sha256(f"{rows}|{seed}|{code}".encode()).hexdigest()[:12]
    folder = CACHE / f"rows-{rows}-seed-{seed}-{key}"
    parquet, db = folder / "data.parquet", folder / "bench.db"
    folder.mkdir(parents=True, exist_ok=True)
    if not parquet.exists():
        started = time.perf_counter()
        generate(rows, seed, folder / "tmp.parquet")
        (folder / "tmp.parquet").rename(parquet)
        print(f"  generated {rows:,} rows as Parquet: {time.perf_counter() - started:.1f} s")
    if not db.exists():
        for step, seconds in build_sqlite(parquet, db).items():
            print(f"  {step}: {seconds:.1f} s")
    else:
        print(f"  cached data: {folder}")
    return parquet, db


# ---------------------------------------------------------------------------------------------
# The servers

SETTINGS = """from pilotis.settings import *  # noqa: F403

OPENDATA_API_RATE = "off"  # the benchmark measures the API, not its rate limit
"""

CREATE = """
import hashlib, os, shutil, sys
from pathlib import Path
import django
django.setup()
from django.utils import timezone
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.publish import version_folder
from pilotis.tenants.models import Tenant

source, rows = Path(sys.argv[1]), int(sys.argv[2])
tenant, _ = Tenant.objects.get_or_create(
    code=sys.argv[3], defaults={"kind": "commune", "name": "Rennes"}
)
pub = Publication.objects.create(
    tenant=tenant, slug=sys.argv[4], title="Demandes des usagers", description="Benchmark."
)
version = PublicationVersion(publication=pub, number=1)
folder = version_folder(version)
folder.mkdir(parents=True)
try:
    os.link(source, folder / "data.parquet")
except OSError:
    shutil.copyfile(source, folder / "data.parquet")
version.resources = {"parquet": {"file": "data.parquet", "bytes": source.stat().st_size,
                                 "sha256": hashlib.sha256(str(source).encode()).hexdigest()}}
version.rows = rows
version.status = PublicationVersion.Status.OK
version.finished_at = timezone.now()
version.save()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"no answer from {url}:\n{log.read_text()[-3000:]}")


def start_pilotis(folder: Path, parquet: Path, rows: int) -> tuple[subprocess.Popen, str]:
    (folder / "bench_tabular_settings.py").write_text(SETTINGS)
    env = {
        **os.environ,
        "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "bench_tabular_settings",
        "PILOTIS_INSECURE_DEMO": "1",
        "PILOTIS_VAR_DIR": str(folder / "var"),
        "DATABASE_URL": f"sqlite:///{folder / 'pilotis.sqlite3'}",
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pilotis", "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(
        [sys.executable, "-c", CREATE, str(parquet), str(rows), TENANT, SLUG], env=env, check=True
    )
    print(f"  Pilotis instance (migrate, publication): {time.perf_counter() - started:.1f} s")
    port = free_port()
    log = folder / "waitress.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "waitress",
            "--threads=8",
            f"--listen=127.0.0.1:{port}",
            "pilotis.wsgi:application",
        ],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/api/donnees/openapi.json", process, log)
    return process, base


def start_datasette(folder: Path, db: Path, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = folder / "datasette.log"
    settings = {
        "sql_time_limit_ms": 60000,
        "max_returned_rows": 10000,
        "suggest_facets": "off",
        "num_sql_threads": threads,
    }
    command = [str(BIN / "datasette"), "serve", "-i", str(db), "--port", str(port)]
    for name, value in settings.items():
        command += ["--setting", name, str(value)]
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/-/versions.json", process, log)
    return process, base


# ---------------------------------------------------------------------------------------------
# The queries: (path on Pilotis, path on datasette) for random parameters


def params_of(query: str, rng: random.Random) -> dict[str, Any]:
    if query.startswith("filter+sort+page"):
        return {"categorie": rng.choice(CATEGORIES), "montant": rng.randint(0, 1000)}
    if query == "group-by count":
        return {"statut": rng.choice(STATUSES)}
    return {"commune": rng.choice(COMMUNES), "categorie": rng.choice(CATEGORIES)}


def path_of(system: str, query: str, p: dict[str, Any]) -> str:
    encode = urllib.parse.urlencode
    key = "quantite" if query.endswith("(quantite)") else "date"
    if system == "pilotis":
        base = f"/api/donnees/{TENANT}/{SLUG}/?"
        if query.startswith("filter+sort+page"):
            return base + encode(
                {
                    "categorie__exact": p["categorie"],
                    "montant__greater": p["montant"],
                    f"{key}__sort": "desc",
                    "page_size": 50,
                }
            )
        if query == "group-by count":
            return base + encode(
                {"statut__exact": p["statut"], "commune__groupby": "", "commune__count": ""}
            )
        return base + encode(
            {"commune__exact": p["commune"], "categorie__exact": p["categorie"], "format": "csv"}
        )
    if query.startswith("filter+sort+page"):
        return "/bench/t.json?" + encode(
            {
                "categorie__exact": p["categorie"],
                "montant__gte": p["montant"],
                "_sort_desc": key,
                "_size": 50,
            }
        )
    if query == "group-by count":
        sql = (
            "select commune, count(*) as n from t where statut = :statut "
            "group by commune order by commune"
        )
        return "/bench.json?" + encode({"sql": sql, "statut": p["statut"]})
    return "/bench/t.csv?" + encode(
        {
            "commune__exact": p["commune"],
            "categorie__exact": p["categorie"],
            "_stream": "on",
            "_size": "max",
        }
    )


def fetch(base: str, path: str) -> bytes:
    with urllib.request.urlopen(base + path, timeout=600) as response:
        return bytes(response.read())


def same_answers(pilotis: str, datasette: str) -> list[str]:
    """Both servers answer each query the same way (the ratio must compare the same work)."""
    problems = []
    p = {"categorie": "Voirie", "montant": 300}
    for query, key in (("filter+sort+page", "date"), ("filter+sort+page (quantite)", "quantite")):
        ours = json.loads(fetch(pilotis, path_of("pilotis", query, p)))
        theirs = json.loads(fetch(datasette, path_of("datasette", query, p)))
        columns = theirs["columns"]
        sorted_values = [row[columns.index(key)] for row in theirs["rows"]]
        if ours["meta"]["total"] != theirs["filtered_table_rows_count"]:
            problems.append(
                f"{query}: totals {ours['meta']['total']} ≠ {theirs['filtered_table_rows_count']}"
            )
        # Ties may come in another order (datasette breaks them by rowid, descending here).
        if [r[key] for r in ours["data"]] != sorted_values or len(ours["data"]) != 50:
            problems.append(f"{query}: the pages differ")
    p = {"statut": "clos"}
    ours = json.loads(fetch(pilotis, path_of("pilotis", "group-by count", p)))
    theirs = json.loads(fetch(datasette, path_of("datasette", "group-by count", p)))
    if {r["commune"]: r["commune__count"] for r in ours["data"]} != {
        r[0]: r[1] for r in theirs["rows"]
    }:
        problems.append("group-by count: the counts differ")
    p = {"commune": "Bruz", "categorie": "Voirie"}
    ours_csv = fetch(pilotis, path_of("pilotis", "CSV export", p)).decode().splitlines()
    theirs_csv = fetch(datasette, path_of("datasette", "CSV export", p)).decode().splitlines()
    if sorted(r.split(",")[0] for r in ours_csv[1:]) != sorted(
        r.split(",")[0] for r in theirs_csv[1:]
    ):
        problems.append(f"CSV export: {len(ours_csv)} ≠ {len(theirs_csv)} lines")
    return problems


# ---------------------------------------------------------------------------------------------
# The load (in its own process)


def child_load(base: str, system: str, query: str, clients: int, seconds: float, warm: float):
    parsed = urllib.parse.urlparse(base)
    started = time.perf_counter()
    measure_from, deadline = started + warm, started + warm + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    ends: list[float] = [0.0] * clients
    errors = [0] * clients
    sizes = [0] * clients

    def worker(i: int) -> None:
        rng = random.Random(1000 + i)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
        while True:
            begin = time.perf_counter()
            if begin >= deadline:
                break
            path = path_of(system, query, params_of(query, rng))
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok, body = False, b""
                conn.close()
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
            end = time.perf_counter()
            if begin >= measure_from:
                if ok:
                    latencies[i].append(end - begin)
                    sizes[i] += len(body)
                else:
                    errors[i] += 1
                ends[i] = max(ends[i], end)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = sorted(x for per in latencies for x in per)
    window = max(max(ends) - measure_from, 1e-9)
    result = {
        "requests": len(done),
        "errors": sum(errors),
        "throughput": len(done) / window,
        "p50_ms": statistics.median(done) * 1000 if done else float("nan"),
        "p99_ms": done[min(len(done) - 1, int(len(done) * 0.99))] * 1000 if done else float("nan"),
        "mb": sum(sizes) / 1e6,
    }
    print(RESULT_MARK + json.dumps(result), flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    base: str, system: str, query: str, clients: int, seconds: float, warm: float, pid: int
) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        base,
        system,
        query,
        str(clients),
        str(seconds),
        str(warm),
    ]
    before = cpu_seconds(pid)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    used = cpu_seconds(pid) - before  # warm-up included: CPU per request, all requests
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = dict(json.loads(line[len(RESULT_MARK) :]))
            total = result["requests"] * (seconds + warm) / seconds
            result["cpu_ms"] = used / max(total, 1) * 1000
            return result
    sys.exit(f"the load process failed: {done.stderr[-2000:]}")


# ---------------------------------------------------------------------------------------------


def run(rows: int, seed: int, clients: int, seconds: float, warm: float) -> int:
    print(f"Tabular API benchmark: {rows:,} rows, {clients} clients, {os.cpu_count()} CPU(s)")
    parquet, db = data(rows, seed)
    folder = Path(tempfile.mkdtemp(prefix="pilotis-bench-tabular-"))
    servers: list[subprocess.Popen] = []
    try:
        pilotis_process, pilotis = start_pilotis(folder, parquet, rows)
        servers.append(pilotis_process)
        started = time.perf_counter()
        fetch(pilotis, f"/api/donnees/{TENANT}/{SLUG}/?page_size=1")
        copied = time.perf_counter() - started
        print(f"  Pilotis first request (copies the Parquet file): {copied:.1f} s")
        datasette_process, datasette = start_datasette(folder, db, clients)
        servers.append(datasette_process)
        started = time.perf_counter()
        fetch(datasette, "/bench/t.json?_size=1")
        print(f"  datasette first request: {time.perf_counter() - started:.1f} s")
        problems = same_answers(pilotis, datasette)
        if problems:
            print("The two servers disagree: " + "; ".join(problems))
            return 1
        print("  both servers give the same answers")
        results: dict[tuple[str, str], dict] = {}
        targets = {
            "pilotis": (pilotis, pilotis_process.pid),
            "datasette": (datasette, datasette_process.pid),
        }
        for query in QUERIES:
            for system, (base, pid) in targets.items():
                results[(query, system)] = load(base, system, query, clients, seconds, warm, pid)
        print()
        print(
            f"{'query':<28} {'system':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'CPU ms/req':>10} {'requests':>9} {'errors':>7}"
        )
        for query in QUERIES:
            for system in ("pilotis", "datasette"):
                r = results[(query, system)]
                print(
                    f"{query:<28} {system:<10} {r['throughput']:>8.1f} {r['p50_ms']:>8.1f} "
                    f"{r['p99_ms']:>8.1f} {r['cpu_ms']:>10.1f} {r['requests']:>9} "
                    f"{r['errors']:>7}"
                )
        print()
        failed = False
        for query in QUERIES:
            ours, theirs = results[(query, "pilotis")], results[(query, "datasette")]
            ratio = ours["throughput"] / max(theirs["throughput"], 1e-9)
            p99 = theirs["p99_ms"] / max(ours["p99_ms"], 1e-9)
            print(
                f"{query}: pilotis {ours['throughput']:.0f} req/s p99 {ours['p99_ms']:.0f} ms "
                f"vs datasette {theirs['throughput']:.0f} req/s p99 {theirs['p99_ms']:.0f} ms "
                f"→ {ratio:.1f}× throughput, p99 {p99:.1f}× lower"
            )
            failed |= bool(ours["errors"] or theirs["errors"])
        return 1 if failed else 0
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", 10_000_000)))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per query")
    parser.add_argument("--warm", type=float, default=2.0, help="warm-up, per query")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        base, system, query, clients, seconds, warm = args.child
        child_load(base, system, query, int(clients), float(seconds), float(warm))
        return
    sys.exit(run(args.rows, args.seed, args.clients, args.seconds, args.warm))


if __name__ == "__main__":
    main()
