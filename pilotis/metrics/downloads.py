"""What every page of charts shares: the charts as template context (see
`metrics/_charts.html`) and the download of a chart's data as CSV or Excel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpResponse

from pilotis.exports import table_csv, table_xlsx
from pilotis.metrics.charts import Chart

SHOWN_ROWS = 40  # rows of a chart's table on the page; the downloads hold them all


def chart_contexts(charts: list[Chart], shown: int = SHOWN_ROWS) -> list[dict[str, Any]]:
    out = []
    for chart in charts:
        context = chart.as_context()
        context["spec_id"] = f"{chart.slug}-spec"
        context["shown_rows"] = chart.rows[:shown]
        context["hidden_rows"] = max(0, len(chart.rows) - shown)
        out.append(context)
    return out


def chart_download(found: Chart | None, name: str, fmt: str) -> HttpResponse:
    """The chart's table as `<name>-<date>.csv` (French Excel's CSV) or `.xlsx`; 404 without
    a chart."""
    if found is None:
        raise Http404
    name = f"{name}-{datetime.now().strftime('%Y-%m-%d')}"
    if fmt == "csv":
        response = HttpResponse(
            table_csv(found.columns, found.rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = HttpResponse(
        table_xlsx(found.title, found.columns, found.rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
