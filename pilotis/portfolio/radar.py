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
    centre, radius = size / 2, size / 2 - 80
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]

    def point(i: int, fraction: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return centre + radius * fraction * math.cos(angle), centre + radius * fraction * math.sin(
            angle
        )

    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        out.append(f'<polygon points="{pts}" fill="none" stroke="#c8c8c8" stroke-width="1"/>')
    for i, label in enumerate(labels):
        x, y = point(i, 1.0)
        out.append(
            f'<line x1="{centre:.1f}" y1="{centre:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            'stroke="#c8c8c8" stroke-width="1"/>'
        )
        lx, ly = point(i, 1.18)
        anchor = "middle" if abs(lx - centre) < 10 else ("start" if lx > centre else "end")
        out.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" fill="#1e1e1e">'
            f"{escape(label)}</text>"
        )
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
            y = size - 14 * (len(series) - k)
            out.append(
                f'<rect x="8" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                f'<text x="24" y="{y}" fill="#1e1e1e">{escape(name)}</text>'
            )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
