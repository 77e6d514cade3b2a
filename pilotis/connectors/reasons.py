"""Why a row was rejected, in words a clerk can act on (French first, through Django i18n)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.connectors.models import LoadRun

TYPE_NAMES = {
    "integer": gettext_lazy("a whole number"),
    "number": gettext_lazy("a number"),
    "boolean": gettext_lazy("yes or no"),
    "date": gettext_lazy("a date"),
    "datetime": gettext_lazy("a date and time"),
    "time": gettext_lazy("a time"),
    "year": gettext_lazy("a year"),
}


def explain(reason: dict[str, Any]) -> str:
    """One sentence for one reason {field, rule, value, expected}."""
    rule, expected = reason.get("rule"), reason.get("expected")
    if rule == "type":
        return _("is not %(what)s") % {"what": TYPE_NAMES.get(str(expected), str(expected))}
    if rule == "required":
        return _("is empty, but required")
    if rule == "enum":
        return _("is not one of the allowed values: %(values)s") % {"values": expected}
    if rule == "pattern":
        return _("does not have the expected shape (%(pattern)s)") % {"pattern": expected}
    if rule == "format":
        return _("is not a valid %(format)s") % {"format": expected}
    if rule == "minimum":
        return _("is below the minimum %(bound)s") % {"bound": expected}
    if rule == "maximum":
        return _("is above the maximum %(bound)s") % {"bound": expected}
    if rule == "minLength":
        return _("is shorter than %(bound)s characters") % {"bound": expected}
    if rule == "maxLength":
        return _("is longer than %(bound)s characters") % {"bound": expected}
    if rule == "unique":
        return _("repeats the key of source row %(row)s") % {"row": expected}
    if rule == "commune":
        return _("names no commune of the official referential (check the name or postal code)")
    if rule == "foreign_key":
        lists = {
            "referential:commune": _("the official list of communes"),
            "tenant:orgunit": _("your services (Referential page)"),
            "tenant:theme": _("your themes (Referential page)"),
        }
        return _("is not in %(list)s") % {"list": lists.get(str(expected), expected)}
    return str(rule)


def reasons_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = json.loads(row["reasons"])
    for reason in reasons:
        reason["message"] = explain(reason)
    return reasons


def quarantine_csv(run: LoadRun, rows: list[dict[str, Any]]) -> Iterator[str]:
    """The quarantined rows as a CSV French Excel opens cleanly: UTF-8 with BOM, `;`, one line
    per rejected row with its reasons, then the row's own columns. Cells are neutralised
    against formula injection."""
    from pilotis.exports import neutralise_cell

    records = [json.loads(r["record"]) for r in rows]
    columns: list[str] = []
    for record in records:
        columns.extend(c for c in record if c not in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([_("source row"), _("reasons"), *columns])
    yield "\ufeff" + flush()
    for row, record in zip(rows, records, strict=True):
        why = " ; ".join(
            f"{r['field']} « {r.get('value') or ''} » {r['message']}" for r in reasons_of(row)
        )
        writer.writerow(
            [
                row["source_row"],
                neutralise_cell(why),
                *(neutralise_cell(record.get(c)) for c in columns),
            ]
        )
        yield flush()
