# ruff: noqa: S608 - the SQL is built from constants of this file
"""Benchmark: validate a 1,000,000-row CSV against a Table Schema, Pilotis against frictionless.

Run: .venv/bin/python bench/bench_validate.py [--rows 1000000] [--seed 42]

Generates (once; cached in the temporary folder, keyed by rows and seed) a UTF-8 CSV of citizen
requests with ';' separators, decimal commas and dd/mm/yyyy hh:mm dates whose columns are fields
of the canonical table `requests`, and 1 % of invalid rows, each with one error among: type
(impossible dates, "48,6a"), enum (status, channel), pattern (postal code), minimum/maximum
(latitude, longitude), missing required values, maxLength, format (email, uri) and duplicate
primary keys (always the duplicate of a valid row). No row breaks a foreign key: frictionless
cannot check those against the referential and the tenant's lists, Pilotis does (on every row).

Writes the frictionless Table Schema of the file, derived from Pilotis's `requests.json` (the
same constraints, `primaryKey`, `missingValues`; `decimalChar: ","` on numbers and the date
format on datetimes), then validates the file in the same run:

- Pilotis: the `file` source kind's relation as `raw_input` on a connection set up as the
  pipeline's, `validate.build_query` written to Parquet, then the primary key settled over the
  valid rows (`duplicates_sql`, `errors_sql`) and the rejected `_source_row`s read back: the
  steps of `pipeline._load` before the quarantine and the commit;
- baseline "frictionless.validate": `frictionless.validate(path, schema=…, limit_errors=10**9)`.

Prints both timings, the speed ratio (goal ≥ 50×) and checks that both report the same invalid
rows (frictionless numbers rows from the header line, 1, so its row n is Pilotis's row n - 1);
exits non-zero when they differ.
"""

import argparse
import collections
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import ROOT, setup_django, timed  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "pilotis-bench-validate"
FORMAT_VERSION = 1  # bump when the generated data change
CANONICAL = ROOT / "pilotis" / "warehouse" / "schemas" / "requests.json"
GOAL_RATIO = 50
DATE_FORMAT = "%d/%m/%Y %H:%M"
COLUMNS = [  # fields of `requests`, in its order
    "service_request_id",
    "status",
    "description",
    "requested_datetime",
    "updated_datetime",
    "zipcode",
    "commune_insee",
    "lat",
    "long",
    "service",
    "category",
    "channel",
    "media_url",
    "requester_email",
]
SERVICES = ["VOI", "PRO", "ENV", "MOB"]
THEMES = ["voirie", "proprete", "eclairage", "espaces-verts", "dechets", "bruit"]
CHANNELS = ["phone", "counter", "email", "web", "mobile", "mail", "social"]
DEPARTEMENTS = ("35", "2A", "2B", "75", "971")  # "2A004": the INSEE pattern's letters
MOTIFS = [
    "Nid de poule dangereux",
    "Dépôt sauvage de déchets",
    "Lampadaire éteint depuis plusieurs jours",
    "Trottoir dégradé après travaux",
    "Haie débordant sur la chaussée",
    "Tags à effacer sur la façade",
    "Fuite d'eau sur la voie publique",
    'Riverain : "troisième signalement; rien ne bouge"',
]
FIRST_NAMES = ["jean", "marie", "pierre", "nathalie", "loic", "maelle", "yann", "sophie"]
LAST_NAMES = ["martin", "le-goff", "dupont", "bernard", "guillou", "durand", "moreau"]


def sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def pick(values: list[str], bits: str) -> str:
    """One of `values`, chosen by the hash bits `bits` (an UBIGINT expression)."""
    return f"{sql_list(values)}[1 + CAST(({bits}) % {len(values)} AS INTEGER)]"


ERRORS = [  # kind of invalid row: (column, value); id and duplicate are handled apart
    ("service_request_id", "NULL"),  # 1 missing required (and primary key)
    ("service_request_id", "'GRU-' || lpad(CAST(i + 1 AS VARCHAR), 97, '0')"),  # 2 maxLength
    ("service_request_id", "duplicate"),  # 3 the id of the previous (valid) row
    ("status", "'pending'"),  # 4 enum
    ("status", "NULL"),  # 5 missing required
    ("requested_datetime", pick(["31/02/2025 10:00", "hier", "2025-13-01 08:00"], "g >> 20")),
    ("requested_datetime", "NULL"),  # 7 missing required
    ("updated_datetime", "'30/02/2025 09:00'"),  # 8 type
    ("zipcode", pick(["3500", "35 000", "2A004"], "g >> 20")),  # 9 pattern
    ("lat", "'48,6a'"),  # 10 type
    ("lat", "'148,25'"),  # 11 maximum
    ("long", "'-200,5'"),  # 12 minimum
    ("channel", "'fax'"),  # 13 enum
    ("requester_email", "'jean.dupont@'"),  # 14 format email
    ("media_url", "'photo jointe'"),  # 15 format uri
]


def decimal_comma(expr: str) -> str:
    return f"replace(printf('%.6f', {expr}), '.', ',')"


def communes() -> list[tuple[str, str]]:
    """(INSEE code, postal code) of the communes of a few departments, from the snapshot."""
    from pilotis.referential.snapshot import read_snapshot

    return [
        (c.code, c.postal_codes[0])
        for c in read_snapshot().communes
        if c.departement in DEPARTEMENTS and c.postal_codes
    ]


def generation_sql(rows: int, seed: int, places: list[tuple[str, str]]) -> str:
    """One SELECT producing the rows from range(rows), every choice drawn from a hash of the row
    number. `_bad` is 0 for a valid row, else 1 + the index of its error in ERRORS."""
    codes = [f"{code}\t{cp}" for code, cp in places]
    valid = {
        "status": pick(["open", "closed"], "h"),
        "description": pick(MOTIFS, "h >> 4"),
        "requested_datetime": f"strftime(ts, '{DATE_FORMAT}')",
        "updated_datetime": f"CASE WHEN (h >> 12) % 10 < 7 THEN strftime(ts + "
        f"to_minutes(CAST((h >> 16) % 100000 AS BIGINT)), '{DATE_FORMAT}') END",
        "zipcode": "place[2]",
        "commune_insee": "place[1]",
        "lat": decimal_comma("41.3 + CAST((h >> 24) % 9000000 AS DOUBLE) / 1e6"),
        "long": decimal_comma("-5.1 + CAST((g >> 24) % 13000000 AS DOUBLE) / 1e6"),
        "service": f"CASE WHEN (h >> 32) % 10 < 9 THEN {pick(SERVICES, 'h >> 36')} END",
        "category": pick(THEMES, "h >> 40"),
        "channel": f"CASE WHEN (h >> 44) % 10 < 8 THEN {pick(CHANNELS, 'h >> 48')} END",
        "media_url": "CASE WHEN (g >> 32) % 10 = 0 THEN "
        "'https://photos.exemple.fr/demandes/' || CAST(i + 1 AS VARCHAR) || '.jpg' END",
        "requester_email": f"CASE WHEN (g >> 36) % 10 < 3 THEN {pick(FIRST_NAMES, 'g >> 40')} "
        f"|| '.' || {pick(LAST_NAMES, 'g >> 44')} || '@exemple.fr' END",
    }
    selected = []
    for column in COLUMNS:
        if column == "service_request_id":
            expr = (
                "CASE WHEN _bad = 1 THEN NULL WHEN _bad = 2 THEN 'GRU-' || "
                "lpad(CAST(i + 1 AS VARCHAR), 97, '0') WHEN _bad = 3 THEN 'GRU-' || "
                "lpad(CAST(i AS VARCHAR), 7, '0') ELSE 'GRU-' || "
                "lpad(CAST(i + 1 AS VARCHAR), 7, '0') END"
            )
        else:
            whens = " ".join(
                f"WHEN _bad = {k + 1} THEN {value}"
                for k, (name, value) in enumerate(ERRORS)
                if name == column
            )
            expr = f"CASE {whens} ELSE {valid[column]} END" if whens else valid[column]
        selected.append(f"{expr} AS {column}")
    return f"""
WITH r AS (
    SELECT range AS i, hash(range, {seed}, 1) AS h, hash(range, {seed}, 2) AS g,
           CASE WHEN hash(range, {seed}, 2) % 100 = 3
                THEN 1 + CAST((hash(range, {seed}, 2) // 100) % {len(ERRORS)} AS INTEGER)
                ELSE 0 END AS kind
    FROM range({rows})
), d AS (
    SELECT *,
        -- a duplicate only of a valid previous row; otherwise the row stays valid
        CASE WHEN kind = 3 AND coalesce(lag(kind) OVER (ORDER BY i), 1) <> 0 THEN 0
             ELSE kind END AS _bad,
        TIMESTAMP '2020-01-01 07:00' + to_minutes(CAST((h >> 8) % 3000000 AS BIGINT)) AS ts,
        string_split({pick(codes, "g >> 52")}, chr(9)) AS place
    FROM r
)
SELECT {", ".join(selected)}, _bad, i FROM d ORDER BY i
"""


def generate(rows: int, seed: int) -> tuple[Path, dict]:
    import duckdb

    query = generation_sql(rows, seed, communes())
    key = hashlib.sha256(f"{FORMAT_VERSION}{query}".encode()).hexdigest()[:10]
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"requests-{rows}-{seed}-{key}.csv"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        print(f"generate: cached in {path}")
        return path, json.loads(meta_path.read_text())
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"CREATE TABLE data AS {query}")
    columns = ", ".join(COLUMNS)
    con.execute(f"COPY (SELECT {columns} FROM data) TO '{path}.part' (HEADER, DELIMITER ';')")
    invalid = con.sql("SELECT list(i + 1 ORDER BY i) FROM data WHERE _bad > 0").fetchall()[0][0]
    meta = {"rows": rows, "invalid": invalid}
    meta_path.write_text(json.dumps(meta))
    Path(f"{path}.part").replace(path)
    print(f"generate: {time.perf_counter() - started:.1f} s → {path}")
    return path, meta


def frictionless_schema() -> dict:
    """The frictionless Table Schema of the generated file: the canonical fields' constraints,
    primary key and missing values, plus how this file writes numbers and datetimes."""
    canonical = json.loads(CANONICAL.read_text(encoding="utf-8"))
    by_name = {item["name"]: item for item in canonical["fields"]}
    fields = []
    for name in COLUMNS:
        item = {k: v for k, v in by_name[name].items() if not k.startswith("pilotis:")}
        if item["type"] == "number":
            item["decimalChar"] = ","
        if item["type"] == "datetime":
            item["format"] = DATE_FORMAT
        fields.append(item)
    return {
        "fields": fields,
        "primaryKey": canonical["primaryKey"],
        "missingValues": canonical["missingValues"],
    }


def pilotis_mapping():
    from pilotis.connectors.mapping import Mapping

    fields: dict = {}
    for name in COLUMNS:
        spec: dict = {"column": name}
        kind = {f["name"]: f["type"] for f in frictionless_schema()["fields"]}[name]
        if kind == "number":
            spec["decimal"] = ","
        if kind == "datetime":
            spec["format"] = DATE_FORMAT
        fields[name] = spec
    return Mapping.from_dict({"table": "requests", "fields": fields})


# ---------------------------------------------------------------------------------------------


def validate_pilotis(path: Path, folder: str) -> tuple[dict[int, list], dict[str, float]]:
    """Rows Pilotis rejects (source row → reasons), and the time of each step."""
    import pyarrow as pa

    from pilotis.connectors import kinds, pipeline
    from pilotis.connectors.validate import (
        Context,
        References,
        build_query,
        duplicates_sql,
        errors_sql,
        uniqueness_keys,
    )
    from pilotis.referential.snapshot import read_snapshot

    # The lists foreign keys point to, as the pipeline registers them (read before the clock
    # starts: the pipeline reads them from the database; frictionless checks no foreign key).
    lists = {
        "referential:commune": [c.code for c in read_snapshot().communes],
        "tenant:orgunit": SERVICES,
        "tenant:theme": THEMES,
    }
    steps: dict[str, float] = {}
    started = time.perf_counter()
    mapping = pilotis_mapping()
    raw = kinds.get("file")({"path": str(path)}).open()
    con = pipeline._connection(Path(folder) / "staging")  # the load's own DuckDB settings
    raw.relation(con).create_view("raw_input")  # the file kind reads CSV with DuckDB
    refs = References()
    for resource, codes in lists.items():
        name = "ref_" + resource.replace(":", "_")
        con.register(name, pa.table({"code": pa.array(codes, pa.string())}))
        refs.tables[resource] = name
    query = build_query(mapping, Context("bench", "bench", "bench", raw.hints), refs, raw.columns)
    steps["open the file, build the query"] = time.perf_counter() - started
    validated = f"{folder}/validated.parquet"
    mark = time.perf_counter()
    con.execute(f"COPY ({query}) TO '{validated}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    steps["map + validate → Parquet (as the pipeline)"] = time.perf_counter() - mark
    mark = time.perf_counter()
    # Then, as the pipeline: primary key and `unique` settled over the otherwise valid rows.
    con.execute(f"CREATE VIEW checked AS SELECT * FROM read_parquet('{validated}')")
    keys = uniqueness_keys(mapping.schema)
    for i, (_, cols) in enumerate(keys):
        con.execute(f"CREATE TABLE _duplicates_{i} AS {duplicates_sql(cols, 'checked')}")
    con.execute(f"CREATE VIEW staged AS {errors_sql(keys, 'checked')}")
    rejected = con.sql(
        "SELECT _source_row, [r.field || '.' || r.rule FOR r IN _errors] "
        "FROM staged WHERE len(_errors) > 0"
    ).fetchall()
    steps["uniqueness, rejected rows read back"] = time.perf_counter() - mark
    if raw.cleanup:
        raw.cleanup()
    steps["total"] = time.perf_counter() - started
    return {row: reasons for row, reasons in rejected}, steps


def validate_frictionless(path: Path, schema_path: Path) -> tuple[dict[int, list], list]:
    """Rows frictionless rejects (its row number - 1 → error types), and errors of no row."""
    import frictionless
    from frictionless import Dialect, formats

    dialect = Dialect(header=True, controls=[formats.CsvControl(delimiter=";")])
    with frictionless.system.use_context(trusted=True):  # absolute paths, of our own making
        report = frictionless.validate(
            str(path),
            schema=str(schema_path),
            dialect=dialect,
            encoding="utf-8",
            limit_errors=10**9,
        )
    rows: dict[int, list] = collections.defaultdict(list)
    other = []
    for task in report.tasks:
        for error in task.errors:
            number = getattr(error, "row_number", None)
            if number is None:
                other.append(f"{error.type}: {error.message}")
            else:
                rows[number - 1].append(f"{getattr(error, 'field_name', '') or ''}.{error.type}")
    return dict(rows), other


def run(folder: str, rows: int, seed: int) -> int:
    started = time.perf_counter()
    setup_django(folder, migrate=False)  # settings and translations; no database needed
    path, meta = generate(rows, seed)
    expected = set(meta["invalid"])
    print(
        f"  {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB; {len(expected):,} invalid rows "
        f"({len(expected) / rows:.2%})"
    )
    schema_path = Path(folder) / "requests.schema.json"
    schema_path.write_text(json.dumps(frictionless_schema(), ensure_ascii=False, indent=1))

    print()
    pilotis, steps = validate_pilotis(path, folder)
    elapsed = steps.pop("total")
    print(f"Pilotis (file kind + validate.build_query, foreign keys included): {elapsed:.2f} s")
    for step, seconds in steps.items():
        print(f"  {step}: {seconds:.2f} s")
    rate = rows / elapsed
    print(f"  {rate:,.0f} rows/s; {len(pilotis):,} rows rejected")
    (fl, other), fl_elapsed = timed(
        "baseline 'frictionless.validate'", validate_frictionless, path, schema_path
    )
    fl_rate = rows / fl_elapsed
    print(
        f"  {fl_rate:,.0f} rows/s; {len(fl):,} rows rejected"
        + (f"; errors outside rows: {collections.Counter(other)}" if other else "")
    )

    ratio = rate / fl_rate
    print(
        f"\nPilotis is x{ratio:,.1f} faster than 'frictionless.validate' (same run; goal ≥ "
        f"x{GOAL_RATIO}: {'met' if ratio >= GOAL_RATIO else 'NOT met'})"
    )

    print(
        "\nSame invalid rows? (frictionless row n = Pilotis _source_row n - 1: it counts the "
        "header line as row 1)"
    )
    difference = set(pilotis) ^ set(fl)
    print(f"  symmetric difference Pilotis △ frictionless: {len(difference)} rows")
    for row in sorted(difference)[:10]:
        print(f"    row {row}: Pilotis {pilotis.get(row)}; frictionless {fl.get(row)}")
    print(
        f"  Pilotis △ generated invalid rows: {len(set(pilotis) ^ expected)}; "
        f"frictionless △ generated: {len(set(fl) ^ expected)}"
    )
    by_rule = collections.Counter(r for reasons in pilotis.values() for r in reasons)
    by_type = collections.Counter(r for reasons in fl.values() for r in reasons)
    print(f"  Pilotis by field.rule: {dict(sorted(by_rule.items()))}")
    print(f"  frictionless by field.type: {dict(sorted(by_type.items()))}")
    print(f"total run time: {time.perf_counter() - started:.1f} s")
    return 1 if difference else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pilotis-bench-") as folder:
        sys.exit(run(folder, args.rows, args.seed))


if __name__ == "__main__":
    main()
