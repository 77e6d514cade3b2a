"""The online-services page and the downloads of its charts' data. Thin: `page` computes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pilotis.metrics.charts import Chart
from pilotis.metrics.downloads import chart_contexts, chart_download
from pilotis.online import data as online_data
from pilotis.online import page
from pilotis.online.forms import FiltersForm
from pilotis.tenants.access import TenantAccess, data_scope, tenant_view
from pilotis.tenants.roles import Perm

CHARTS = ("part-en-ligne", "volume", "tendance", "guichet")


def _figures(access: TenantAccess, request: HttpRequest) -> tuple[FiltersForm, page.Page | None]:
    data = online_data.cached(data_scope(access.tenant))
    found = set(data.counts["procedure"].unique().tolist())
    procedures = [(c, page.procedure_label(c)) for c in online_data.PROCEDURES if c in found]
    form = FiltersForm(request.GET or None, procedures=procedures)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    default = online_data.default_period(data)
    period = default
    if default is not None and ("start" in filters or "end" in filters):
        start, end = filters.get("start") or default[0], filters.get("end") or default[1]
        period = (start, end) if start <= end else default
    return form, page.build(data, period, filters.get("procedure", ""))


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form, built = _figures(access, request)
    return render(
        request,
        "online/index.html",
        {
            "access": access,
            "tenant_name": access.tenant.name,
            "form": form,
            "page": built,
            "charts": [] if built is None else chart_contexts(built.charts),
            "query_string": urlencode({k: v for k, v in request.GET.items() if v}),
            "can_manage_data": access.can(Perm.MANAGE_DATA),
            "export_csv": "online:export-csv",
            "export_xlsx": "online:export-xlsx",
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export(request: HttpRequest, access: TenantAccess, chart: str, fmt: str) -> HttpResponse:
    """A chart's table; an empty table while nothing is loaded, 404 for an unknown chart."""
    _form, built = _figures(access, request)
    if built is None:
        found = Chart(chart, chart, "", [], []) if chart in CHARTS else None
    else:
        found = next((c for c in built.charts if c.slug == chart), None)
    return chart_download(found, f"demarches-{access.tenant.code}-{chart}", fmt)
