"""Radar charts drawn on the server as SVG (Vega-Lite has no radar): one axis per criterion,
the same picture on the page and in the PDF, with the table beside it as its text."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from pilotis.metrics.charts import MUTED, PALETTE


def radar_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    maximum: float,
    title: str,
    size: int = 360,
) -> SafeString:
    """`series` — (name, one value per label, 0..maximum) — as polygons on a radar. The first
    series is filled; the others (peers, earlier assessments) are outlines, dashed."""
    n = len(labels)
    if n < 3:
        raise ValueError("a radar needs at least three axes")
    # Room for the labels on both sides: the drawing is wider than high.
    width, height = size + 220, size + 30 + 16 * max(0, len(series) - 1)
    cx, cy, radius = width / 2, size / 2 + 10, size / 2 - 45
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]

    def point(i: int, fraction: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + radius * fraction * math.cos(angle), cy + radius * fraction * math.sin(angle)

    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        out.append(f'<polygon points="{pts}" fill="none" stroke="#c8c8c8" stroke-width="1"/>')
    for i, label in enumerate(labels):
        x, y = point(i, 1.0)
        out.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            'stroke="#c8c8c8" stroke-width="1"/>'
        )
        lx, ly = point(i, 1.12)
        anchor = "middle" if abs(lx - cx) < 10 else ("start" if lx > cx else "end")
        lines = _wrap(label)
        top = ly + 4 - (len(lines) - 1) * 7 if abs(lx - cx) >= 10 else ly + 4
        if abs(lx - cx) < 10 and ly < cy:  # the top label grows upwards
            top = ly + 4 - (len(lines) - 1) * 14
        tspans = "".join(
            f'<tspan x="{lx:.1f}" y="{top + 14 * k:.1f}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        out.append(f'<text text-anchor="{anchor}" fill="#1e1e1e">{tspans}</text>')
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)] if k == 0 else [MUTED, PALETTE[1], PALETTE[2]][k % 3]
        pts = " ".join(
            f"{x:.1f},{y:.1f}"
            for x, y in (
                point(i, max(0.0, min(1.0, (v or 0) / maximum))) for i, v in enumerate(values)
            )
        )
        fill = f'fill="{colour}" fill-opacity="0.25"' if k == 0 else 'fill="none"'
        dash = "" if k == 0 else ' stroke-dasharray="5 3"'
        out.append(
            f'<polygon points="{pts}" {fill} stroke="{colour}" stroke-width="2"{dash}>'
            f"<title>{escape(name)}</title></polygon>"
        )
    if len(series) > 1:
        for k, (name, _values) in enumerate(series):
            colour = PALETTE[0] if k == 0 else [MUTED, PALETTE[1], PALETTE[2]][k % 3]
            y = height - 16 * (len(series) - k) + 8
            out.append(
                f'<rect x="8" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                f'<text x="24" y="{y}" fill="#1e1e1e">{escape(name)}</text>'
            )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _wrap(label: str, width: int = 16) -> list[str]:
    """A label on at most two lines, cut at the space nearest its middle when long."""
    if len(label) <= width or " " not in label:
        return [label]
    middle = len(label) / 2
    cut = min((i for i, c in enumerate(label) if c == " "), key=lambda i: abs(i - middle))
    return [label[:cut], label[cut + 1 :]]
