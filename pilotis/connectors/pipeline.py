# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""One load, end to end: read → map → validate → quarantine → one atomic Delta commit.

    run = start_run(tenant, mapping, kind="file", config={"path": ...}, source_name="gru")
    execute(run)            # or enqueue it for the worker

Guarantees:
- rows read = rows loaded + rows quarantined, for every load;
- the table gets at most ONE commit per load (none when nothing changed), so a crash — even a
  kill -9 — before it leaves the previous version intact and readable; running again completes;
- re-loading the same data changes nothing (rows are upserted by `_source` + primary key and
  rewritten only when their content hash changed);
- any load can be rolled back (`rollback`), and quarantined rows re-played once fixed (`replay`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from deltalake import write_deltalake
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotis.connectors import kinds, pseudonymise
from pilotis.connectors.kinds import SOURCE_ROW, RawInput, ReadHints, SourceError
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import LoadRun, Source, TableLock
from pilotis.connectors.validate import (
    Context,
    References,
    build_query,
    duplicates_sql,
    errors_sql,
    ident,
    lit,
    uniqueness_keys,
)
from pilotis.errors import PilotisError
from pilotis.tenants.models import Tenant
from pilotis.warehouse import storage
from pilotis.warehouse.schemas import LINEAGE_COLUMNS, LOAD_ID, ROW_HASH, SOURCE, TableSchema

log = logging.getLogger(__name__)
Progress = Callable[[LoadRun], None]


class LoadError(PilotisError):
    """The load was refused or failed; the table is unchanged."""


@dataclass
class Outcome:
    read: int
    loaded: int
    quarantined: int
    inserted: int
    updated: int
    version: int | None
    load_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "version": self.version,
            "load_id": self.load_id,
            "inserted": self.inserted,
            "updated": self.updated,
        }


def staging_root() -> Path:
    return Path(settings.VAR_DIR) / "staging"


# ---------------------------------------------------------------------------------------------
# Runs


def start_run(
    tenant: Tenant,
    mapping: Mapping,
    *,
    kind: str,
    config: dict[str, Any],
    source_name: str,
    source: Source | None = None,
    user: Any = None,
    queued: bool = False,
    run_kind: str = LoadRun.Kind.LOAD,
    replay_of: LoadRun | None = None,
) -> LoadRun:
    """Record a load about to run (or queued for the worker)."""
    kinds.get(kind)  # refuse an unknown kind now
    return LoadRun.objects.create(
        tenant=tenant,
        source=source,
        source_name=source_name,
        table=mapping.table,
        kind=run_kind,
        replay_of=replay_of,
        status=LoadRun.Status.QUEUED if queued else LoadRun.Status.RUNNING,
        mapping=mapping.to_yaml(),
        config=config,
        source_kind=kind,
        triggered_by=user if getattr(user, "is_authenticated", False) else None,
    )


def run_source(source: Source, user: Any = None, progress: Progress | None = None) -> LoadRun:
    """Load a configured source now, in this process."""
    mapping = Mapping.from_yaml(source.mapping)
    config = {**mapping.read, **source.config}
    run = start_run(
        source.tenant,
        mapping,
        kind=source.kind,
        config=config,
        source_name=source.name,
        source=source,
        user=user,
    )
    execute(run, progress=progress)
    return run


def reap_interrupted() -> int:
    """Mark runs whose process died as interrupted; free their locks and staging files."""
    count = 0
    for run in LoadRun.objects.filter(status=LoadRun.Status.RUNNING):
        if not run.is_alive():
            run.status = LoadRun.Status.INTERRUPTED
            run.finished_at = run.heartbeat_at
            run.error = str(
                _(
                    "The load was interrupted (its process stopped). The table was "
                    "left as it was; run it again."
                )
            )
            run.save(update_fields=["status", "finished_at", "error"])
            TableLock.objects.filter(run=run).delete()
            shutil.rmtree(staging_root() / run.load_id, ignore_errors=True)
            count += 1
    return count


def _acquire(run: LoadRun) -> None:
    reap_interrupted()
    try:
        with transaction.atomic():
            TableLock.objects.create(tenant=run.tenant, table=run.table, run=run)
    except IntegrityError:
        holder = TableLock.objects.filter(tenant=run.tenant, table=run.table).first()
        raise LoadError(
            _(
                "Another load of the table “%(table)s” is running (%(source)s, started %(at)s). "
                "Wait for it to finish."
            ),
            table=run.table,
            source=holder.run.source_name if holder else "?",
            at=holder.run.started_at.strftime("%d/%m/%Y %H:%M") if holder else "?",
        ) from None


def _release(run: LoadRun) -> None:
    TableLock.objects.filter(run=run).delete()


def execute(run: LoadRun, progress: Progress | None = None, raw: RawInput | None = None) -> Outcome:
    """Run the load `run` describes. On failure the run says why and the table is unchanged.

    Raises the LoadError/SourceError/MappingError after recording it on the run.
    """
    run.status = LoadRun.Status.RUNNING
    run.started_at = run.heartbeat_at = timezone.now()
    run.pid, run.host = os.getpid(), __import__("socket").gethostname()
    run.save()
    staging = staging_root() / run.load_id
    try:
        _acquire(run)
        try:
            outcome = _load(run, staging, progress, raw)
        finally:
            _release(run)
    except Exception as error:
        _record_failure(run, error)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _after_load(run)
    return outcome


def _record_failure(run: LoadRun, error: Exception) -> None:
    """The run failed: say why on it (French then English), log what was not foreseen."""
    run.status = LoadRun.Status.FAILED
    run.finished_at = timezone.now()
    if isinstance(error, PilotisError):
        run.error = error.bilingual()
    else:
        run.error = f"{error.__class__.__name__}: {error}"
        log.exception("load %s failed", run.load_id)
    run.save()


def _connection(staging: Path) -> duckdb.DuckDBPyConnection:
    staging.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET temp_directory = {lit(str(staging / 'spill'))}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET memory_limit = {lit(settings.LOAD_MEMORY_LIMIT)}")
    return con


def _open_raw(run: LoadRun) -> RawInput:
    kind = kinds.get(run.source_kind)
    state = run.source.state if run.source else {}
    return kind(run.config, state).open()


def _load(run: LoadRun, staging: Path, progress: Progress | None, raw: RawInput | None) -> Outcome:
    mapping = Mapping.from_yaml(run.mapping)
    schema = mapping.schema
    raw = raw or _open_raw(run)
    if not raw.columns:  # e.g. an API that returned no record at all: nothing to load
        if raw.cleanup:
            raw.cleanup()
        return _finish_empty(run, raw, progress)
    try:
        mapping.check_columns(raw.columns)
        run.description = raw.description[:300]
        run.read_hints = asdict(raw.hints)
        run.save(update_fields=["description", "read_hints"])
        con = _connection(staging)
        _stage_raw(con, raw, staging, run, progress)
        pseudonymise.protect_raw_input(con, mapping, raw.columns, run.tenant.code)
        refs = _references(con, run.tenant, mapping)
        ctx = Context(run.tenant.code, run.source_name, run.load_id, raw.hints)
        query = build_query(mapping, ctx, refs, raw.columns)
        validated = staging / "validated.parquet"
        _run_with_progress(
            con,
            f"COPY ({query}) TO {lit(str(validated))} (FORMAT parquet, ROW_GROUP_SIZE 122880)",
            run,
            progress,
            raw,
        )
        con.execute(f"CREATE VIEW checked AS SELECT * FROM read_parquet({lit(str(validated))})")
        keys = uniqueness_keys(schema)
        for i, (_label, cols) in enumerate(keys):
            con.execute(f"CREATE TABLE _duplicates_{i} AS {duplicates_sql(cols, 'checked')}")
        con.execute(f"CREATE VIEW staged AS {errors_sql(keys, 'checked')}")
        read, accepted = con.sql(
            "SELECT count(*), count(*) FILTER (WHERE len(_errors) = 0) FROM staged"
        ).fetchall()[0]
        quarantined = read - accepted
        if quarantined:
            _quarantine(con, run, raw.columns)
    except duckdb.Error as error:
        raise _explain(error, run, raw) from None
    finally:
        if raw.cleanup:
            raw.cleanup()
    inserted, updated, version = _commit(con, run, schema)
    outcome = Outcome(read, accepted, quarantined, inserted, updated, version, run.load_id)
    run.rows_read, run.rows_loaded, run.rows_quarantined = read, accepted, quarantined
    run.rows_inserted, run.rows_updated = inserted, updated
    run.version = version
    run.status = LoadRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.progress = 1.0
    run.save()
    if run.source is not None and raw.next_state:
        Source.objects.filter(pk=run.source.pk).update(state=raw.next_state)
    if progress:
        progress(run)
    return outcome


def _finish_empty(run: LoadRun, raw: RawInput, progress: Progress | None) -> Outcome:
    run.description = raw.description[:300]
    run.status = LoadRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.progress = 1.0
    run.save()
    if progress:
        progress(run)
    return Outcome(0, 0, 0, 0, 0, None, run.load_id)


def _stage_raw(
    con: duckdb.DuckDBPyConnection,
    raw: RawInput,
    staging: Path,
    run: LoadRun,
    progress: Progress | None,
) -> None:
    """Expose the source as the view `raw_input`, which the load may scan more than once.

    The source is spooled once to a Parquet file in the load's staging folder: Python batches
    can be read only once, and a CSV read in file order (to number its rows) runs on one core,
    while the Parquet copy is then scanned in parallel by every later step."""
    spool = staging / "raw.parquet"
    if raw.relation is not None:
        raw.relation(con).create_view("raw_source")
        _run_with_progress(
            con, f"COPY raw_source TO {lit(str(spool))} (FORMAT parquet)", run, progress, raw
        )
        con.execute(f"CREATE VIEW raw_input AS SELECT * FROM read_parquet({lit(str(spool))})")
        return
    reader = pa.RecordBatchReader.from_batches(raw.arrow_schema(), _counted(raw, run, progress))
    con.register("raw_stream", reader)
    con.execute(f"COPY raw_stream TO {lit(str(spool))} (FORMAT parquet)")
    con.unregister("raw_stream")
    con.execute(f"CREATE VIEW raw_input AS SELECT * FROM read_parquet({lit(str(spool))})")


def _counted(raw: RawInput, run: LoadRun, progress: Progress | None) -> Iterator[pa.RecordBatch]:
    """The source's batches, reporting progress and beating the heartbeat as they come."""
    assert raw.batches is not None  # noqa: S101 - checked by the caller
    rows, last = 0, time.monotonic()
    for batch in raw.batches():
        rows += batch.num_rows
        yield batch
        if time.monotonic() - last >= 1.0:
            last = time.monotonic()
            if raw.estimated_rows:
                run.progress = min(0.5, 0.5 * rows / raw.estimated_rows)
            run.heartbeat_at = timezone.now()
            LoadRun.objects.filter(pk=run.pk).update(
                progress=run.progress, heartbeat_at=run.heartbeat_at
            )
            if progress:
                progress(run)


def _explain(error: duckdb.Error, run: LoadRun, raw: RawInput) -> PilotisError:
    if run.source_kind == "file" and "path" in run.config:
        with suppress(ImportError):
            from pilotis.connectors.files import explain_duckdb_error

            return explain_duckdb_error(error, run.config["path"])
    return SourceError(
        _("The source could not be read: %(error)s"), error=str(error).splitlines()[0][:500]
    )


def _run_with_progress(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    run: LoadRun,
    progress: Progress | None,
    raw: RawInput,
) -> None:
    """Execute `sql` in a thread while this one reports progress and beats the heartbeat."""
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    worker = threading.Thread(target=work, name=f"load-{run.load_id}")
    worker.start()
    last_beat = 0.0
    while worker.is_alive():
        worker.join(0.25)
        now = time.monotonic()
        if now - last_beat >= 1.0:
            last_beat = now
            with suppress(duckdb.Error):
                fraction = max(0.0, min(0.99, con.query_progress() / 100))
                run.progress = max(run.progress, fraction)
            run.heartbeat_at = timezone.now()
            LoadRun.objects.filter(pk=run.pk).update(
                progress=run.progress, heartbeat_at=run.heartbeat_at
            )
            if progress:
                progress(run)
    if failure:
        raise failure[0]


# ---------------------------------------------------------------------------------------------
# References for foreign keys and commune look-ups


def _references(con: duckdb.DuckDBPyConnection, tenant: Tenant, mapping: Mapping) -> References:
    from pilotis.referential.models import Commune, OrgUnit, Theme

    refs = References()
    wanted = {fk.resource for fk in mapping.schema.foreign_keys}
    lists: dict[str, Callable[[], list[str]]] = {
        "referential:commune": lambda: list(Commune.objects.values_list("code_insee", flat=True)),
        "tenant:orgunit": lambda: list(
            OrgUnit.objects.filter(tenant=tenant).exclude(code="").values_list("code", flat=True)
        ),
        "tenant:theme": lambda: list(
            Theme.objects.filter(tenant=tenant).values_list("code", flat=True)
        ),
    }
    for resource in sorted(wanted & set(lists)):
        name = "ref_" + resource.replace(":", "_")
        con.register(name, pa.table({"code": pa.array(lists[resource](), pa.string())}))
        refs.tables[resource] = name
    communes = [(n, fm) for n, fm in mapping.fields.items() if fm.referential == "commune"]
    if communes:
        refs.commune_map = "commune_map"
        _commune_map(con, communes, tenant)
    return refs


def _territory(tenant: Tenant) -> set[str]:
    """INSEE codes of the communes of the tenant's territory: itself, its members, and the
    communes of its intercommunality (from the referential, tenants or not)."""
    from pilotis.referential.models import Commune

    codes = {tenant.code}
    codes.update(tenant.members.values_list("code", flat=True))
    epcis = {c for c in (tenant.epci_code, tenant.siren if tenant.kind == "epci" else "") if c}
    if epcis:
        codes.update(Commune.objects.filter(epci_id__in=epcis).values_list("code_insee", flat=True))
    return codes


def _commune_map(
    con: duckdb.DuckDBPyConnection, fields: list[tuple[str, Any]], tenant: Tenant
) -> None:
    """Resolve each distinct (commune text, postal code) of the source once, in Python.

    The text may be a name (any case, accents or not, "St" for "Saint"…), an INSEE code, or
    empty with a postal code serving one commune only."""

    pairs: set[tuple[str | None, str | None]] = set()
    for _name, fm in fields:
        cp_sql = f"trim({ident(fm.postal_code_column)})" if fm.postal_code_column else "NULL"
        rows = con.sql(
            f"SELECT DISTINCT nullif(trim({ident(fm.column)}), ''), {cp_sql} FROM raw_input"
        ).fetchall()
        pairs.update((r[0], r[1]) for r in rows)
    names = [p[0] for p in pairs]
    cps = [p[1] for p in pairs]
    from pilotis.referential.models import Commune

    index = _commune_index()
    codes = index.resolve_many(names, cps)
    given = {n.upper() for n in names if n and len(n) == 5}
    known = set(Commune.objects.filter(code_insee__in=given).values_list("code_insee", flat=True))
    resolved = []
    territory = _territory(tenant)
    for name, cp, code in zip(names, cps, codes, strict=True):
        if name and name.upper() in known:
            code = name.upper()  # already an INSEE code
        elif code is None and name and name.isdigit() and len(name) == 5 and not cp:
            code = index.resolve(None, name)  # a postal code serving one commune only
        elif code is None and name:
            # A name several communes of France bear ("Saint-Gilles"): the one of the territory.
            here = [c for c in index.by_name(name, postal_code=cp) if c in territory]
            code = here[0] if len(here) == 1 else None
        resolved.append(code)
    con.register(
        "commune_map",
        pa.table(
            {
                "name": pa.array(names, pa.string()),
                "cp": pa.array(cps, pa.string()),
                "code": pa.array(resolved, pa.string()),
            }
        ),
    )


_INDEX: dict[str, Any] = {}


def _commune_index() -> Any:
    from pilotis.referential.lookup import CommuneIndex
    from pilotis.referential.models import Commune

    stamp = str(Commune.objects.count())
    if _INDEX.get("stamp") != stamp:
        _INDEX["index"] = CommuneIndex.from_db()
        _INDEX["stamp"] = stamp
    return _INDEX["index"]


# ---------------------------------------------------------------------------------------------
# Writing: quarantine, then one commit on the table


def _quarantine(con: duckdb.DuckDBPyConnection, run: LoadRun, columns: list[str]) -> None:
    con.execute(
        f"CREATE TABLE rejected AS SELECT {SOURCE_ROW}, _errors, _record FROM staged "
        "WHERE len(_errors) > 0"
    )
    # Rows rejected only as duplicates passed the first query, which kept no copy of them:
    # take the row as read from the source (scanned again, for those rows only).
    missing = con.sql("SELECT count(*) FROM rejected WHERE _record IS NULL").fetchall()[0][0]
    if missing:
        record = ", ".join(f"{lit(c)}: r.{ident(c)}" for c in columns)
        con.execute(
            f"""UPDATE rejected SET _record = src._record FROM (
                    SELECT r.{SOURCE_ROW} AS n, to_json({{{record}}}) AS _record
                    FROM raw_input r
                    WHERE r.{SOURCE_ROW} IN (
                        SELECT {SOURCE_ROW} FROM rejected WHERE _record IS NULL
                    )
                ) AS src WHERE rejected.{SOURCE_ROW} = src.n"""
        )
    reader = con.sql(
        f"""SELECT {lit(run.load_id)} AS load_id, {lit(run.table)} AS "table",
                   {lit(run.source_name)} AS source, {SOURCE_ROW} AS source_row,
                   CAST(to_json(_errors) AS VARCHAR) AS reasons, CAST(_record AS VARCHAR) AS record,
                   NULL::VARCHAR AS replayed_by
            FROM rejected ORDER BY {SOURCE_ROW}"""
    ).to_arrow_reader(100_000)
    write_deltalake(
        storage.table_uri(run.tenant.code, storage.QUARANTINE),
        pa.RecordBatchReader.from_batches(
            storage.QUARANTINE_SCHEMA, (b.cast(storage.QUARANTINE_SCHEMA) for b in reader)
        ),
        mode="append",
        commit_properties=storage.commit_properties(run.load_id),
    )


def _select_table_columns(schema: TableSchema) -> str:
    return ", ".join(ident(name) for name in [*schema.field_names, *LINEAGE_COLUMNS])


def _batches(reader: pa.RecordBatchReader, target: pa.Schema) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        yield batch.cast(target)


def _commit(
    con: duckdb.DuckDBPyConnection, run: LoadRun, schema: TableSchema
) -> tuple[int, int, int | None]:
    """Write the accepted rows that are new or changed, in one commit. Returns
    (inserted, updated, version); version is None when nothing changed."""
    target = storage.arrow_schema(schema)
    columns = _select_table_columns(schema)
    uri = storage.table_uri(run.tenant.code, run.table)
    delta = storage.open_table(run.tenant.code, run.table)
    run.previous_version = None if delta is None else delta.version()
    key = [SOURCE, *schema.primary_key]
    on = " AND ".join(f"c.{ident(k)} = a.{ident(k)}" for k in key)
    con.execute(f"CREATE VIEW accepted AS SELECT {columns} FROM staged WHERE len(_errors) = 0")
    props = storage.commit_properties(run.load_id)
    if delta is None:
        count = con.sql("SELECT count(*) FROM accepted").fetchall()[0][0]
        if count == 0:
            return 0, 0, None
        reader = con.sql("SELECT * FROM accepted").to_arrow_reader(100_000)
        write_deltalake(
            uri,
            pa.RecordBatchReader.from_batches(target, _batches(reader, target)),
            mode="error",
            commit_properties=props,
        )
        return count, 0, storage.current_version(run.tenant.code, run.table)
    storage.register(con, "current_rows", run.tenant.code, run.table)
    con.execute(
        f"""CREATE TABLE changed AS SELECT a.* FROM accepted a
            ANTI JOIN current_rows c ON {on} AND c.{ident(ROW_HASH)} = a.{ident(ROW_HASH)}"""
    )
    changed, updated = con.sql(
        f"""SELECT count(*), count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM current_rows c WHERE {on.replace("a.", "changed.")}))
            FROM changed"""
    ).fetchall()[0]
    if changed == 0:
        return 0, 0, None
    reader = con.sql("SELECT * FROM changed").to_arrow_reader(100_000)
    source = pa.RecordBatchReader.from_batches(target, _batches(reader, target))
    predicate = " AND ".join(f"t.{ident(k)} = s.{ident(k)}" for k in key)
    (
        delta.merge(source, predicate, source_alias="s", target_alias="t", commit_properties=props)
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    return changed - updated, updated, delta.version()


# ---------------------------------------------------------------------------------------------
# Rollback and replay


def rollback(run: LoadRun, user: Any = None) -> LoadRun:
    """Undo what `run` wrote: its rows go back to their previous values, or away if it added
    them. Rows a later load rewrote keep the later values. One commit; recorded as a run."""
    if run.kind == LoadRun.Kind.ROLLBACK:
        raise LoadError(_("A rollback cannot itself be rolled back: load the data again."))
    if run.status != LoadRun.Status.SUCCEEDED:
        raise LoadError(
            _("Only a successful load can be rolled back (this one is %(status)s)."),
            status=run.get_status_display(),
        )
    undo = LoadRun.objects.create(
        tenant=run.tenant,
        source=run.source,
        source_name=run.source_name,
        table=run.table,
        kind=LoadRun.Kind.ROLLBACK,
        replay_of=run,
        mapping=run.mapping,
        config={},
        source_kind=run.source_kind,
        triggered_by=user if getattr(user, "is_authenticated", False) else None,
    )
    staging = staging_root() / undo.load_id
    try:
        _acquire(undo)
        try:
            deleted, restored, version = _revert(run, undo, staging)
        finally:
            _release(undo)
    except Exception as error:
        _record_failure(undo, error)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    undo.status = LoadRun.Status.SUCCEEDED
    undo.finished_at = timezone.now()
    undo.rows_deleted, undo.rows_updated, undo.version = deleted, restored, version
    undo.progress = 1.0
    undo.save()
    run.status = LoadRun.Status.ROLLED_BACK
    run.save(update_fields=["status"])
    _after_load(undo)
    return undo


def _revert(run: LoadRun, undo: LoadRun, staging: Path) -> tuple[int, int, int | None]:
    if run.version is None:
        return 0, 0, None  # the load changed nothing
    schema = Mapping.from_yaml(run.mapping).schema
    delta = storage.open_table(run.tenant.code, run.table)
    if delta is None:
        return 0, 0, None
    key = [SOURCE, *schema.primary_key]
    con = _connection(staging)
    storage.register(con, "now_rows", run.tenant.code, run.table)
    if run.version > 0:
        storage.register(con, "before_rows", run.tenant.code, run.table, version=run.version - 1)
    else:
        con.execute("CREATE VIEW before_rows AS SELECT * FROM now_rows WHERE false")
    columns = [*schema.field_names, *LINEAGE_COLUMNS]
    on = " AND ".join(f"b.{ident(k)} = n.{ident(k)}" for k in key)
    con.execute(
        f"""CREATE TABLE revert AS
            SELECT {", ".join(f"b.{ident(c)}" for c in columns if c not in key)},
                   {", ".join(f"n.{ident(k)}" for k in key)},
                   b.{ident(LOAD_ID)} IS NOT NULL AS _restore
            FROM now_rows n LEFT JOIN before_rows b ON {on}
            WHERE n.{ident(LOAD_ID)} = {lit(run.load_id)}"""
    )
    restored, deleted = con.sql(
        "SELECT count(*) FILTER (WHERE _restore), count(*) FILTER (WHERE NOT _restore) FROM revert"
    ).fetchall()[0]
    if restored + deleted == 0:
        return 0, 0, None
    source = con.sql(f"SELECT {', '.join(ident(c) for c in columns)}, _restore FROM revert").arrow()
    predicate = " AND ".join(f"t.{ident(k)} = s.{ident(k)}" for k in key)
    updates = {ident(c): f"s.{ident(c)}" for c in columns if c not in key}
    (
        delta.merge(
            source,
            predicate,
            source_alias="s",
            target_alias="t",
            commit_properties=storage.commit_properties(
                undo.load_id, **{"pilotis.rollback_of": run.load_id}
            ),
        )
        .when_matched_update(updates=updates, predicate="s._restore")
        .when_matched_delete(predicate="NOT s._restore")
        .execute()
    )
    return deleted, restored, delta.version()


def quarantined_input(run: LoadRun) -> RawInput:
    """The rows `run` quarantined and nobody re-played yet, as a source to load again."""
    rows = quarantine_rows(run, pending_only=True)
    records = [json.loads(r["record"]) for r in rows]
    columns: list[str] = []
    for record in records:
        for name in record:
            if name not in columns:
                columns.append(name)
    numbers = [r["source_row"] for r in rows]

    def batches() -> Iterator[pa.RecordBatch]:
        data = {c: pa.array([rec.get(c) for rec in records], pa.string()) for c in columns}
        data[SOURCE_ROW] = pa.array(numbers, pa.int64())
        yield pa.RecordBatch.from_pydict(data)

    return RawInput(
        columns=columns,
        batches=batches,
        hints=ReadHints(**run.read_hints) if run.read_hints else ReadHints(),
        estimated_rows=len(records),
        description=str(_("Quarantined rows of load %(load)s") % {"load": run.load_id}),
    )


def replay(run: LoadRun, user: Any = None, mapping: Mapping | None = None) -> LoadRun:
    """Load again the rows `run` quarantined, with the source's current mapping (or `mapping`).
    Rows that now pass are loaded; the others are quarantined again under the replay."""
    if mapping is None:
        text = run.source.mapping if run.source else run.mapping
        mapping = Mapping.from_yaml(text)
    raw = quarantined_input(run)
    if not raw.columns:
        raise LoadError(_("This load has no quarantined rows left to re-play."))
    again = start_run(
        run.tenant,
        mapping,
        kind=run.source_kind or "file",
        config=run.config,
        source_name=run.source_name,
        source=run.source,
        user=user,
        run_kind=LoadRun.Kind.REPLAY,
        replay_of=run,
    )
    execute(again, raw=raw)
    quarantine = storage.open_table(run.tenant.code, storage.QUARANTINE)
    if quarantine is not None:
        quarantine.update(
            updates={"replayed_by": lit(again.load_id)},
            predicate=f"load_id = {lit(run.load_id)} AND replayed_by IS NULL",
            commit_properties=storage.commit_properties(again.load_id),
        )
    return again


def quarantine_rows(
    run: LoadRun, pending_only: bool = False, limit: int | None = None
) -> list[dict[str, Any]]:
    """The quarantined rows of a load, in source order: source_row, reasons (JSON), record."""
    con = duckdb.connect()
    if not storage.register(con, "q", run.tenant.code, storage.QUARANTINE):
        return []
    where = f"load_id = {lit(run.load_id)}" + (" AND replayed_by IS NULL" if pending_only else "")
    sql = (
        f"SELECT source_row, reasons, record, replayed_by FROM q WHERE {where} ORDER BY source_row"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    names = ["source_row", "reasons", "record", "replayed_by"]
    return [dict(zip(names, row, strict=True)) for row in con.sql(sql).fetchall()]


def quarantine_summary(run: LoadRun) -> list[dict[str, Any]]:
    """How many rows each (field, rule) rejected in this load, most frequent first."""
    con = duckdb.connect()
    if not storage.register(con, "q", run.tenant.code, storage.QUARANTINE):
        return []
    rows = con.sql(
        f"""SELECT r.field, r.rule, count(*) AS n, any_value(r.value) AS example
            FROM (SELECT unnest(from_json(reasons,
                    '[{{"field":"VARCHAR","rule":"VARCHAR","value":"VARCHAR","expected":"VARCHAR"}}]'))
                  AS r FROM q WHERE load_id = {lit(run.load_id)})
            GROUP BY ALL ORDER BY n DESC, 1, 2"""
    ).fetchall()
    return [{"field": f, "rule": r, "count": n, "example": e} for f, r, n, e in rows]


def _after_load(run: LoadRun) -> None:
    from pilotis.audit.log import record

    if run.version is not None:  # the audit log keeps what changed data; every run is listed
        record(
            f"load.{run.kind}",
            actor=run.triggered_by,
            tenant=run.tenant,
            target=f"{run.table}:{run.load_id}",
            details={
                "source": run.source_name,
                "read": run.rows_read,
                "loaded": run.rows_loaded,
                "quarantined": run.rows_quarantined,
                "version": run.version,
            },
        )
    from pilotis.catalog.hooks import after_load

    after_load(run.tenant, run.table, run.load_id)
    if run.version is not None:  # the data changed: republish the open data it feeds
        from pilotis.opendata.tasks import after_load as republish_after_load

        try:
            republish_after_load(run.tenant_id, run.table)
        except Exception:  # the load is committed; a failed publication is on its own row
            log.exception("opendata: republication after %s failed", run.load_id)
        from pilotis.alerts.tasks import after_load as check_alerts

        try:
            check_alerts(run.tenant_id, run.table)
        except Exception:  # the load is committed; an alert that cannot be read waits for the next
            log.exception("alerts: check after %s failed", run.load_id)
        from pilotis.home.tasks import schedule_after_load

        try:
            schedule_after_load(run.tenant)  # queued: the load does not wait for the boards
        except Exception:  # a queue that cannot be written only leaves the boards cold
            log.exception("home: warm-up after %s could not be queued", run.load_id)


def new_load_id() -> str:
    return str(uuid.uuid4())
