# ruff: noqa: S608 - view and file names are quoted
"""Delta Lake storage of the warehouse: one Delta table per (tenant, canonical table).

Why one table per tenant rather than one table partitioned by tenant: a tenant's versions, history
and rollbacks stay its own (rolling back Cancale's load never touches Saint-Malo's rows), loads
of two tenants never contend for one commit log, and isolation is physical. Queries over several
tenants (an EPCI and its members) scan several tables at once (`datasets`).

Every commit Pilotis makes carries `pilotis.load_id` in its commit metadata, so a Delta version
always says which load (or rollback) produced it.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import TableNotFoundError
from django.conf import settings

from pilotis.warehouse.schemas import (
    LOAD_ID,
    ROW_HASH,
    SOURCE,
    SOURCE_ROW,
    TENANT,
    TableSchema,
)

QUARANTINE = "_quarantine"

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    # Delta Lake has no time-of-day type: a time is kept as ISO text, "09:00:00".
    "time": pa.string(),
    "year": pa.int32(),
    "any": pa.string(),
}
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMPTZ",
    "time": "VARCHAR",
    "year": "INTEGER",
    "any": "VARCHAR",
}

QUARANTINE_SCHEMA = pa.schema(
    [
        ("load_id", pa.string()),
        ("table", pa.string()),
        ("source", pa.string()),
        ("source_row", pa.int64()),
        ("reasons", pa.string()),  # JSON list of {field, rule, value, expected}
        ("record", pa.string()),  # JSON object: the row as the source gave it
        ("replayed_by", pa.string()),  # the load that re-played this row, once it was
    ]
)


def warehouse_root() -> Path:
    return Path(settings.WAREHOUSE_DIR)


def table_uri(tenant_code: str, table: str) -> str:
    return str(warehouse_root() / "tenants" / tenant_code / table)


def arrow_schema(schema: TableSchema) -> pa.Schema:
    """The physical schema of a canonical table: its fields, then the lineage columns."""
    fields = [pa.field(f.name, ARROW_TYPES[f.type]) for f in schema.fields]
    fields += [
        pa.field(TENANT, pa.string(), nullable=False),
        pa.field(SOURCE, pa.string(), nullable=False),
        pa.field(LOAD_ID, pa.string(), nullable=False),
        pa.field(SOURCE_ROW, pa.int64()),
        pa.field(ROW_HASH, pa.string()),
    ]
    return pa.schema(fields)


def open_table(tenant_code: str, table: str, version: int | None = None) -> DeltaTable | None:
    """The Delta table, at its latest version or at `version`; None when never loaded."""
    uri = table_uri(tenant_code, table)
    try:
        return DeltaTable(uri, version=version)
    except TableNotFoundError:
        return None


_COMMIT = re.compile(r"^(\d{20})\.json$")


def current_version(tenant_code: str, table: str) -> int | None:
    """The table's latest Delta version, None when never loaded. Read from the names of the
    commit files of its `_delta_log` (one directory listing, no log replay): cache keys of
    every page ask it for each table of each tenant in scope."""
    log_dir = Path(table_uri(tenant_code, table)) / "_delta_log"
    try:
        names = os.listdir(log_dir)
    except FileNotFoundError:
        return None
    versions = [int(m.group(1)) for m in map(_COMMIT.match, names) if m]
    if versions:
        return max(versions)
    delta = open_table(tenant_code, table)  # a log of checkpoints only: let delta-rs read it
    return None if delta is None else delta.version()


def dataset(tenant_code: str, table: str, version: int | None = None) -> pads.Dataset | None:
    """An Arrow dataset of the table. Prefer `register` for DuckDB: delta-rs's merges write
    `string_view` columns, on which pyarrow's filter push-down fails."""
    delta = open_table(tenant_code, table, version)
    return None if delta is None else delta.to_pyarrow_dataset()


def register(
    con: duckdb.DuckDBPyConnection,
    name: str,
    tenant_codes: str | list[str],
    table: str,
    version: int | None = None,
) -> bool:
    """Create the DuckDB view `name` over the table of one tenant (or several: an EPCI and its
    members), at its latest version or at `version`. DuckDB reads the Parquet files of that
    version directly, with projection and filter push-down. Returns False when none of the
    tenants has the table yet (the view is then empty, with the right columns)."""
    codes = [tenant_codes] if isinstance(tenant_codes, str) else list(tenant_codes)
    files: list[str] = []
    found = False
    for code in codes:
        delta = open_table(code, table, version if len(codes) == 1 else None)
        if delta is None:
            continue
        found = True
        files += delta.file_uris()
    if files:
        quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(
            f"CREATE OR REPLACE VIEW {ident(name)} AS "
            f"SELECT * FROM read_parquet([{quoted}], union_by_name = true)"  # noqa: S608
        )
        return True
    from pilotis.warehouse.schemas import canonical_tables

    tables = canonical_tables()
    if table == QUARANTINE:
        empty = QUARANTINE_SCHEMA.empty_table()
    else:
        empty = arrow_schema(tables[table]).empty_table() if table in tables else pa.table({})
    con.register(f"{name}__empty", empty)
    con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM {ident(name + '__empty')}")
    return found


def lit(value: object) -> str:
    """A SQL literal DuckDB and PostgreSQL both read: NULL, a boolean, a number, a date or a
    quoted string."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier (any column name, spaces and accents included)."""
    return '"' + name.replace('"', '""') + '"'


def datasets(tenant_codes: list[str], table: str) -> pads.Dataset | None:
    """One dataset over several tenants' tables (an EPCI and its members)."""
    parts = [d for code in tenant_codes if (d := dataset(code, table)) is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else pads.dataset(parts)


def history(tenant_code: str, table: str) -> list[dict[str, Any]]:
    delta = open_table(tenant_code, table)
    return [] if delta is None else delta.history()


def commit_properties(load_id: str, **extra: str) -> CommitProperties:
    return CommitProperties(custom_metadata={"pilotis.load_id": load_id, **extra})


def drop_tenant(tenant_code: str) -> None:
    """Delete every table of a tenant (tests and tenant removal)."""
    shutil.rmtree(warehouse_root() / "tenants" / tenant_code, ignore_errors=True)
