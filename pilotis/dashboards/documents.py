"""A dashboard page as documents: an Excel workbook (one sheet per panel, numbers kept as
numbers in French formats), a CSV per panel (French Excel's), and an A4 PDF with the charts
drawn on the server by vl-convert."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from pilotis.dashboards.pages import Built
from pilotis.dashboards.panels import Shown
from pilotis.exports import Sheet, table_csv, workbook_xlsx

# Excel number formats by unit; Excel shows them with the reader's separators (in French:
# `1 234,5`, `45,0 %`).
XLSX_FORMATS = {
    "ratio": "0.0%",
    "share": "0.0%",
    "count": "#,##0",
    "euros": "#,##0.00 €",
    "euros_per_inhabitant": "#,##0.00 €",
    "days": "#,##0.0",
    "fte": "#,##0.0",
    "percent": "#,##0.0",
    "minutes": "#,##0.0",
    "years": "#,##0.0",
}
DEFAULT_FORMAT = "#,##0.00"


def number_format(unit: str) -> str:
    return XLSX_FORMATS.get(unit, DEFAULT_FORMAT)


def _about(shown: Shown) -> list[list[Any]]:
    """The lines under a panel's table: what the figure is, over what, from where."""
    lines: list[list[Any]] = [[], [_("Definition"), shown.description]]
    lines.append([_("Period"), shown.period_label])
    for label, values in shown.filters:
        lines.append([_("Filter: %(dimension)s") % {"dimension": label}, values])
    lines.append([_("Source"), ", ".join(shown.sources)])
    if shown.error:
        lines.append([_("Error"), shown.error])
    return lines


def panel_table(shown: Shown) -> tuple[list[str], list[list[Any]]]:
    header = [shown.by_label or _("Scope"), f"{shown.label} ({shown.unit})"]
    rows = shown.table()
    if shown.chart_kind == "number":
        header.append(_("Same period a year before"))
        rows = [[rows[0][0], rows[0][1], shown.previous]]
    return header, rows


def xlsx(built: Built) -> bytes:
    """One sheet per panel: its table with the metric's number format, then its definition."""
    from openpyxl import load_workbook

    sheets: list[Sheet] = []
    for _panel, shown in built.panels:
        header, rows = panel_table(shown)
        about = [line + [None] * (len(header) - len(line)) for line in _about(shown)]
        sheets.append((shown.title, header, rows + about))
    if not sheets:
        sheets.append((built.dashboard.title, [_("No panel yet")], []))
    book = load_workbook(io.BytesIO(workbook_xlsx(sheets)))
    for sheet, (_panel, shown) in zip(book.worksheets, built.panels, strict=False):
        fmt = number_format(shown.unit)
        body = len(panel_table(shown)[1])
        for row in sheet.iter_rows(min_row=2, max_row=1 + body, min_col=2):
            for cell in row:
                cell.number_format = fmt
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(shown: Shown) -> bytes:
    header, rows = panel_table(shown)
    return table_csv(header, rows)


def pdf(built: Built) -> bytes:
    from pilotis.pdf import chart_svg, render_pdf

    items = []
    for panel, shown in built.panels:
        svg = None
        if shown.chart is not None and not shown.chart.empty:
            svg = chart_svg(shown.chart.spec)
        items.append({"panel": panel, "shown": shown, "svg": svg})
    return render_pdf(
        "dashboards/page_pdf.html",
        {"dashboard": built.dashboard, "items": items, "today": built.today},
        built.dashboard.tenant,
    )
