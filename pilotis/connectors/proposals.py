"""Propose a mapping for a file from its column names and first rows, for the user to confirm."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from django.utils.translation import gettext_lazy as _

from pilotis.connectors import kinds
from pilotis.connectors.kinds import RawInput
from pilotis.connectors.mapping import Mapping, MappingError, Proposal, propose
from pilotis.referential.models import OrgUnit, Theme
from pilotis.tenants.models import Tenant

SAMPLE_ROWS = 50


@dataclass
class FilePreview:
    raw: RawInput
    columns: list[str]
    rows: list[list[str | None]]
    proposal: Proposal

    def require_mapping(self) -> Mapping:
        if self.proposal.mapping is None:
            raise MappingError(
                _(
                    "No column was recognised for the required field(s) %(fields)s. Columns of the "
                    "file: %(columns)s. Write a mapping (--mapping FILE.yaml)."
                ),
                fields=", ".join(self.proposal.unmatched_required),
                columns=", ".join(f"« {c} »" for c in self.columns),
            )
        return self.proposal.mapping


def value_targets(tenant: Tenant) -> dict[str, dict[str, str]]:
    """Canonical values by label for fields mapped onto the tenant's own lists."""
    themes = {t.label: t.code for t in Theme.objects.filter(tenant=tenant)}
    themes.update({code: code for code in themes.values()})
    units = {u.name: u.code for u in OrgUnit.objects.filter(tenant=tenant).exclude(code="")}
    units.update({code: code for code in units.values()})
    return {"category": themes, "service": units}


def preview(raw: RawInput, limit: int = SAMPLE_ROWS) -> list[list[str | None]]:
    con = duckdb.connect()
    try:
        raw.to_relation(con).create_view("r")
        names = ", ".join('"' + c.replace('"', '""') + '"' for c in raw.columns)
        rows = con.sql(f"SELECT {names} FROM r LIMIT {int(limit)}")  # noqa: S608
        return [list(row) for row in rows.fetchall()]
    finally:
        con.close()


def propose_for_file(
    tenant: Tenant, table: str, path: Path, config: dict[str, object] | None = None
) -> FilePreview:
    raw = kinds.get("file")({"path": str(path), **(config or {})}).open()
    try:
        rows = preview(raw)
    except duckdb.Error as error:
        from pilotis.connectors.files import explain_duckdb_error

        raise explain_duckdb_error(error, path) from None
    finally:
        if raw.cleanup:
            raw.cleanup()
    samples = {c: [str(r[i]) for r in rows if r[i] is not None] for i, c in enumerate(raw.columns)}
    proposal = propose(table, raw.columns, samples, value_targets(tenant))
    return FilePreview(raw, raw.columns, rows, proposal)
