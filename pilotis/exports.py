"""Helpers shared by every spreadsheet and CSV export of Pilotis."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (or as the start of one):
# a value such as `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` coming from a source would run
# when a clerk opens the export (CSV / formula injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """`value`, made inert for a spreadsheet: a text starting like a formula gets a leading
    apostrophe, which Excel and LibreOffice show as plain text. Numbers, dates and other
    non-text values are returned unchanged (a negative number stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def french_number(value: float, digits: int = 2) -> str:
    """A number as French spreadsheets read it: decimal comma, no thousands separator."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",")


def table_csv(columns: list[str], rows: list[list[object]]) -> bytes:
    """A table as the CSV French Excel opens by a double click: UTF-8 with a byte-order mark,
    `;` between fields, decimal commas, formulas neutralised."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise_cell(c) for c in columns])
    for row in rows:
        writer.writerow(
            [
                french_number(v)
                if isinstance(v, float)
                else ""
                if v is None
                else neutralise_cell(str(v) if not isinstance(v, str) else v)
                for v in row
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(title: str, columns: list[str], rows: list[list[object]]) -> bytes:
    """A table as an XLSX workbook of one sheet (bold header, numbers kept as numbers)."""
    return workbook_xlsx([(title, columns, rows)])


Sheet = tuple[str, list[str], list[list[object]]]  # (title, header, rows)


def workbook_xlsx(sheets: list[Sheet]) -> bytes:
    """Tables as an XLSX workbook, one sheet each (bold header, frozen first row, numbers and
    dates kept as such, so that French Excel shows them with its own formats)."""
    import io
    import re

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    assert first is not None  # noqa: S101 - a new workbook has one sheet
    book.remove(first)
    used: set[str] = set()
    for title, columns, rows in sheets:
        name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Données"
        base, n = name, 2
        while name.lower() in used:  # sheet names are unique, case aside
            name = f"{base[:28]} {n}"
            n += 1
        used.add(name.lower())
        sheet = book.create_sheet(name)
        sheet.append([neutralise_cell(c) for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([neutralise_cell(v) for v in row])
        for index, column in enumerate(columns, start=1):
            width = max([len(str(column))] + [len(str(r[index - 1])) for r in rows[:200]]) + 2
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width, 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
