"""The RGPD register of a tenant as rows in the order of the CNIL's model register sheet, for the
detail page, the printable page and the XLSX workbook (one sheet per processing + a summary)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from pilotis.catalog.models import ProcessingRecord
from pilotis.exports import neutralise_cell
from pilotis.tenants.models import Tenant


@dataclass(frozen=True)
class Item:
    label: str
    value: Any  # str, datetime or bool
    missing: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    items: list[Item]


def _item(record: ProcessingRecord, name: str, missing: set[str]) -> Item:
    model_field = record._meta.get_field(name)
    label = str(model_field.verbose_name)  # type: ignore[union-attr]
    if name == "legal_basis":
        value: Any = record.get_legal_basis_display()
    else:
        value = getattr(record, name)
    return Item(label, value, label in missing)


def sections(record: ProcessingRecord) -> list[Section]:
    """The record's items, grouped and ordered as in the CNIL model register sheet."""
    missing = {str(m) for m in record.missing_items}

    def items(*names: str) -> list[Item]:
        return [_item(record, name, missing) for name in names]

    datasets = ", ".join(d.title for d in record.datasets.all())
    return [
        Section(
            _("Description of the processing"),
            items("name", "reference", "created_at", "updated_at"),
        ),
        Section(
            _("Actors"),
            items(
                "controller_name",
                "controller_address",
                "controller_contact",
                "dpo_name",
                "dpo_contact",
            ),
        ),
        Section(_("Purposes"), items("purposes", "legal_basis", "legal_basis_detail")),
        Section(_("Security measures"), items("security_measures")),
        Section(
            _("Personal data"),
            items("data_categories", "sensitive_data", "sensitive_data_detail", "retention"),
        ),
        Section(_("Data subjects"), items("data_subjects")),
        Section(_("Recipients"), items("recipients")),
        Section(
            _("Transfers outside the European Union"),
            items("transfers_outside_eu", "transfer_safeguards"),
        ),
        Section(
            _("In Pilotis"),
            [
                Item(_("Datasets"), datasets),
                Item(
                    _("Items still to fill in"),
                    ", ".join(str(m) for m in record.missing_items) or _("None: complete"),
                ),
            ],
        ),
    ]


# ---------------------------------------------------------------------------------------------
# XLSX

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _cell(value: Any) -> Any:
    """A value as a spreadsheet cell: local naive datetimes, Yes/No, inert text."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None:
        return ""
    return neutralise_cell(str(value))


def sheet_title(index: int, name: str) -> str:
    """A valid, unique Excel sheet name: numbered, at most 31 characters, no []:*?/\\."""
    clean = _FORBIDDEN.sub(" ", name).strip().strip("'") or _("Processing")
    return f"{index:02d} {clean}"[:31].strip()


def _write_row(sheet: Worksheet, row: int, values: list[Any], bold: bool = False) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=_cell(value))
        cell.alignment = _WRAP
        if bold:
            cell.font = _BOLD
        if isinstance(cell.value, datetime):
            cell.number_format = "DD/MM/YYYY HH:MM"


def workbook(tenant: Tenant, records: QuerySet[ProcessingRecord]) -> bytes:
    """The whole register as an XLSX file: a summary sheet, then one sheet per processing."""
    book = Workbook()
    book.properties.title = _("RGPD register of processing activities — %(name)s") % {
        "name": tenant.name
    }
    book.properties.creator = "Pilotis"
    summary = book.active
    assert summary is not None  # noqa: S101 - a new workbook has one sheet
    summary.title = _("Summary")[:31]
    _write_row(summary, 1, [book.properties.title], bold=True)
    _write_row(summary, 2, [_("Exported on"), timezone.now()])
    headers = [
        _("Sheet"),
        _("Reference"),
        _("Name of the processing"),
        _("Purposes"),
        _("Legal basis"),
        _("Complete"),
        _("Items still to fill in"),
        _("Updated"),
    ]
    _write_row(summary, 4, headers, bold=True)
    summary.freeze_panes = "A5"
    for column, width in zip("ABCDEFGH", (28, 14, 40, 60, 40, 10, 50, 18), strict=True):
        summary.column_dimensions[column].width = width
    for index, record in enumerate(records.prefetch_related("datasets"), start=1):
        title = sheet_title(index, record.name)
        _write_row(
            summary,
            4 + index,
            [
                title,
                record.reference,
                record.name,
                record.purposes,
                record.get_legal_basis_display(),
                record.is_complete,
                ", ".join(str(m) for m in record.missing_items),
                record.updated_at,
            ],
        )
        _record_sheet(book.create_sheet(title), tenant, record)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _record_sheet(sheet: Worksheet, tenant: Tenant, record: ProcessingRecord) -> None:
    sheet.column_dimensions["A"].width = 45
    sheet.column_dimensions["B"].width = 100
    _write_row(sheet, 1, [_("Record of processing"), tenant.name], bold=True)
    row = 3
    for section in sections(record):
        _write_row(sheet, row, [section.title], bold=True)
        row += 1
        for item in section.items:
            _write_row(sheet, row, [item.label, item.value])
            row += 1
        row += 1
