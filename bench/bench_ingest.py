# ruff: noqa: S608 - the SQL is built from constants of this file
"""Benchmark: load a 10,000,000-row Windows-1252 CSV of citizen requests, end to end.

Run: .venv/bin/python bench/bench_ingest.py [--rows 10000000] [--seed 42]

Generates (once; cached in the temporary folder, keyed by rows and seed) a CSV like a French
request-management export: Windows-1252, ';' separator, decimal commas, dd/mm/yyyy hh:mm dates,
accented labels, commune names (some in capitals or without accents) of Rennes Métropole, 1 % of
descriptions with characters only Windows-1252 has (’ œ €: bytes 0x80–0x9F, so the reader must
transcode), 2 % with quotes and ';' inside, and 0.5 % invalid rows (impossible dates, unknown
status, latitude out of range) for the quarantine. Sets a throwaway Pilotis up (temporary
folder, SQLite migrated, the shipped referential, the tenant Rennes Métropole with the themes and
services the data name), then measures in the same run, each in a fresh subprocess so that its
memory high-water mark is its own:

- baseline "DuckDB bare read_csv": `SELECT count(*) FROM read_csv(…, all_varchar=true)` on the
  same file (on its UTF-8 twin when DuckDB refuses the Windows-1252 one as latin-1);
- Pilotis end to end: `pipeline.start_run(kind="file")` then `pipeline.execute`: sniffing,
  transcoding, mapping, commune look-up, validation, quarantine and one Delta commit; the time
  of each step is printed, and which path the reader took (latin-1 as is, or transcoded).

For information it also times DuckDB copying every column of the file to Parquet (what any
loader writing the data costs at least), a fairer yardstick than `count(*)`.

Goals: Pilotis at least 50 % of the baseline's rows/s, peak memory under 2 GB.
"""

import argparse
import codecs
import hashlib
import json
import os
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import in_subprocess, report, setup_django, timed  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "pilotis-bench-ingest"
FORMAT_VERSION = 1  # bump when the generated data change
TENANT = "243500139"  # Rennes Métropole
GOAL_RATIO, GOAL_MEMORY_MB = 0.5, 2000
CHUNK = 16 * 1024 * 1024

SERVICES = [
    ("VOI", "Voirie"),
    ("PRO", "Propreté urbaine"),
    ("ENV", "Espaces verts"),
    ("MOB", "Mobilités"),
    ("EAU", "Eau et assainissement"),
    ("TRA", "Tranquillité publique"),
]
THEMES = [  # code, label as in the export, service handling it, weight
    ("voirie", "Voirie", "VOI", 6),
    ("proprete", "Propreté", "PRO", 5),
    ("eclairage", "Éclairage public", "VOI", 3),
    ("espaces-verts", "Espaces verts", "ENV", 2),
    ("dechets", "Déchets et encombrants", "PRO", 2),
    ("stationnement", "Stationnement gênant", "MOB", 1),
    ("eau", "Eau et assainissement", "EAU", 1),
    ("bruit", "Bruit et nuisances", "TRA", 1),
]
STATUSES = [  # label in the export, canonical status, weight
    ("Clôturée", "closed", 11),
    ("Résolue", "closed", 1),
    ("En cours", "open", 5),
    ("Nouvelle", "open", 2),
    ("En attente", "open", 1),
]
MOTIFS = [
    "Nid de poule dangereux",
    "Dépôt sauvage de déchets",
    "Lampadaire éteint depuis plusieurs jours",
    "Trottoir dégradé après travaux",
    "Haie débordant sur la chaussée",
    "Véhicule ventouse stationné",
    "Tags à effacer sur la façade",
    "Conteneur à verre plein",
    "Arbre menaçant de tomber",
    "Fuite d'eau sur la voie publique",
    "Bruit de chantier très tôt le matin",
    "Signalisation effacée au carrefour",
]
PLACES = [
    "rue de l'Église",
    "boulevard de la Liberté",
    "place de la Mairie",
    "avenue Général-Leclerc",
    "près de l'école élémentaire",
    "à côté du gymnase",
    "chemin des Prés",
    "quai Émile-Zola",
    "allée des Châtaigniers",
    "impasse du Moulin",
]
CP1252_ONLY = [  # ’ œ € … « » and the like: bytes 0x80–0x9F in Windows-1252, absent in latin-1
    "L’usager signale un nid de poule",
    "Nœud de câbles arraché par le vent",
    "Demande de remboursement de 35 € (fourrière)",
    "Œuvre d’art dégradée sur le rond-point",
    "Déchets… encore une fois devant l’entrée",
]
QUOTED = 'Riverain : "c\'est la troisième fois; rien ne bouge"'
BAD_DATES = ["31/02/2025 10:00", "2025-13-01 08:00", "32/01/2025 08:00", "hier matin"]

_STATUS_MAP = ", ".join(f"{label}: {status}" for label, status, _ in STATUSES)
_THEME_MAP = ", ".join(f"{label}: {code}" for code, label, _, _ in THEMES)
MAPPING = f"""
table: requests
fields:
  service_request_id: Numéro
  status: {{column: État, values: {{{_STATUS_MAP}}}}}
  requested_datetime: {{column: Date, format: "%d/%m/%Y %H:%M"}}
  commune_insee: {{column: Commune, referential: commune}}
  category: {{column: Thème, values: {{{_THEME_MAP}}}}}
  service: Direction
  lat: Latitude
  long: Longitude
  channel: {{value: phone}}
  description: Objet
"""


def sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def weighted(pairs: list[tuple[str, int]]) -> list[str]:
    return [value for value, weight in pairs for _ in range(weight)]


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def commune_spellings() -> list[str]:
    """1,000 slots of commune names of the tenant, drawn by population, as exports write them:
    mostly the official name, some in capitals or without accents. Only spellings the
    referential resolves to the right commune are kept (a homonym elsewhere in France makes a
    bare name ambiguous: such rows would be quarantined, which is not what is measured here)."""
    from pilotis.referential.lookup import CommuneIndex
    from pilotis.referential.snapshot import read_snapshot

    communes = [c for c in read_snapshot().communes if c.epci == TENANT and not c.parent]
    candidates = []
    for c in communes:
        weight = max(
            1, round(1000 * (c.population or 0) / sum(x.population or 0 for x in communes))
        )
        for spelling, share in (
            (c.name, 0.8),
            (c.name.upper(), 0.15),
            (strip_accents(c.name), 0.05),
        ):
            candidates.append((spelling, c.code, max(1, round(weight * share))))
    index = CommuneIndex.from_db()
    codes = index.resolve_many([s for s, _, _ in candidates], [None] * len(candidates))
    kept = [(s, w) for (s, code, w), got in zip(candidates, codes, strict=True) if got == code]
    dropped = {s for (s, code, _), got in zip(candidates, codes, strict=True) if got != code}
    if dropped:
        print(f"  spellings left out (ambiguous in the referential): {', '.join(sorted(dropped))}")
    return weighted(kept)


def generation_sql(rows: int, seed: int, communes: list[str]) -> str:
    """One SELECT producing the export's rows from range(rows), every choice drawn from a hash
    of the row number (deterministic, parallel). `_bad`: 0 for a valid row, else the kind of
    error (1 unknown status, 2 impossible date, 3 latitude out of range)."""
    statuses = weighted([(label, w) for label, _, w in STATUSES])
    themes = weighted([(f"{label}\t{service}", w) for _, label, service, w in THEMES])
    return f"""
WITH r AS (
    SELECT range AS i, hash(range, {seed}, 1) AS h, hash(range, {seed}, 2) AS g FROM range({rows})
), d AS (
    SELECT *,
        CASE WHEN g % 200 = 7 THEN 1 + CAST((g // 200) % 3 AS INTEGER) ELSE 0 END AS _bad,
        CAST((g // 1000) % 1000 AS INTEGER) AS text_roll,
        string_split({sql_list(themes)}[1 + CAST((h >> 40) % {len(themes)} AS INTEGER)], chr(9))
            AS theme
    FROM r
)
SELECT
    'DEM-' || lpad(CAST(i + 1 AS VARCHAR), 8, '0') AS "Numéro",
    CASE WHEN _bad = 1 THEN 'Perdue'
         ELSE {sql_list(statuses)}[1 + CAST(h % {len(statuses)} AS INTEGER)] END AS "État",
    CASE WHEN _bad = 2 THEN {sql_list(BAD_DATES)}[1 + CAST((g >> 30) % 4 AS INTEGER)]
         ELSE strftime(TIMESTAMP '2019-01-01 07:00'
                       + to_minutes(CAST((h >> 8) % 3500000 AS BIGINT)), '%d/%m/%Y %H:%M')
    END AS "Date",
    {sql_list(communes)}[1 + CAST((h >> 28) % {len(communes)} AS INTEGER)] AS "Commune",
    theme[1] AS "Thème",
    CASE WHEN (g >> 40) % 100 < 8 THEN NULL ELSE theme[2] END AS "Direction",
    CASE WHEN _bad = 3 THEN '148,11'
         ELSE replace(printf('%.6f', 48.05 + CAST((h >> 44) % 150000 AS DOUBLE) / 1e6), '.', ',')
    END AS "Latitude",
    replace(printf('%.6f', -1.85 + CAST((g >> 44) % 300000 AS DOUBLE) / 1e6), '.', ',')
        AS "Longitude",
    CASE WHEN text_roll < 10
             THEN {sql_list(CP1252_ONLY)}[1 + CAST((h >> 20) % {len(CP1252_ONLY)} AS INTEGER)]
         WHEN text_roll < 30 THEN {sql_list([QUOTED])}[1]
         ELSE {sql_list(MOTIFS)}[1 + CAST((h >> 16) % {len(MOTIFS)} AS INTEGER)] || ' '
              || {sql_list(PLACES)}[1 + CAST((g >> 52) % {len(PLACES)} AS INTEGER)]
    END AS "Objet",
    _bad, text_roll < 10 AS _cp1252_only
FROM d
"""


def generate(rows: int, seed: int, communes: list[str]) -> tuple[Path, Path, dict]:
    """The Windows-1252 export, its UTF-8 twin and what they hold (cached by rows, seed and
    the data's definition)."""
    import duckdb

    query = generation_sql(rows, seed, communes)
    key = hashlib.sha256(f"{FORMAT_VERSION}{query}".encode()).hexdigest()[:10]
    CACHE.mkdir(exist_ok=True)
    stem = CACHE / f"requests-{rows}-{seed}-{key}"
    path, twin, meta_path = (Path(f"{stem}{s}") for s in (".csv", ".utf8.csv", ".json"))
    if path.exists() and twin.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        print(f"generate: cached in {path}")
        return path, twin, meta
    started = time.perf_counter()
    con = duckdb.connect()
    columns = '"Numéro", "État", "Date", "Commune", "Thème", "Direction", "Latitude", '
    columns += '"Longitude", "Objet"'
    con.execute(f"COPY (SELECT {columns} FROM ({query})) TO '{twin}.part' (HEADER, DELIMITER ';')")
    bad, cp1252_only = con.sql(
        f"SELECT count(*) FILTER (WHERE _bad > 0), count(*) FILTER (WHERE _cp1252_only) "
        f"FROM ({query})"
    ).fetchall()[0]
    copied = time.perf_counter() - started
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(f"{twin}.part", "rb") as source, open(f"{path}.part", "wb") as target:
        while chunk := source.read(CHUNK):
            target.write(decoder.decode(chunk).encode("cp1252"))
        target.write(decoder.decode(b"", final=True).encode("cp1252"))
    os.replace(f"{twin}.part", twin)
    os.replace(f"{path}.part", path)
    meta = {"rows": rows, "invalid": bad, "cp1252_only": cp1252_only}
    meta_path.write_text(json.dumps(meta))
    elapsed = time.perf_counter() - started
    print(
        f"generate: {elapsed:.1f} s (DuckDB COPY to UTF-8 {copied:.1f} s, transcoding to "
        f"Windows-1252 {elapsed - copied:.1f} s) → {path}"
    )
    return path, twin, meta


# ---------------------------------------------------------------------------------------------
# Measures, each run in its own process (`--child …`)


def child_baseline(path: str, encoding: str, copy_to: str = "") -> None:
    """`count(*)` of DuckDB's read_csv; or, given `copy_to`, every column copied to Parquet."""
    import duckdb

    con = duckdb.connect()
    read = f"read_csv('{path}', all_varchar=true, delim=';', encoding='{encoding}', header=true)"
    sql = f"SELECT count(*) FROM {read}"
    if copy_to:
        sql = f"COPY (SELECT * FROM {read}) TO '{copy_to}' (FORMAT parquet)"
    started = time.perf_counter()
    try:
        result = con.execute(sql).fetchall()[0][0]
    except duckdb.Error as error:
        report({"error": str(error).splitlines()[0]})
        return
    report({"rows": result, "seconds": time.perf_counter() - started, "sql": sql})


STEPS = {  # the steps of a load timed in the Pilotis subprocess: (module, function) → label
    ("files", "sniff_csv"): "sniff the CSV",
    ("files", "_transcode"): "transcode Windows-1252 → UTF-8 (temporary file)",
    ("pipeline", "_commune_map"): "commune look-up (distinct names, scan of the file)",
    ("pipeline", "_run_with_progress"): "read + map + validate → Parquet (one DuckDB query)",
    ("pipeline", "_quarantine"): "write the quarantine (Delta)",
    ("pipeline", "_commit"): "write the accepted rows (Delta commit)",
}


def instrument(modules: dict, seconds: dict) -> None:
    """Wrap the functions of STEPS to add up the time spent in each (instrumentation only)."""

    def timer(label, function):
        def timed_step(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - started

        return timed_step

    for (module, name), label in STEPS.items():
        function = getattr(modules[module], name, None)
        if function is not None:  # a step renamed since: not timed, the load still runs
            setattr(modules[module], name, timer(label, function))


def child_pilotis(folder: str, path: str) -> None:
    setup_django(folder, migrate=False)
    from pilotis.connectors import files, pipeline
    from pilotis.connectors.mapping import Mapping
    from pilotis.tenants.models import Tenant

    steps: dict[str, float] = {}
    instrument({"files": files, "pipeline": pipeline}, steps)

    tenant = Tenant.objects.get(code=TENANT)
    started = time.perf_counter()
    run = pipeline.start_run(
        tenant, Mapping.from_yaml(MAPPING), kind="file", config={"path": path}, source_name="bench"
    )
    outcome = pipeline.execute(run)
    seconds = time.perf_counter() - started
    run.refresh_from_db()
    report(
        {
            **outcome.as_json(),
            "seconds": seconds,
            "description": run.description,
            "read_hints": run.read_hints,
            "steps": steps,
        }
    )


# ---------------------------------------------------------------------------------------------


def prepare_instance() -> None:
    """The referential, the tenant, its services and themes, in the throwaway database."""
    from pilotis.referential.load import load_snapshot
    from pilotis.referential.models import OrgUnit, Theme
    from pilotis.tenants.services import create_tenant

    counts, _ = timed("load_snapshot into SQLite", load_snapshot)
    print(f"  {counts['communes']:,} communes")
    tenant = create_tenant(TENANT, with_members=False)
    for code, name in SERVICES:
        OrgUnit.objects.create(tenant=tenant, name=name, code=code, kind=OrgUnit.Kind.SERVICE)
    for code, label, _, _ in THEMES:
        Theme.objects.create(tenant=tenant, code=code, label=label)
    print(f"  tenant {tenant.code} {tenant.name}, {len(SERVICES)} services, {len(THEMES)} themes")


def run(folder: str, rows: int, seed: int) -> int:
    started = time.perf_counter()
    setup_django(folder)
    prepare_instance()
    communes = commune_spellings()
    print(f"  {len(set(communes))} commune spellings")
    path, twin, meta = generate(rows, seed, communes)
    size = path.stat().st_size
    print(
        f"  {rows:,} rows, {size / 1e9:.2f} GB; {meta['invalid']:,} invalid rows "
        f"({meta['invalid'] / rows:.2%}); {meta['cp1252_only']:,} rows with bytes 0x80–0x9F "
        f"(’ œ € …: Windows-1252, not latin-1)"
    )

    print("\nbaseline 'DuckDB bare read_csv' (subprocess)…")
    script = str(Path(__file__).resolve())
    baseline = in_subprocess(script, "--child", "baseline", str(path), "latin-1")
    baseline.update(file=str(path), encoding="latin-1")
    label = "DuckDB bare read_csv, latin-1, of the Windows-1252 file"
    if "error" in baseline:
        print(f"  read_csv(encoding='latin-1') refuses the Windows-1252 file: {baseline['error']}")
        print("  → the baseline is measured on the file's UTF-8 twin (same rows and characters)")
        baseline = in_subprocess(script, "--child", "baseline", str(twin), "utf-8")
        baseline.update(file=str(twin), encoding="utf-8")
        label = "DuckDB bare read_csv of the UTF-8 twin"
        if "error" in baseline:
            print(f"  failed again: {baseline['error']}")
            return 1
    base_rate = baseline["rows"] / baseline["seconds"]
    print(f"  {baseline['sql']}")
    print(
        f"  {label}: {baseline['rows']:,} rows, {baseline['seconds']:.2f} s, "
        f"{base_rate:,.0f} rows/s, peak RSS {baseline['peak_rss_mb']:,.0f} MB"
    )

    copied = in_subprocess(
        script, "--child", "baseline", baseline["file"], baseline["encoding"], f"{folder}/x.parquet"
    )
    Path(f"{folder}/x.parquet").unlink(missing_ok=True)
    copy_rate = copied["rows"] / copied["seconds"] if "rows" in copied else None
    if copy_rate:
        print(
            f"  for information, 'DuckDB read_csv → Parquet' (every column materialised and "
            f"written, no typing): {copied['seconds']:.2f} s, {copy_rate:,.0f} rows/s, "
            f"peak RSS {copied['peak_rss_mb']:,.0f} MB"
        )

    print("\nPilotis end to end: start_run(kind='file') + execute (subprocess)…")
    pilotis = in_subprocess(script, "--child", "pilotis", folder, str(path))
    if "error" in pilotis:
        print(f"  the load failed: {pilotis['error']}")
        return 1
    rate = pilotis["read"] / pilotis["seconds"]
    print(f"  reader: {pilotis['description']}; hints {pilotis['read_hints']}")
    transcoded = STEPS["files", "_transcode"] in pilotis["steps"]
    print(
        "  path taken: "
        + (
            "bytes 0x80–0x9F found → transcoded to a temporary UTF-8 file, then DuckDB read_csv"
            if transcoded
            else "read by DuckDB as latin-1 directly (no byte 0x80–0x9F), no transcoding"
        )
    )
    for step, seconds in pilotis["steps"].items():
        print(f"    {step}: {seconds:.2f} s")
    other = pilotis["seconds"] - sum(pilotis["steps"].values())
    print(f"    other (references, uniqueness, counts, bookkeeping): {other:.2f} s")
    print(
        f"  Pilotis: {pilotis['read']:,} rows, {pilotis['seconds']:.2f} s, {rate:,.0f} rows/s, "
        f"peak RSS {pilotis['peak_rss_mb']:,.0f} MB"
    )
    read, loaded, quarantined = pilotis["read"], pilotis["loaded"], pilotis["quarantined"]
    balanced = read == loaded + quarantined
    print(
        f"  read {read:,} = loaded {loaded:,} + quarantined {quarantined:,}: "
        f"{'yes' if balanced else 'NO'}; version {pilotis['version']}"
    )
    expected_ok = read == rows and quarantined == meta["invalid"]
    print(
        f"  expected: read {rows:,}, quarantined {meta['invalid']:,} (the invalid rows "
        f"generated): {'yes' if expected_ok else 'NO'}"
    )

    ratio = rate / base_rate
    memory = pilotis["peak_rss_mb"]
    print(
        f"\nPilotis runs at {ratio:.1%} of the baseline '{label}' (goal ≥ {GOAL_RATIO:.0%}: "
        f"{'met' if ratio >= GOAL_RATIO else 'NOT met'}); peak memory {memory / 1000:.2f} GB "
        f"(goal < {GOAL_MEMORY_MB / 1000:.0f} GB: "
        f"{'met' if memory < GOAL_MEMORY_MB else 'NOT met'})"
    )
    if copy_rate:
        print(
            f"(for information: {rate / copy_rate:.1%} of 'DuckDB read_csv → Parquet', "
            "which neither transcodes, types, validates nor commits)"
        )
    print(f"total run time: {time.perf_counter() - started:.1f} s")
    return 0 if balanced and expected_ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        {"baseline": child_baseline, "pilotis": child_pilotis}[kind](*rest)
        return
    with tempfile.TemporaryDirectory(prefix="pilotis-bench-") as folder:
        sys.exit(run(folder, args.rows, args.seed))


if __name__ == "__main__":
    main()
