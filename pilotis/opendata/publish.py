"""The publication pipeline: read → anonymise → check for personal data → validate against the
national schema → write the resources → update the catalog → tell the subscribers.

Each run is a numbered version. Files are written in a temporary folder and moved into place
only when everything succeeded, so a failed (or killed) run leaves the last good version
online; the failure is kept on the version row with its report. Republishing unchanged data
creates no version."""

from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError
from pilotis.opendata import anonymise, pii
from pilotis.opendata.models import Publication, PublicationVersion, SourceKind
from pilotis.opendata.resources import write_all
from pilotis.warehouse import storage
from pilotis.warehouse.schemas import LINEAGE_COLUMNS, canonical_tables

log = logging.getLogger(__name__)


class PublicationRefused(PilotisError):
    """The run stopped on purpose; `report` says what to fix."""

    def __init__(self, message: Any, report: dict[str, Any] | None = None, **params: Any):
        super().__init__(message, **params)
        self.report = report or {}


def opendata_root() -> Path:
    """Where published files live (PILOTIS_OPENDATA_DIR, by default var/opendata)."""
    return Path(settings.OPENDATA_DIR)


def version_folder(version: PublicationVersion) -> Path:
    pub = version.publication
    return opendata_root() / pub.tenant.code / str(pub.identifier) / f"v{version.number}"


def resource_path(version: PublicationVersion, fmt: str) -> Path | None:
    """The file of a format of a published version, when it was written."""
    found = version.resources.get(fmt)
    return None if not found else version_folder(version) / str(found["file"])


# --- reading -------------------------------------------------------------------------------


def published_columns(pub: Publication) -> list[str]:
    """The columns a table publication exposes (before anonymisation drops some)."""
    schema = canonical_tables().get(pub.source_table)
    if schema is None:
        raise PublicationRefused(
            _("The warehouse has no table “%(table)s”."), table=pub.source_table
        )
    known = [f.name for f in schema.fields]
    wanted = list(pub.columns) or known
    unknown = [c for c in wanted + list(pub.row_filters) if c not in known]
    if unknown:
        raise PublicationRefused(
            _("The table %(table)s has no column %(columns)s."),
            table=pub.source_table,
            columns=", ".join(unknown),
        )
    return [c for c in wanted if c not in LINEAGE_COLUMNS]


def _read_table(pub: Publication) -> tuple[pa.Table, dict[str, Any]]:
    columns = published_columns(pub)
    con = duckdb.connect()
    try:
        if not storage.register(con, "src", pub.tenant.code, pub.source_table):
            raise PublicationRefused(
                _("The table %(table)s has not been loaded yet: load its sources first."),
                table=pub.source_table,
            )
        where = " AND ".join(
            f"{storage.ident(col)} IN ({', '.join(storage.lit(v) for v in values)})"
            for col, values in pub.row_filters.items()
            if values
        )
        select = ", ".join(storage.ident(c) for c in columns)
        order = ", ".join(storage.ident(c) for c in _order(pub, columns))
        sql = f"SELECT {select} FROM src"  # noqa: S608 — identifiers quoted, values literal
        sql += f" WHERE {where}" if where else ""
        sql += f" ORDER BY {order}" if order else ""
        table = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    version = storage.current_version(pub.tenant.code, pub.source_table)
    return _plain_strings(table), {pub.source_table: version}


def _order(pub: Publication, columns: list[str]) -> list[str]:
    schema = canonical_tables()[pub.source_table]
    return [c for c in schema.primary_key if c in columns] or columns[:1]


def _plain_strings(table: pa.Table) -> pa.Table:
    """delta-rs writes string_view columns; the writers and regexes want plain strings."""
    fields = []
    for f in table.schema:
        if pa.types.is_string_view(f.type) or pa.types.is_large_string(f.type):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(f)
    return table.cast(pa.schema(fields))


def _read_file(pub: Publication) -> tuple[pa.Table, dict[str, Any], dict[str, Any]]:
    from pilotis.opendata import national

    if not pub.source_file:
        raise PublicationRefused(_("No file was given for this publication."))
    path = Path(pub.source_file.path)
    table, source = national.read_table(path)
    fixes: list[Any] = []
    if pub.national_schema and pub.apply_fixes:
        schema = national.get(pub.national_schema, pub.national_schema_version or None)
        fixes = national.propose_fixes(table, schema, source)
        table = national.apply_fixes(table, fixes)
    applied = [{"kind": f.kind, "field": f.field, "count": f.count} for f in fixes]
    return table, {"file": path.name}, {"fixes": applied}


# --- checks --------------------------------------------------------------------------------


def check_personal_columns(pub: Publication, rules: dict[str, anonymise.ColumnRule]) -> None:
    """Refuse while a column the catalog marks as personal data is published with no rule."""
    if pub.source_kind != SourceKind.TABLE:
        return
    schema = canonical_tables()[pub.source_table]
    columns = published_columns(pub)
    bare = [
        c
        for c in schema.personal_fields
        if c in columns and (c not in rules or rules[c].rule == anonymise.Rule.KEEP)
    ]
    if bare:
        raise PublicationRefused(
            _(
                "The columns %(columns)s hold personal data and have no anonymisation rule: "
                "drop them, hash them or redact them before publishing."
            ),
            report={"personal_without_rule": bare},
            columns=", ".join(bare),
        )


def check_no_personal_data(table: pa.Table, rules: dict[str, anonymise.ColumnRule]) -> None:
    """The last gate: text columns left as they are must hold no e-mail, phone number, NIR,
    IBAN or licence plate (names and addresses are redacted by rule, not gated: too many
    street names are people's names)."""
    text = [  # integers too: a NIR or a phone number may be stored as a number
        f.name
        for f in table.schema
        if (
            pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)
            or pa.types.is_integer(f.type)
        )
        and (f.name not in rules or rules[f.name].rule == anonymise.Rule.KEEP)
    ]
    if not text:
        return
    findings, counts = pii.find(table, columns=text, kinds=set(pii.HIGH_PRECISION), limit=20)
    found = {col: kinds for col, kinds in counts.items() if any(kinds.values())}
    if found:
        summary = "; ".join(
            f"{col} ({', '.join(f'{n} {kind}' for kind, n in kinds.items() if n)})"
            for col, kinds in found.items()
        )
        raise PublicationRefused(
            _(
                "Personal data found in columns without a rule: %(summary)s. Add a rule "
                "(redact, drop or hash) to these columns."
            ),
            report={
                "personal_data_found": found,
                "examples": [
                    {"row": f.row, "column": f.column, "kind": f.kind, "excerpt": f.excerpt}
                    for f in findings
                ],
            },
            summary=summary,
        )


def _validate(pub: Publication, table: pa.Table) -> pa.Table:
    from pilotis.opendata import conform, national

    schema = national.get(pub.national_schema, pub.national_schema_version or None)
    as_text = table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))
    report = national.validate(as_text, schema)
    if not report.valid:
        raise PublicationRefused(
            _(
                "The data does not conform to the schema %(schema)s %(version)s: "
                "%(errors)s error(s). Download the report, fix the source and publish again."
            ),
            report={"schema": conform.report_dict(report)},
            schema=schema.name,
            version=schema.version,
            errors=report.error_count,
        )
    return conform.typed(table, schema) if pub.source_kind == SourceKind.FILE else table


# --- the run -------------------------------------------------------------------------------


def _next_number(pub: Publication) -> int:
    return (pub.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def _changelog(previous: PublicationVersion | None, rows: int, fields: list[str], note: str) -> str:
    lines = []
    if previous is None:
        lines.append(_g("First publication: %(rows)s rows.") % {"rows": rows})
    else:
        delta = rows - previous.rows
        lines.append(
            _g("%(rows)s rows (%(delta)s since version %(number)s).")
            % {"rows": rows, "delta": f"{delta:+d}", "number": previous.number}
        )
        before = [f["name"] for f in previous.fields]
        added = [f for f in fields if f not in before]
        removed = [f for f in before if f not in fields]
        if added:
            lines.append(_g("Columns added: %(cols)s.") % {"cols": ", ".join(added)})
        if removed:
            lines.append(_g("Columns removed: %(cols)s.") % {"cols": ", ".join(removed)})
    if note.strip():
        lines.append(note.strip())
    return "\n".join(lines)


def _field_list(table: pa.Table) -> list[dict[str, str]]:
    return [{"name": f.name, "type": str(f.type)} for f in table.schema]


def publish(
    pub: Publication, trigger: str = PublicationVersion.Trigger.MANUAL, note: str = ""
) -> PublicationVersion:
    """Run the pipeline once. Returns the new version (status ok or failed), or the current
    version unchanged when the data did not change."""
    with transaction.atomic():
        version = PublicationVersion.objects.create(
            publication=pub, number=_next_number(pub), trigger=trigger
        )
    previous = pub.versions.filter(status=PublicationVersion.Status.OK, number__lt=version.number)
    last = previous.order_by("-number").first()
    tmp = opendata_root() / pub.tenant.code / str(pub.identifier) / f".tmp-{uuid.uuid4().hex}"
    try:
        rules = anonymise.parse_rules(pub.rules)
        check_personal_columns(pub, rules)
        report: dict[str, Any] = {}
        if pub.source_kind == SourceKind.TABLE:
            table, sources = _read_table(pub)
        else:
            table, sources, report = _read_file(pub)
        table = anonymise.apply(table, rules, anonymise.secret_key())
        if pub.aggregate.get("group_by"):
            table, suppressed = anonymise.suppress_small_cells(
                table, list(pub.aggregate["group_by"]), int(pub.aggregate.get("k", 5))
            )
            report["suppressed_groups"] = suppressed
        check_no_personal_data(table, rules)
        if pub.national_schema:
            table = _validate(pub, table)
        tmp.mkdir(parents=True)
        pq.write_table(table, tmp / "data.parquet", compression="zstd")
        resources = write_all(tmp / "data.parquet", tmp, pub.title)
        content = str(resources["csv"]["sha256"])
        if last is not None and last.content_hash == content:
            shutil.rmtree(tmp, ignore_errors=True)
            version.delete()
            return last
        names = [f["name"] for f in _field_list(table)]
        target = version_folder(version)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
        version.rows = table.num_rows
        version.fields = _field_list(table)
        version.resources = resources
        version.content_hash = content
        version.source_versions = sources
        version.report = report
        version.changelog = _changelog(last, table.num_rows, names, note)
        version.status = PublicationVersion.Status.OK
        version.finished_at = timezone.now()
        version.save()
    except PilotisError as error:
        _fail(version, error.bilingual(), getattr(error, "report", {}))
        shutil.rmtree(tmp, ignore_errors=True)
        return version
    except Exception as error:  # recorded, never half-published
        log.exception("opendata: publication %s failed", pub.pk)
        _fail(version, f"{type(error).__name__}: {error}", {})
        shutil.rmtree(tmp, ignore_errors=True)
        return version
    _after_publication(pub, version)
    return version


def _fail(version: PublicationVersion, message: str, report: dict[str, Any]) -> None:
    version.status = PublicationVersion.Status.FAILED
    version.error = message
    version.report = report
    version.finished_at = timezone.now()
    version.save()


def _after_publication(pub: Publication, version: PublicationVersion) -> None:
    from pilotis.opendata.catalog_entry import sync_catalog

    try:
        sync_catalog(pub, version)
    except Exception:
        log.exception("opendata: catalog entry of %s not updated", pub.pk)
    notify_subscribers(pub, version)


def notify_subscribers(pub: Publication, version: PublicationVersion) -> int:
    """E-mail each subscriber that a new version is online; returns how many were told."""
    subscribers = list(pub.subscriptions.all())
    if not subscribers:
        return 0
    base = settings.PILOTIS_PUBLIC_URL.rstrip("/")
    page = base + reverse("opendata:dataset", args=[pub.tenant.code, pub.slug])
    sent = 0
    for sub in subscribers:
        stop = base + reverse("opendata:unsubscribe", args=[sub.token])
        body = _g(
            "The dataset “%(title)s” of %(tenant)s has a new version (%(number)s).\n\n"
            "%(changes)s\n\nSee it: %(page)s\nStop these messages: %(stop)s\n"
        ) % {
            "title": pub.title,
            "tenant": pub.tenant.name,
            "number": version.number,
            "changes": version.changelog,
            "page": page,
            "stop": stop,
        }
        try:
            send_mail(
                _g("New version of “%(title)s”") % {"title": pub.title},
                body,
                settings.DEFAULT_FROM_EMAIL,
                [sub.email],
            )
            sent += 1
        except Exception:
            log.exception("opendata: could not tell %s", sub.email)
    return sent
