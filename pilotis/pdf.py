"""PDF documents of Pilotis: an HTML template rendered to A4 by WeasyPrint, in the tenant's
colour, with charts drawn on the server by vl-convert (the same Vega-Lite specs the pages
draw in the browser, French number and date formats)."""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from pilotis.tenants.models import Tenant

# WeasyPrint tells each step of every document at INFO: noise in the server's and the worker's logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_CHART_WIDTH = 620  # points: an A4 page's text width at the margins of pdf_base.html


def chart_svg(spec: dict[str, Any], width: int = PDF_CHART_WIDTH) -> SafeString:
    """`spec` drawn as SVG. A responsive width ("container") has no container here: it gets
    `width` instead."""
    import vl_convert

    spec = copy.deepcopy(spec)
    if spec.get("width") == "container":
        spec["width"] = width
    for layer in spec.get("layer", []) + spec.get("vconcat", []) + spec.get("hconcat", []):
        if isinstance(layer, dict) and layer.get("width") == "container":
            layer["width"] = width
    svg = vl_convert.vegalite_to_svg(spec, format_locale="fr-FR", time_format_locale="fr-FR")
    return mark_safe(svg)  # noqa: S308 - vl-convert's own SVG, data escaped by Vega


def render_pdf(template: str, context: dict[str, Any], tenant: Tenant) -> bytes:
    """`template` (extending `pilotis/pdf_base.html`) as a PDF."""
    import weasyprint

    context = {"tenant": tenant, "printed_at": datetime.now(), **context}
    html = render_to_string(template, context)
    return weasyprint.HTML(string=html).write_pdf()


def pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"{name}-{datetime.now().strftime('%Y-%m-%d')}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
