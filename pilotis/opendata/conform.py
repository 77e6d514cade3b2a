"""What the pipeline keeps of a national-schema check (a JSON report on the version row, shown
on its page), and the typing of a validated file for the Parquet reference and the API."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pilotis.opendata.national import NationalSchema, Report

KEPT_ERRORS = 200


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "schema": report.schema,
        "rows": report.rows,
        "errors_total": report.error_count,
        "summary": [str(line) for line in report.summary()],
        "header": [{"kind": h.kind, "field": h.field, "found": h.found} for h in report.header],
        "errors": [
            {
                "row": e.row,
                "field": e.field,
                "rule": e.rule,
                "value": e.value,
                "message": str(e.message),
            }
            for e in report.errors[:KEPT_ERRORS]
        ],
        "counts": report.counts,
    }


def typed(table: pa.Table, schema: NationalSchema) -> pa.Table:
    """Columns typed as the schema declares them, where the text casts cleanly (it was just
    validated): integers, plain numbers, ISO dates; anything else stays text exactly as
    published in the CSV."""
    fields = {f["name"]: f for f in schema.descriptor().get("fields", [])}
    columns = []
    for name in table.column_names:
        column = table.column(name)
        spec = fields.get(name, {})
        target = _target(spec)
        if target is not None:
            try:
                empty = pc.equal(column, "")
                column = pc.if_else(empty, pa.scalar(None, pa.string()), column).cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                pass
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _target(spec: dict[str, Any]) -> pa.DataType | None:
    kind = spec.get("type")
    if kind == "integer" and spec.get("bareNumber", True) is not False:
        return pa.int64()
    if kind == "number" and spec.get("decimalChar", ".") == "." and "groupChar" not in spec:
        return pa.float64()
    if kind == "date" and spec.get("format", "default") == "default":
        return pa.date32()
    return None
