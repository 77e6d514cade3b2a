"""The engine of the tabular API (/api/donnees/): a published version's Parquet file queried with
filters, full-text search, sorts, group-bys and keyset pagination, the way data.gouv.fr's
« API tabulaire » is, without its caps. Plain Python: the views hand it the query parameters.

Each Parquet file is copied once into a DuckDB file of the cache folder (VAR_DIR/cache/tabular):
the files of a version never change, so the copy never goes stale. The copy is what makes the
API fast on tens of millions of rows:

- text columns with few distinct values become ENUMs (one byte or two a cell): filters compare
  small integers, and text searches (`q`, `__contains`) are answered on the few distinct values
  then turned into an IN list;
- the other text columns get a hidden lower-case, accent-free twin, searched without
  re-normalising every cell on every request;
- short free text is stored uncompressed (cheaper to read than to decompress);
- on big tables, rows are clustered by the ENUM columns with fewest values, as long as clusters
  keep a row group on average, then by the first date column: a filter on those columns, or a
  sort or range on that date, skips most of the table (zone maps). A small table of the file's
  order then keeps unfiltered pages in that order fast;
- a hidden row number (the row's position in the Parquet file, from 1) is the tie-breaker of
  every sort and the default order, so pages are stable and cursors exact.

Each process keeps the last opened copies in a small LRU (one read-only DuckDB database each,
shared by the process's threads through per-request cursors).

SQL is built from quoted identifiers and bound parameters only: no value given by a user is
ever formatted into SQL text."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import math
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
from django.conf import settings
from django.core import signing
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.exports import FORMULA_PREFIXES
from pilotis.warehouse.storage import ident, lit

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 10_000
# Above this many rows, the total of a query with a text search over free-text columns is
# estimated on a sample (`total_is_approximate`); every other total is exact.
APPROX_MIN_ROWS = 1_000_000
SAMPLE_PERCENT = 1
SAMPLE_MIN_MATCHES = 100  # fewer matches in the sample: count exactly (the estimate is poor)
ENUM_MAX_DISTINCT = 4096  # text columns with at most this many values are stored as ENUMs
IN_LIST_MAX = 1024  # a text search on an ENUM column matching more values scans instead
ROW_GROUP = 16_384  # rows per row group of the copy (zone maps skip whole row groups)
TABLE_CACHE_SIZE = 16  # open copies per process
COUNT_CACHE_SIZE = 4096  # totals of recent queries per process (the files never change)
CACHE_MAX_AGE_DAYS = 14  # copies unused this long are deleted when another copy is built
CSV_BATCH_ROWS = 20_000
SHORT_TEXT = 24  # free text this long on average (bytes) is stored uncompressed
QUERY_THREADS = 0  # DuckDB threads per query (0: as many as cores)
QUERY_MEMORY = "1GB"  # memory DuckDB may use per open copy for sorts and groups (it spills)
BUILD_MEMORY = "2GB"  # memory DuckDB may use while copying a file (it spills beyond)
FORMAT = 3  # bump when the copy's layout changes: older copies are rebuilt

ROW = "__pilotis_row"
SHADOW = "__pilotis_text_"
KEY = "__pilotis_key_"
META = "__pilotis_meta"
ORDER = "__pilotis_order"
CURSOR_SALT = "pilotis.opendata.tabular.cursor"

OPERATORS = (
    "exact",
    "differs",
    "in",
    "notin",
    "less",
    "greater",
    "strictly_less",
    "strictly_greater",
    "contains",
    "isnull",
    "isnotnull",
)
AGGREGATES = ("count", "sum", "avg", "min", "max")
RESERVED = ("q", "or", "columns", "page", "page_size", "cursor", "format")
FORMATS = ("json", "csv")
ORDERABLE = ("string", "integer", "number", "boolean", "date", "datetime", "time")
NUMERIC = ("integer", "number")
COMPARISONS = {"less": "<=", "greater": ">=", "strictly_less": "<", "strictly_greater": ">"}
INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}


class TabularError(Exception):
    """A query the API refuses (HTTP 400): `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str | Promise, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


# --- the columns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # string, integer, number, boolean, date, datetime, time or other
    source_type: str  # the DuckDB type of the Parquet column
    tz: bool = False  # a datetime with a time zone
    decimal: bool = False
    enum: tuple[str, ...] | None = None  # the values, when stored as an ENUM
    folded: tuple[str, ...] | None = None  # the same, lower case without accents
    shadow: str | None = None  # the hidden folded twin of a free-text column
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def operators(self) -> list[str]:
        if self.kind in ORDERABLE:
            return list(OPERATORS)
        return [op for op in OPERATORS if op not in COMPARISONS]

    @property
    def aggregates(self) -> list[str]:
        found = ["count"]
        if self.kind in NUMERIC:
            found += ["sum", "avg"]
        if self.kind in ORDERABLE:
            found += ["min", "max"]
        return found


def _kind(source_type: str) -> tuple[str, bool, bool]:
    """(kind, with a time zone, decimal) of a DuckDB type."""
    upper = source_type.upper()
    if upper == "VARCHAR":
        return "string", False, False
    if upper == "BOOLEAN":
        return "boolean", False, False
    if upper in INTEGER_TYPES:
        return "integer", False, False
    if upper in ("FLOAT", "DOUBLE", "REAL"):
        return "number", False, False
    if upper.startswith("DECIMAL"):
        return "number", False, True
    if upper == "DATE":
        return "date", False, False
    if upper == "TIMESTAMP WITH TIME ZONE":
        return "datetime", True, False
    if upper.startswith("TIMESTAMP"):
        return "datetime", False, False
    if upper == "TIME":
        return "time", False, False
    return "other", False, False


# --- the cached copies ---------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "tabular"


def _cache_key(parquet: Path) -> str:
    stat = parquet.stat()
    text = f"{FORMAT}|{parquet.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def _stat_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    return value


def _build(parquet: Path, target: Path) -> None:
    """Copy `parquet` into the DuckDB file `target` (written aside, then renamed into place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    source = f"read_parquet({lit(str(parquet))})"
    con = duckdb.connect()
    try:
        size = max(2048, ROW_GROUP // 2048 * 2048)
        con.execute(f"ATTACH {lit(str(tmp))} AS copy (ROW_GROUP_SIZE {size})")
        con.execute("USE copy")
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET memory_limit = {lit(BUILD_MEMORY)}")
        con.execute(f"SET temp_directory = {lit(str(target.parent / 'spill'))}")
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()  # noqa: S608
        names = [str(r[0]) for r in described]
        types = {str(r[0]): str(r[1]) for r in described}
        rows = int(con.execute(f"SELECT count(*) FROM {source}").fetchone()[0])  # type: ignore[index]  # noqa: S608
        stats = _build_stats(con, source, names, types)
        enums: dict[str, tuple[list[str], list[str]]] = {}
        for i, name in enumerate(names):
            distinct = stats[name]["distinct"] or 0
            if types[name] != "VARCHAR" or not 0 < distinct <= ENUM_MAX_DISTINCT:
                continue
            con.execute(
                f"CREATE TYPE {ident(f'e{i}')} AS ENUM (SELECT DISTINCT {ident(name)} "  # noqa: S608
                f"FROM {source} WHERE {ident(name)} IS NOT NULL ORDER BY 1)"
            )
            values, folded = con.execute(
                f"SELECT enum_range(NULL::{ident(f'e{i}')})::VARCHAR[], list_transform("
                f"enum_range(NULL::{ident(f'e{i}')})::VARCHAR[], lambda x: strip_accents(lower(x)))"
            ).fetchone()  # type: ignore[misc]
            enums[name] = (list(values), list(folded))
        select, definitions, shadows = [], [], {}
        for i, name in enumerate(names):
            if name in enums:
                select.append(f"CAST({ident(name)} AS {ident(f'e{i}')}) AS {ident(name)}")
                definitions.append(f"{ident(name)} {ident(f'e{i}')}")
            else:
                select.append(ident(name))
                definitions.append(f"{ident(name)} {_storage(types[name], stats[name])}")
        for i, name in enumerate(names):
            if types[name] == "VARCHAR" and name not in enums:
                shadows[name] = f"{SHADOW}{i}"
                select.append(f"strip_accents(lower({ident(name)})) AS {ident(shadows[name])}")
                definitions.append(f"{ident(shadows[name])} {_storage('VARCHAR', stats[name])}")
        select.append(f"file_row_number + 1 AS {ident(ROW)}")
        definitions.append(f"{ident(ROW)} BIGINT")
        cluster = _cluster_columns(rows, {n: len(v[0]) for n, v in enums.items()})
        if cluster:  # then by the first date: its zone maps skip row groups in each cluster
            dated = [n for n in names if _kind(types[n])[0] in ("date", "datetime")]
            cluster += dated[:1]
        order = ", ".join([ident(c) for c in cluster] + [ident(ROW)])
        query = (
            f"SELECT {', '.join(select)} "  # noqa: S608
            f"FROM read_parquet({lit(str(parquet))}, file_row_number = true)"
            + (f" ORDER BY {order}" if cluster else "")
        )
        try:
            con.execute(f"CREATE TABLE t ({', '.join(definitions)})")
        except duckdb.Error:  # a type DuckDB prints but does not read back: let it choose
            con.execute(f"CREATE TABLE t AS {query} LIMIT 0")
        con.execute(f"INSERT INTO t {query}")
        ordered = bool(cluster) and "rowid" not in {n.lower() for n in names}
        if ordered:  # the file's order, for pages in that order (see _default_page)
            con.execute(
                f"CREATE TABLE {ident(ORDER)} AS SELECT {ident(ROW)} AS r, rowid AS position "  # noqa: S608
                f"FROM t ORDER BY r"
            )
        columns = []
        for name in names:
            kind, tz, decimal = _kind(types[name])
            enum = enums.get(name)
            columns.append(
                {
                    "name": name,
                    "kind": kind,
                    "source_type": types[name],
                    "tz": tz,
                    "decimal": decimal,
                    "enum": enum[0] if enum else None,
                    "folded": enum[1] if enum else None,
                    "shadow": shadows.get(name),
                    "stats": stats[name],
                }
            )
        meta = {
            "format": FORMAT,
            "rows": rows,
            "columns": columns,
            "cluster": cluster,
            "ordered": ordered,
        }
        con.execute(
            f"CREATE TABLE {ident(META)} AS SELECT ?::VARCHAR AS meta",  # noqa: S608
            [json.dumps(meta, default=_json_default, ensure_ascii=False)],
        )
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, target)
    _prune(target)


def _storage(source_type: str, stats: dict[str, Any]) -> str:
    """The column type of the copy. Short free text is stored uncompressed: a page reads
    every value of the row groups its filters keep, and decompressing unique short strings
    costs more than the little memory it saves."""
    if source_type == "VARCHAR" and (stats.get("avg_length") or 0) <= SHORT_TEXT:
        return "VARCHAR USING COMPRESSION uncompressed"
    return source_type


def _build_stats(
    con: duckdb.DuckDBPyConnection, source: str, names: list[str], types: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Nulls, distinct values (approximate) and bounds of each column, for the profile."""
    parts = []
    for name in names:
        col = ident(name)
        kind = _kind(types[name])[0]
        parts.append(f"count(*) - count({col})")
        parts.append(f"approx_count_distinct({col})")
        if kind in ORDERABLE:
            parts.append(f"min({col})")
            parts.append(f"max({col})")
        if types[name] == "VARCHAR":
            parts.append(f"avg(strlen({col}))")
    found = list(con.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchone() or ())  # noqa: S608
    stats: dict[str, dict[str, Any]] = {}
    for name in names:
        kind = _kind(types[name])[0]
        entry: dict[str, Any] = {"nulls": found.pop(0), "distinct": found.pop(0)}
        if kind in ORDERABLE:
            entry["min"] = _stat_value(found.pop(0))
            entry["max"] = _stat_value(found.pop(0))
        if types[name] == "VARCHAR":
            entry["avg_length"] = found.pop(0)
        stats[name] = entry
    return stats


def _cluster_columns(rows: int, sizes: dict[str, int]) -> list[str]:
    """The ENUM columns to cluster the copy by, fewest values first, while clusters keep a row
    group on average (finer ones would mix the file order inside row groups, and zone maps of
    columns following it, such as dates, would stop skipping anything)."""
    budget = rows // ROW_GROUP
    chosen: list[str] = []
    product = 1
    for name, size in sorted(sizes.items(), key=lambda item: item[1]):
        if size < 2:
            continue
        if product * size > budget:
            break
        chosen.append(name)
        product *= size
    return chosen


def _prune(keep: Path) -> None:
    """Delete the copies nobody opened for CACHE_MAX_AGE_DAYS (a process holding one open keeps
    reading it: the file goes when it closes)."""
    limit = time.time() - CACHE_MAX_AGE_DAYS * 86400
    for path in keep.parent.glob("*.duckdb"):
        try:
            if path != keep and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


class Table:
    """The cached copy of one Parquet file, open read-only."""

    def __init__(self, key: str, path: Path, parquet: Path) -> None:
        self.key = key
        self.path = path
        self.parquet = parquet
        self._lock = threading.Lock()
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": QUERY_MEMORY,
            "temp_directory": str(path.parent / "spill"),
        }
        if QUERY_THREADS:
            config["threads"] = QUERY_THREADS
        self.con = duckdb.connect(str(path), read_only=True, config=config)
        self.con.execute("SET GLOBAL TimeZone = 'UTC'")
        row = self.con.execute(f"SELECT meta FROM {ident(META)}").fetchone()  # noqa: S608
        meta = json.loads(row[0]) if row else {}
        self.rows: int = int(meta["rows"])
        self.cluster: list[str] = list(meta.get("cluster", []))
        self.ordered = bool(meta.get("ordered"))  # has the table of the file's order
        self.columns = [
            Column(
                name=c["name"],
                kind=c["kind"],
                source_type=c["source_type"],
                tz=c["tz"],
                decimal=c["decimal"],
                enum=tuple(c["enum"]) if c["enum"] is not None else None,
                folded=tuple(c["folded"]) if c["folded"] is not None else None,
                shadow=c["shadow"],
                stats=c["stats"],
            )
            for c in meta["columns"]
        ]
        self.by_name = {c.name: c for c in self.columns}
        self.enum_sets = {c.name: frozenset(c.enum) for c in self.columns if c.enum is not None}
        os.utime(path)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self.con.cursor()


_tables: OrderedDict[str, Table] = OrderedDict()
_tables_lock = threading.Lock()
_building: dict[str, threading.Lock] = {}


def open_table(parquet: Path) -> Table:
    """The copy of `parquet`, built on first use (by one thread; the others wait for it)."""
    key = _cache_key(parquet)
    with _tables_lock:
        table = _tables.get(key)
        if table is not None:
            _tables.move_to_end(key)
            return table
        build_lock = _building.setdefault(key, threading.Lock())
    with build_lock:
        with _tables_lock:
            table = _tables.get(key)
        if table is None:
            target = cache_dir() / f"{key}.duckdb"
            if not target.exists():
                _build(parquet, target)
            table = Table(key, target, parquet)
            with _tables_lock:
                _tables[key] = table
                _building.pop(key, None)
                while len(_tables) > TABLE_CACHE_SIZE:
                    _tables.popitem(last=False)  # in-flight cursors keep it open until done
    return table


def forget_tables() -> None:
    """Drop every open copy of this process (tests; the files stay)."""
    with _tables_lock:
        _tables.clear()
    with _counts_lock:
        _counts.clear()


# --- parsing the query ---------------------------------------------------------------------


@dataclass
class Predicate:
    sql: str
    params: list[Any]
    expensive: bool = False  # scans free text: the total may be estimated on big tables


@dataclass
class Sort:
    name: str
    desc: bool


@dataclass
class Query:
    predicates: list[Predicate] = field(default_factory=list)
    sorts: list[Sort] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # empty: every column
    group_by: list[str] = field(default_factory=list)
    aggregates: list[tuple[str, str]] = field(default_factory=list)  # (column, function)
    page_size: int = DEFAULT_PAGE_SIZE
    page: int | None = None
    cursor: dict[str, Any] | None = None
    format: str = "json"
    fingerprint: str = ""

    @property
    def grouped(self) -> bool:
        return bool(self.group_by or self.aggregates)


def split_list(text: str, separator: str, keep_escapes: bool = False) -> list[str]:
    """`text` split on `separator`; a backslash makes the next character literal (`\\,`).
    With `keep_escapes`, only escaped separators lose their backslash (the parts are split
    again: `or=nom__in:a\\,b|…`)."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char if char == separator or not keep_escapes else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unknown_column(table: Table, name: str) -> TabularError:
    return TabularError(
        "unknown_column",
        _("Unknown column “%(column)s”. The columns are: %(columns)s."),
        column=name,
        columns=", ".join(c.name for c in table.columns),
    )


def _column(table: Table, name: str) -> Column:
    found = table.by_name.get(name)
    if found is None:
        raise _unknown_column(table, name)
    return found


def _bad_value(column: Column, value: str) -> TabularError:
    return TabularError(
        "bad_value",
        _("“%(value)s” is not a valid value of type %(type)s for the column “%(column)s”."),
        value=value[:100],
        type=column.kind,
        column=column.name,
    )


TRUE_WORDS = ("true", "1", "oui", "vrai", "yes")
FALSE_WORDS = ("false", "0", "non", "faux", "no")


def typed_value(column: Column, text: str) -> Any:
    """`text` as a value of `column`'s type (400 when it is not one)."""
    kind = column.kind
    try:
        if kind == "integer":
            value = int(text.strip())
            if not -(2**127) <= value < 2**127:  # beyond any integer column
                raise ValueError(text)
            return value
        if kind == "number":
            return Decimal(text.strip()) if column.decimal else float(text.strip())
        if kind == "boolean":
            word = text.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(text)
        if kind == "date":
            return dt.date.fromisoformat(text.strip())
        if kind == "datetime":
            moment = dt.datetime.fromisoformat(text.strip())
            if column.tz and moment.tzinfo is None:
                return moment.replace(tzinfo=dt.UTC)
            if not column.tz and moment.tzinfo is not None:
                return moment.astimezone(dt.UTC).replace(tzinfo=None)
            return moment
        if kind == "time":
            return dt.time.fromisoformat(text.strip())
    except (ValueError, InvalidOperation) as error:
        raise _bad_value(column, text) from error
    return text


def _fold(table: Table, text: str) -> str:
    """`text` lower case without accents, exactly as DuckDB folds the cells."""
    cur = table.cursor()
    try:
        row = cur.execute("SELECT strip_accents(lower(?))", [text]).fetchone()
    finally:
        cur.close()
    return str(row[0]) if row else text


def _placeholders(n: int) -> str:
    return ", ".join("?" * n)


def _contains(table: Table, column: Column, needle: str) -> Predicate:
    """The cells of `column` holding `needle`, case and accents aside."""
    col = ident(column.name)
    folded = _fold(table, needle)
    if column.enum is not None and column.folded is not None:
        found = [v for v, f in zip(column.enum, column.folded, strict=True) if folded in f]
        if not found:
            return Predicate("FALSE", [])
        if len(found) <= IN_LIST_MAX:
            return Predicate(f"{col} IN ({_placeholders(len(found))})", found)
        return Predicate(
            f"contains(strip_accents(lower(CAST({col} AS VARCHAR))), ?)", [folded], True
        )
    if column.shadow is not None:
        return Predicate(f"contains({ident(column.shadow)}, ?)", [folded], True)
    return Predicate(f"contains(strip_accents(lower(CAST({col} AS VARCHAR))), ?)", [folded], True)


def predicate(table: Table, name: str, op: str, text: str) -> Predicate:
    """The SQL of one filter `<name>__<op>=<text>`. A comparison never matches an empty
    (null) cell: `__isnull` finds those."""
    column = _column(table, name)
    col = ident(column.name)
    if op == "isnull":
        return Predicate(f"{col} IS NULL", [])
    if op == "isnotnull":
        return Predicate(f"{col} IS NOT NULL", [])
    if op == "contains":
        return _contains(table, column, text)
    if op in COMPARISONS and column.kind not in ORDERABLE:
        raise TabularError(
            "bad_operator",
            _("The operator %(operator)s does not apply to the column “%(column)s” (%(type)s)."),
            operator=op,
            column=column.name,
            type=column.kind,
        )
    cast = column.kind == "other"
    target = f"CAST({col} AS VARCHAR)" if cast else col
    domain = table.enum_sets.get(column.name)
    if op in ("in", "notin"):
        values = [typed_value(column, v) for v in split_list(text, ",")]
        if domain is not None:  # a value no cell holds would not convert to the ENUM
            values = [v for v in values if v in domain]
        if not values:
            return Predicate("FALSE" if op == "in" else f"{col} IS NOT NULL", [])
        negation = "NOT " if op == "notin" else ""
        return Predicate(f"{target} {negation}IN ({_placeholders(len(values))})", values)
    value = typed_value(column, text)
    if op == "exact":
        if domain is not None and value not in domain:
            return Predicate("FALSE", [])
        return Predicate(f"{target} = ?", [value])
    if op == "differs":
        if domain is not None and value not in domain:
            return Predicate(f"{col} IS NOT NULL", [])
        return Predicate(f"{target} <> ?", [value])
    if domain is not None:  # order comparisons on the text, not on the ENUM's positions
        target = f"CAST({col} AS VARCHAR)"
    return Predicate(f"{target} {COMPARISONS[op]} ?", [value])


def _search(table: Table, q: str) -> list[Predicate]:
    """`q=`: every word somewhere in the text columns, case and accents aside."""
    texts = [c for c in table.columns if c.kind == "string"]
    found = []
    for word in q.split():
        alternatives = [_contains(table, c, word) for c in texts]
        kept = [p for p in alternatives if p.sql != "FALSE"]
        if not kept:
            found.append(Predicate("FALSE", []))
            continue
        found.append(
            Predicate(
                "(" + " OR ".join(p.sql for p in kept) + ")",
                [v for p in kept for v in p.params],
                any(p.expensive for p in kept),
            )
        )
    return found


def _or_group(table: Table, text: str) -> Predicate:
    """`or=a__exact:x|b__contains:y`: rows matching at least one of the filters."""
    parts = []
    for item in split_list(text, "|", keep_escapes=True):
        head, colon, value = item.partition(":")
        name, sep, op = head.rpartition("__")
        if not sep or op not in OPERATORS or (not colon and op not in ("isnull", "isnotnull")):
            raise TabularError(
                "bad_operator",
                _(
                    "Invalid or group “%(value)s”: write "
                    "or=column__operator:value|column__operator:value."
                ),
                value=text[:200],
            )
        if op not in ("in", "notin"):  # a list is unescaped as it is split
            value = "".join(split_list(value, "\0"))
        parts.append(predicate(table, name, op, value))
    return Predicate(
        "(" + " OR ".join(p.sql for p in parts) + ")",
        [v for p in parts for v in p.params],
        any(p.expensive for p in parts),
    )


def _positive(name: str, text: str, maximum: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        if maximum is not None:
            raise TabularError(
                "bad_value",
                _("%(parameter)s must be a whole number between 1 and %(max)s."),
                parameter=name,
                max=maximum,
            )
        raise TabularError(
            "bad_value", _("%(parameter)s must be a whole number from 1."), parameter=name
        )
    return value


def parse(table: Table, items: Iterable[tuple[str, Sequence[str]]]) -> Query:
    """The query of the parameters `items` (a QueryDict's lists(), in their order)."""
    query = Query()
    sorts: list[tuple[str, str]] = []
    canonical: list[Any] = []
    for key, values in items:
        if not values:
            continue
        last = values[-1]
        if key in RESERVED:
            if key == "q":
                if last.strip():
                    query.predicates += _search(table, last)
                    canonical.append(["q", last])
            elif key == "or":
                for value in values:
                    query.predicates.append(_or_group(table, value))
                    canonical.append(["or", value])
            elif key == "columns":
                names = [n.strip() for n in split_list(last, ",") if n.strip()]
                query.columns = list(dict.fromkeys(_column(table, n).name for n in names))
            elif key == "page":
                query.page = _positive("page", last)
            elif key == "page_size":
                query.page_size = _positive("page_size", last, MAX_PAGE_SIZE)
            elif key == "cursor":
                query.cursor = decode_cursor(last) if last else None
            elif key == "format":
                if last not in FORMATS:
                    raise TabularError(
                        "bad_value", _("format must be json or csv, not “%(value)s”."), value=last
                    )
                query.format = last
            continue
        if key.startswith("_"):  # cache busters and the like
            continue
        name, sep, op = key.rpartition("__")
        if not sep or not name:
            raise TabularError(
                "unknown_parameter",
                _(
                    "Unknown parameter “%(parameter)s”. Filter with column__operator=value, "
                    "e.g. %(example)s."
                ),
                parameter=key[:100],
                example=f"{table.columns[0].name}__exact=…" if table.columns else "",
            )
        if op == "sort":
            for value in values:
                sorts.append((name, value))
        elif op == "groupby":
            query.group_by.append(_column(table, name).name)
        elif op in AGGREGATES:
            column = _column(table, name)
            if op not in column.aggregates:
                raise TabularError(
                    "bad_operator",
                    _(
                        "The aggregate %(operator)s does not apply to the column “%(column)s” "
                        "(%(type)s)."
                    ),
                    operator=op,
                    column=name,
                    type=column.kind,
                )
            query.aggregates.append((name, op))
        elif op in OPERATORS:
            for value in values:
                query.predicates.append(predicate(table, name, op, value))
                canonical.append([name, op, value])
        else:
            raise TabularError(
                "bad_operator",
                _(
                    "Unknown operator “%(operator)s” in “%(parameter)s”. The operators are: "
                    "%(operators)s."
                ),
                operator=op[:50],
                parameter=key[:100],
                operators=", ".join(OPERATORS + ("sort", "groupby") + AGGREGATES),
            )
    query.group_by = list(dict.fromkeys(query.group_by))
    query.aggregates = list(dict.fromkeys(query.aggregates))
    if query.grouped and query.columns:
        raise TabularError(
            "bad_parameter",
            _(
                "columns cannot be combined with a group-by: the result has the grouped "
                "columns and the aggregates."
            ),
        )
    aliases = {f"{c}__{f}" for c, f in query.aggregates}
    for name, direction in sorts:
        if direction not in ("asc", "desc"):
            raise TabularError(
                "bad_value",
                _("A sort is asc or desc, not “%(value)s”."),
                value=direction[:50],
            )
        if query.grouped:
            if name not in aliases and name not in query.group_by:
                if name in table.by_name:
                    raise TabularError(
                        "bad_parameter",
                        _(
                            "With a group-by, sort by a grouped column or an aggregate, not "
                            "“%(column)s”."
                        ),
                        column=name,
                    )
                raise _unknown_column(table, name)
        else:
            column = _column(table, name)
            if column.kind not in ORDERABLE:
                raise TabularError(
                    "bad_operator",
                    _("The column “%(column)s” (%(type)s) cannot be sorted."),
                    column=name,
                    type=column.kind,
                )
        query.sorts = [s for s in query.sorts if s.name != name]
        query.sorts.append(Sort(name, direction == "desc"))
    canonical.append([[s.name, s.desc] for s in query.sorts])
    canonical.append([query.group_by, query.aggregates])
    text = json.dumps(canonical, ensure_ascii=False)
    query.fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
    if query.cursor is not None and query.cursor.get("f") != query.fingerprint:
        raise _bad_cursor()
    return query


# --- cursors --------------------------------------------------------------------------------


def _bad_cursor() -> TabularError:
    return TabularError(
        "bad_cursor",
        _("This cursor is invalid or belongs to another query: start again from the first page."),
    )


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"h": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return {"s": str(value)}


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    tag, text = next(iter(value.items()))
    decoders: dict[str, Any] = {
        "f": float,
        "t": dt.datetime.fromisoformat,
        "d": dt.date.fromisoformat,
        "h": dt.time.fromisoformat,
        "n": Decimal,
        "s": str,
    }
    return decoders[tag](text)


def encode_cursor(payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=CURSOR_SALT, compress=True)


def decode_cursor(token: str) -> dict[str, Any]:
    try:
        payload = signing.loads(token, salt=CURSOR_SALT)
        payload["k"] = [_decode(v) for v in payload["k"]]
        if payload["d"] not in ("n", "p") or not isinstance(payload["v"], int):
            raise ValueError(payload["d"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, StopIteration) as error:
        raise _bad_cursor() from error
    return dict(payload)


def cursor_version(token: str) -> int | None:
    """The version a cursor walks (a walk started on the current version stays on it)."""
    return int(decode_cursor(token)["v"]) if token else None


# --- planning and running -------------------------------------------------------------------


@dataclass
class Output:
    name: str
    kind: str
    sql: str  # the expression selected


@dataclass
class Key:
    sql: str  # the expression sorted on (also compared by cursors)
    desc: bool


@dataclass
class Plan:
    outputs: list[Output]
    keys: list[Key]  # the full order, tie-breakers included
    where: str
    params: list[Any]
    expensive: bool
    grouped: bool
    group_sql: str = ""  # grouped: the inner query


def _output(column: Column, alias: str = "t") -> Output:
    col = f"{alias}.{ident(column.name)}"
    sql = f"CAST({col} AS VARCHAR)" if column.enum is not None else col
    return Output(column.name, column.kind, sql)


def _aggregate(table: Table, query: Query, name: str, fn: str) -> tuple[str, str]:
    """(SQL, kind) of `<name>__<fn>`. Counting a grouped column counts the group's rows."""
    column = table.by_name[name]
    col = ident(name)
    if fn == "count":
        return ("count(*)" if name in query.group_by else f"count({col})"), "integer"
    if fn == "avg":
        return f"avg({col})", "number"
    if fn == "sum":
        return f"sum({col})", column.kind
    return f"{fn}({col})", column.kind


def plan(table: Table, query: Query) -> Plan:
    """What to select and in which order. Columns are qualified (t. or g.) so that a sort or a
    cursor compares the stored values, never an output expression of the same name."""
    where = " AND ".join(p.sql for p in query.predicates) or "TRUE"
    params = [v for p in query.predicates for v in p.params]
    expensive = any(p.expensive for p in query.predicates)
    if not query.grouped:
        chosen = query.columns or [c.name for c in table.columns]
        outputs = [_output(table.by_name[n]) for n in chosen]
        keys = [Key(f"t.{ident(s.name)}", s.desc) for s in query.sorts]
        keys.append(Key(f"t.{ident(ROW)}", False))
        return Plan(outputs, keys, where, params, expensive, False)
    inner = [ident(g) for g in query.group_by]
    outputs = [_output(table.by_name[g], "g") for g in query.group_by]
    for name, fn in query.aggregates:
        sql, kind = _aggregate(table, query, name, fn)
        alias = f"{name}__{fn}"
        inner.append(f"{sql} AS {ident(alias)}")
        out = f"g.{ident(alias)}"
        if table.by_name[name].enum is not None and fn in ("min", "max"):
            out = f"CAST({out} AS VARCHAR)"
        outputs.append(Output(alias, kind, out))
    group_by = f" GROUP BY {', '.join(ident(g) for g in query.group_by)}" if query.group_by else ""
    inner_sql = f"SELECT {', '.join(inner)} FROM t WHERE {where}{group_by}"  # noqa: S608
    keys = [Key(f"g.{ident(s.name)}", s.desc) for s in query.sorts]
    sorted_names = {s.name for s in query.sorts}
    keys += [Key(f"g.{ident(g)}", False) for g in query.group_by if g not in sorted_names]
    return Plan(outputs, keys, where, params, expensive, True, inner_sql)


def _order(keys: list[Key], reverse: bool = False) -> str:
    """Nulls sort as the greatest value: last going up, first going down (as PostgreSQL)."""
    parts = []
    for key in keys:
        desc = key.desc != reverse
        parts.append(f"{key.sql} DESC NULLS FIRST" if desc else f"{key.sql} ASC NULLS LAST")
    return ", ".join(parts)


def _keyset(keys: list[Key], values: list[Any], reverse: bool) -> tuple[str, list[Any]]:
    """The rows strictly after `values` in the order of `keys` (before, when `reverse`)."""
    alternatives, params = [], []
    for i, (key, value) in enumerate(zip(keys, values, strict=True)):
        desc = key.desc != reverse
        if value is None:
            after = f"{key.sql} IS NOT NULL" if desc else None
            after_params: list[Any] = []
        else:
            after = f"{key.sql} < ?" if desc else f"({key.sql} > ? OR {key.sql} IS NULL)"
            after_params = [value]
        if after is None:
            continue
        equal, equal_params = [], []
        for previous, known in zip(keys[:i], values[:i], strict=True):
            if known is None:
                equal.append(f"{previous.sql} IS NULL")
            else:
                equal.append(f"{previous.sql} = ?")
                equal_params.append(known)
        alternatives.append("(" + " AND ".join([*equal, after]) + ")")
        params += equal_params + after_params
    return ("(" + " OR ".join(alternatives) + ")" if alternatives else "FALSE"), params


def _select(
    table: Table,
    p: Plan,
    extra_where: str = "",
    extra_params: Sequence[Any] = (),
    order: str = "",
    hidden_keys: bool = True,
    csv: bool = False,
) -> tuple[str, list[Any]]:
    outputs = [_csv_expr(o) if csv else f"{o.sql} AS {ident(o.name)}" for o in p.outputs]
    if hidden_keys:
        outputs += [f"{k.sql} AS {ident(f'{KEY}{i}')}" for i, k in enumerate(p.keys)]
    select = ", ".join(outputs)
    if p.grouped:
        where = f" WHERE {extra_where}" if extra_where else ""
        sql = f"SELECT {select} FROM ({p.group_sql}) AS g{where}"  # noqa: S608
        params = [*p.params, *extra_params]
    else:
        where = p.where + (f" AND {extra_where}" if extra_where else "")
        sql = f"SELECT {select} FROM t WHERE {where}"  # noqa: S608
        params = [*p.params, *extra_params]
    return sql + (f" ORDER BY {order}" if order else ""), params


_counts: OrderedDict[tuple[Any, ...], tuple[int, bool]] = OrderedDict()
_counts_lock = threading.Lock()


def count(table: Table, p: Plan, cur: duckdb.DuckDBPyConnection) -> tuple[int, bool]:
    """(total, approximate) of a query: the file's row count when nothing is filtered, an
    estimate on a sample for text searches over free text on big tables, exact otherwise."""
    if not p.grouped and p.where == "TRUE":
        return table.rows, False
    key = (table.key, p.where, p.group_sql, tuple(map(repr, p.params)))
    with _counts_lock:
        if key in _counts:
            _counts.move_to_end(key)
            return _counts[key]
    found: tuple[int, bool] | None = None
    if p.grouped:
        row = cur.execute(f"SELECT count(*) FROM ({p.group_sql})", p.params).fetchone()  # noqa: S608
        found = (int(row[0]) if row else 0), False
    elif p.expensive and table.rows > APPROX_MIN_ROWS:
        sql = (
            f"SELECT count(*) FILTER (WHERE {p.where}), count(*) FROM t "  # noqa: S608
            f"TABLESAMPLE {SAMPLE_PERCENT} PERCENT (bernoulli, 42)"
        )
        row = cur.execute(sql, p.params).fetchone()
        if row and row[0] >= SAMPLE_MIN_MATCHES and row[1]:
            found = round(row[0] * table.rows / row[1]), True
    if found is None:
        row = cur.execute(f"SELECT count(*) FROM t WHERE {p.where}", p.params).fetchone()  # noqa: S608
        found = (int(row[0]) if row else 0), False
    with _counts_lock:
        _counts[key] = found
        while len(_counts) > COUNT_CACHE_SIZE:
            _counts.popitem(last=False)
    return found


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    approximate: bool
    page_size: int
    page: int | None
    next: dict[str, str] | None  # the parameters to change for the next page
    prev: dict[str, str] | None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run(table: Table, query: Query, version: int) -> Page:
    """One page of `query` on `table` (the copy of `version`)."""
    cur = table.cursor()
    try:
        return _run(table, query, version, cur)
    except VALUE_ERRORS as error:
        raise _does_not_fit(error) from error
    finally:
        cur.close()


VALUE_ERRORS = (
    duckdb.ConversionException,
    duckdb.OutOfRangeException,
    duckdb.InvalidInputException,
)


def _does_not_fit(error: Exception) -> TabularError:
    return TabularError(
        "bad_value", _("A value does not fit its column: %(detail)s"), detail=str(error)[:200]
    )


def _default_page(
    table: Table, p: Plan, cur: duckdb.DuckDBPyConnection, query: Query, reverse: bool
) -> list[tuple[Any, ...]]:
    """Unfiltered rows in the file's order, on a clustered copy (where the file's order is
    scattered): their positions from the table of the file's order, then those rows only."""
    sql, params = f"SELECT position FROM {ident(ORDER)}", list[Any]()  # noqa: S608
    if query.cursor is not None:
        sql += " WHERE r < ?" if reverse else " WHERE r > ?"
        params.append(query.cursor["k"][0])
    sql += (" ORDER BY r DESC" if reverse else " ORDER BY r") + " LIMIT ?"
    params.append(query.page_size + 1)
    if query.page is not None and query.cursor is None:
        sql += " OFFSET ?"
        params.append((query.page - 1) * query.page_size)
    positions = [row[0] for row in cur.execute(sql, params).fetchall()]
    if not positions:
        return []
    sql, params = _select(table, p, "rowid = ANY(?)", [positions], _order(p.keys, reverse))
    return cur.execute(sql, params).fetchall()


def _run(table: Table, query: Query, version: int, cur: duckdb.DuckDBPyConnection) -> Page:
    p = plan(table, query)
    size = query.page_size
    cursor = query.cursor
    reverse = bool(cursor and cursor["d"] == "p")
    extra, extra_params = "", list[Any]()
    if cursor is not None:
        if len(cursor["k"]) != len(p.keys):
            raise _bad_cursor()
        extra, extra_params = _keyset(p.keys, cursor["k"], reverse)
    if table.ordered and not p.grouped and p.where == "TRUE" and len(p.keys) == 1:
        fetched = _default_page(table, p, cur, query, reverse)
    else:
        sql, params = _select(table, p, extra, extra_params, _order(p.keys, reverse))
        sql += " LIMIT ?"
        params.append(size + 1)
        if query.page is not None and cursor is None:
            sql += " OFFSET ?"
            params.append((query.page - 1) * size)
        fetched = cur.execute(sql, params).fetchall()
    more = len(fetched) > size
    fetched = fetched[:size]
    if reverse:
        fetched.reverse()
    if cursor is not None and "t" in cursor:
        total, approximate = int(cursor["t"]), bool(cursor["a"])
    elif cursor is None and not more:  # the whole result is on this page (or before it)
        total, approximate = len(fetched) + ((query.page or 1) - 1) * size, False
        if query.page and not fetched:  # past the end: how far is unknown
            total, approximate = count(table, p, cur)
    else:
        total, approximate = count(table, p, cur)
    if approximate and not more:  # a short last page tells how many there really are
        total = max(total, len(fetched))
    width = len(p.outputs)
    names = [o.name for o in p.outputs]
    floats = [i for i, o in enumerate(p.outputs) if o.kind == "number"]
    rows = []
    for record in fetched:
        values = list(record[:width])
        for i in floats:
            values[i] = _clean(values[i])
        rows.append(dict(zip(names, values, strict=True)))

    def link(direction: str, record: tuple[Any, ...]) -> dict[str, str]:
        payload = {
            "v": version,
            "f": query.fingerprint,
            "d": direction,
            "k": [_encode(v) for v in record[width:]],
            "t": total,
            "a": approximate,
        }
        return {"cursor": encode_cursor(payload), "page": ""}

    next_link = prev_link = None
    if query.page is not None and cursor is None:
        if more:
            next_link = {"page": str(query.page + 1), "cursor": ""}
        if query.page > 1:
            prev_link = {"page": str(query.page - 1), "cursor": ""}
    elif fetched:
        has_next = more if not reverse else True
        has_prev = (cursor is not None) if not reverse else more
        ordered = fetched
        if has_next:
            next_link = link("n", ordered[-1])
        if has_prev:
            prev_link = link("p", ordered[0])
    elif cursor is not None:  # past the end (or before the start): offer the way back
        prev_link = {"cursor": "", "page": ""}
    return Page(rows, total, approximate, size, query.page, next_link, prev_link)


# --- CSV ------------------------------------------------------------------------------------


def _csv_expr(o: Output) -> str:
    """Text made inert for spreadsheets (a cell starting with = + - @ gets an apostrophe, as
    every Pilotis export does), non-finite numbers empty, other types as text."""
    if o.kind in ("string", "other"):
        text = o.sql if o.kind == "string" else f"CAST({o.sql} AS VARCHAR)"
        prefixes = ", ".join(lit(c) for c in FORMULA_PREFIXES)
        return (
            f"CASE WHEN left({text}, 1) IN ({prefixes}) THEN '''' || {text} ELSE {text} END "
            f"AS {ident(o.name)}"
        )
    if o.kind == "number":
        return f"CASE WHEN isfinite({o.sql}) THEN {o.sql} END AS {ident(o.name)}"
    return f"{o.sql} AS {ident(o.name)}"


def csv_chunks(table: Table, query: Query) -> Iterator[bytes]:
    """The whole result of `query` (every page, in order) as CSV in UTF-8, batch by batch.

    The query runs before this returns (a refused value is an error, not a broken download);
    the rows are then converted as they come. Memory stays flat: in the file's order, rows are
    read in place (from the Parquet file itself when nothing is filtered, from the copy when its
    rows are in the file's order); a sort (or the file's order of a filtered clustered copy) is
    DuckDB's, which spills to disk beyond its memory limit."""
    p = plan(table, query)
    default_order = not p.grouped and len(p.keys) == 1
    if default_order and p.where == "TRUE":
        select = ", ".join(_csv_expr(o) for o in p.outputs)
        sql = f"SELECT {select} FROM read_parquet({lit(str(table.parquet))}) AS t"  # noqa: S608
        params: list[Any] = []
    else:
        order = "" if default_order and not table.cluster else _order(p.keys)
        sql, params = _select(table, p, order=order, hidden_keys=False, csv=True)
    cur = table.cursor()
    try:
        reader = cur.sql(sql, params=params).to_arrow_reader(CSV_BATCH_ROWS)
    except VALUE_ERRORS as error:
        cur.close()
        raise _does_not_fit(error) from error
    except BaseException:
        cur.close()
        raise
    return _csv_batches(reader, [o.name for o in p.outputs], cur)


def _csv_batches(
    reader: pa.RecordBatchReader, names: list[str], cur: duckdb.DuckDBPyConnection
) -> Iterator[bytes]:
    try:
        header = io.BytesIO()
        pacsv.write_csv(pa.table({n: pa.array([], pa.string()) for n in names}), header)
        yield header.getvalue()
        options = pacsv.WriteOptions(include_header=False)
        for batch in reader:
            out = io.BytesIO()
            pacsv.write_csv(batch, out, options)
            yield out.getvalue()
    finally:
        cur.close()


# --- profile --------------------------------------------------------------------------------


def profile(table: Table) -> dict[str, Any]:
    return {
        "rows": table.rows,
        "columns": [
            {
                "name": c.name,
                "type": c.kind,
                "format": c.source_type,
                "nulls": c.stats.get("nulls"),
                "distinct": c.stats.get("distinct"),
                "distinct_is_approximate": True,
                **({"min": c.stats["min"], "max": c.stats["max"]} if "min" in c.stats else {}),
                "operators": c.operators,
                "aggregates": c.aggregates,
                "sortable": c.kind in ORDERABLE,
            }
            for c in table.columns
        ],
    }


def to_json(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(
        payload, ensure_ascii=False, separators=(",", ":"), default=_json_default
    ).encode("utf-8")
