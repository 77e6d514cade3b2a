"""Quality checks of a warehouse table, computed with DuckDB over its Delta files in one pass
each (never a Python loop over rows), and stored as a history of `QualityCheck` rows.

| check | passes when | measured value |
|---|---|---|
| freshness | the last successful load is younger than its frequency allows | age, hours |
| row_count | the table has rows and lost at most half of them since the previous check | rows |
| required_fields | no required field is empty | worst share of empty values |
| unique_key | no two rows share a primary key | rows in excess |
| code_lists | every value of an enum field or a foreign key is in its list | rows out of list |
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pilotis.catalog.models import (
    CheckName,
    Dataset,
    Freshness,
    Kind,
    QualityCheck,
    QualityStatus,
)
from pilotis.tenants.models import Tenant
from pilotis.warehouse.schemas import TableSchema, canonical_tables

log = logging.getLogger(__name__)

ROW_COUNT_MAX_DROP = 0.5  # share of the rows a table may lose between two checks
REQUIRED_MAX_EMPTY_SHARE = 0.0  # share of empty values a required field may have
MAX_EXAMPLES = 5


@dataclass
class Result:
    name: str
    passed: bool
    value: float | None
    detail: dict[str, Any] = field(default_factory=dict)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# Freshness


def last_load_time(tenant: Tenant, table_name: str) -> datetime | None:
    """When the table last received data: the end of its last successful load (or replay), or
    the time of its last Delta commit when no load was ever recorded (data written otherwise)."""
    from pilotis.connectors.models import LoadRun

    runs = LoadRun.objects.filter(tenant=tenant, table=table_name)
    last = (
        runs.filter(
            status=LoadRun.Status.SUCCEEDED, kind__in=[LoadRun.Kind.LOAD, LoadRun.Kind.REPLAY]
        )
        .exclude(finished_at=None)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if last is not None or runs.exists():
        return last
    from pilotis.warehouse import storage

    stamps = [
        c["timestamp"] for c in storage.history(tenant.code, table_name) if c.get("timestamp")
    ]
    return datetime.fromtimestamp(max(stamps) / 1000, tz=UTC) if stamps else None


def freshness_result(dataset: Dataset, now: datetime) -> Result:
    max_age = dataset.max_age
    state = dataset.freshness(now)
    age = (now - dataset.last_loaded_at).total_seconds() / 3600 if dataset.last_loaded_at else None
    detail: dict[str, Any] = {
        "frequency": dataset.frequency,
        "max_age_hours": max_age.total_seconds() / 3600 if max_age else None,
        "last_loaded_at": dataset.last_loaded_at.isoformat() if dataset.last_loaded_at else None,
        "state": state,
    }
    passed = state in (Freshness.FRESH, Freshness.IRREGULAR)
    return Result(CheckName.FRESHNESS, passed, None if age is None else round(age, 2), detail)


def check_freshness(now: datetime | None = None) -> list[Dataset]:
    """Nightly: record the freshness of every warehouse table of every tenant, and return the
    datasets that are stale (or were never loaded although they have a frequency)."""
    now = now or timezone.now()
    stale = []
    for dataset in Dataset.objects.filter(kind=Kind.TABLE).select_related("tenant"):
        last = last_load_time(dataset.tenant, dataset.name)
        if last != dataset.last_loaded_at:
            dataset.last_loaded_at = last
            dataset.save(update_fields=["last_loaded_at"])
        result = freshness_result(dataset, now)
        _store(dataset, [result], load_id="", now=now)
        if not result.passed:
            stale.append(dataset)
    return stale


# ---------------------------------------------------------------------------------------------
# Checks of the table's content


def run_checks(
    dataset: Dataset, load_id: str = "", now: datetime | None = None
) -> list[QualityCheck]:
    """Run every check of a warehouse table and store the results; update the entry's summary."""
    now = now or timezone.now()
    dataset.last_loaded_at = last_load_time(dataset.tenant, dataset.name)
    previous = (
        QualityCheck.objects.filter(dataset=dataset, name=CheckName.ROW_COUNT)
        .order_by("-at", "-pk")
        .values_list("value", flat=True)
        .first()
    )
    results = [freshness_result(dataset, now)]
    results += content_checks(dataset.tenant, dataset.name, previous)
    content = [r for r in results if r.name != CheckName.FRESHNESS]
    dataset.quality_status = (
        QualityStatus.PASSED if all(r.passed for r in content) else QualityStatus.FAILED
    )
    dataset.quality_checked_at = now
    with transaction.atomic():
        dataset.save(update_fields=["last_loaded_at", "quality_status", "quality_checked_at"])
        return _store(dataset, results, load_id, now)


def _store(
    dataset: Dataset, results: list[Result], load_id: str, now: datetime
) -> list[QualityCheck]:
    return QualityCheck.objects.bulk_create(
        QualityCheck(
            dataset=dataset,
            name=r.name,
            passed=r.passed,
            value=r.value,
            detail=r.detail,
            at=now,
            load_id=load_id,
        )
        for r in results
    )


def content_checks(tenant: Tenant, table_name: str, previous_rows: float | None) -> list[Result]:
    """Row count, required fields, unique key and code lists of the tenant's table."""
    from pilotis.warehouse import storage

    schema = canonical_tables().get(table_name)
    con = duckdb.connect()
    try:
        if not storage.register(con, "t", tenant.code, table_name):
            return [
                Result(
                    CheckName.ROW_COUNT,
                    False,
                    0,
                    {"previous": previous_rows, "max_drop": ROW_COUNT_MAX_DROP, "missing": True},
                )
            ]
        rows, empties = _counts(con, schema)
        results = [_row_count(rows, previous_rows)]
        if schema is not None:
            results.append(_required(schema, rows, empties))
            if schema.primary_key:
                results.append(_unique_key(con, schema))
            lists = _code_lists(tenant, schema)
            if lists:
                results.append(_code_list_check(con, lists))
        return results
    finally:
        con.close()


def _counts(
    con: duckdb.DuckDBPyConnection, schema: TableSchema | None
) -> tuple[int, dict[str, int]]:
    """The row count and, for each required field, how many rows leave it empty: one scan."""
    required = [f for f in schema.fields if f.required] if schema else []
    selects = ["count(*)"]
    for f in required:
        empty = f"{_ident(f.name)} IS NULL"
        if f.type in ("string", "any"):
            empty += f" OR trim({_ident(f.name)}) = ''"
        selects.append(f"count(*) FILTER (WHERE {empty})")
    row = con.execute(f"SELECT {', '.join(selects)} FROM t").fetchone()  # noqa: S608 - quoted
    assert row is not None  # noqa: S101 - an aggregate always returns a row
    return int(row[0]), {f.name: int(n) for f, n in zip(required, row[1:], strict=True)}


def _row_count(rows: int, previous: float | None) -> Result:
    drop = (previous - rows) / previous if previous else 0.0
    passed = rows > 0 and drop <= ROW_COUNT_MAX_DROP
    detail = {"previous": previous, "max_drop": ROW_COUNT_MAX_DROP, "drop": round(max(drop, 0), 4)}
    return Result(CheckName.ROW_COUNT, passed, rows, detail)


def _required(schema: TableSchema, rows: int, empties: dict[str, int]) -> Result:
    fields = {
        name: {"empty": n, "share": round(n / rows, 4) if rows else 0.0}
        for name, n in empties.items()
    }
    worst = max((f["share"] for f in fields.values()), default=0.0)
    return Result(
        CheckName.REQUIRED_FIELDS,
        worst <= REQUIRED_MAX_EMPTY_SHARE,
        worst,
        {"threshold": REQUIRED_MAX_EMPTY_SHARE, "fields": fields},
    )


def _unique_key(con: duckdb.DuckDBPyConnection, schema: TableSchema) -> Result:
    key = ", ".join(_ident(name) for name in schema.primary_key)
    not_null = " AND ".join(f"{_ident(name)} IS NOT NULL" for name in schema.primary_key)
    dup = f"SELECT {key}, count(*) AS n FROM t WHERE {not_null} GROUP BY ALL HAVING n > 1"  # noqa: S608
    row = con.execute(f"SELECT count(*), coalesce(sum(n), 0) FROM ({dup})").fetchone()  # noqa: S608
    assert row is not None  # noqa: S101 - an aggregate always returns a row
    keys, rows = int(row[0]), int(row[1])
    examples = [
        " / ".join("" if v is None else str(v) for v in r[:-1])
        for r in con.execute(f"{dup} ORDER BY n DESC, 1 LIMIT {MAX_EXAMPLES}").fetchall()
    ]
    return Result(
        CheckName.UNIQUE_KEY,
        keys == 0,
        rows - keys,
        {"key": list(schema.primary_key), "duplicated_keys": keys, "examples": examples},
    )


@dataclass(frozen=True)
class _CodeList:
    field: str
    source: str  # "enum" or the resource of a foreign key
    codes: list[str]


def _code_lists(tenant: Tenant, schema: TableSchema) -> list[_CodeList]:
    from pilotis.referential.models import Commune, OrgUnit, Theme

    lists = [
        _CodeList(f.name, "enum", [str(v) for v in f.constraints["enum"]])
        for f in schema.fields
        if f.constraints.get("enum")
    ]
    for fk in schema.foreign_keys:
        if len(fk.fields) != 1:
            continue
        codes: QuerySet[Any, str]
        if fk.resource == "tenant:theme":
            codes = Theme.objects.filter(tenant=tenant).values_list("code", flat=True)
        elif fk.resource == "tenant:orgunit":
            codes = (
                OrgUnit.objects.filter(tenant=tenant)
                .exclude(code="")
                .values_list("code", flat=True)
            )
        elif fk.resource == "referential:commune":
            if not Commune.objects.exists():  # the referential is not loaded: nothing to say
                continue
            codes = Commune.objects.values_list("code_insee", flat=True)
        else:
            continue
        lists.append(_CodeList(fk.fields[0], fk.resource, list(codes)))
    return lists


def _code_list_check(con: duckdb.DuckDBPyConnection, lists: list[_CodeList]) -> Result:
    fields: dict[str, Any] = {}
    total = 0
    for index, code_list in enumerate(lists):
        name = f"codes_{index}"
        con.register(name, pa.table({"code": pa.array(code_list.codes, pa.string())}))
        value = f"CAST({_ident(code_list.field)} AS VARCHAR)"
        unknown = (
            f"SELECT {value} AS v, count(*) AS n FROM t "  # noqa: S608 - quoted names
            f"WHERE {value} IS NOT NULL AND {value} NOT IN (SELECT code FROM {name}) GROUP BY v"
        )
        row = con.execute(f"SELECT coalesce(sum(n), 0) FROM ({unknown})").fetchone()  # noqa: S608
        assert row is not None  # noqa: S101 - an aggregate always returns a row
        rows = int(row[0])
        examples = [
            r[0]
            for r in con.execute(f"{unknown} ORDER BY n DESC, v LIMIT {MAX_EXAMPLES}").fetchall()
        ]
        con.unregister(name)
        total += rows
        fields[code_list.field] = {
            "list": code_list.source,
            "unknown_rows": rows,
            "examples": examples,
        }
    return Result(CheckName.CODE_LISTS, total == 0, total, {"fields": fields})
