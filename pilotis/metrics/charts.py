"""Charts as data: a Vega-Lite specification, a sentence saying what it shows, and the table it
draws — the same table is the chart's text alternative on the page (RGAA: every image of
information has an equivalent) and its CSV/XLSX export.

The page draws specs with vega-embed, whose menu exports PNG and SVG; French number and date
formats are set there (`pilotis/shell/static/shell/charts.js`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Colours with at least 3:1 contrast on white (WCAG 1.4.11, graphical objects), told apart by
# people with the common colour-vision deficiencies (Okabe–Ito, darkened).
PALETTE = ["#0b5394", "#b35900", "#1b7a4c", "#a61c5c", "#5b4a99", "#7a6400", "#007a8a", "#555555"]
MUTED = "#6b6b6b"
ACCENT = "#b3261e"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass
class Chart:
    slug: str
    title: str
    summary: str  # one sentence: what the chart shows, read by screen readers first
    columns: list[str]  # the table's header (French labels)
    rows: list[list[Any]]
    spec: dict[str, Any] = field(default_factory=dict)
    empty: bool = False

    def as_context(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "columns": self.columns,
            "rows": self.rows,
            "spec": self.spec,
            "empty": self.empty,
        }


def base(title: str, data: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The frame every spec shares: responsive width, readable fonts, no chart-junk."""
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": title,
        "width": "container",
        "height": 260,
        "data": {"values": data},
        "config": {
            "font": FONT,
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#1e1e1e"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "view": {"stroke": None},
            "range": {"category": PALETTE},
        },
    }
    spec.update(extra)
    return spec


def bar(
    title: str,
    data: list[dict[str, Any]],
    *,
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    horizontal: bool = True,
    color: str = PALETTE[0],
    value_format: str = ",d",
) -> dict[str, Any]:
    category: dict[str, Any] = {"field": y if horizontal else x, "type": "nominal", "sort": None}
    quantity: dict[str, Any] = {"field": x if horizontal else y, "type": "quantitative"}
    category["title"] = y_title if horizontal else x_title
    quantity["title"] = x_title if horizontal else y_title
    quantity["axis"] = {"format": value_format}
    encoding: dict[str, Any] = (
        {"y": category, "x": quantity} if horizontal else {"x": category, "y": quantity}
    )
    encoding["tooltip"] = [
        {"field": category["field"], "type": "nominal", "title": category["title"]},
        {**quantity, "format": value_format},
    ]
    height = max(120, 26 * len(data)) if horizontal else 260
    return base(title, data, height=height, mark={"type": "bar", "color": color}, encoding=encoding)
