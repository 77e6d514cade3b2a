"""The HR page and the downloads of its charts' data. Thin: `page` computes; the data of a
scope is read once per table version and kept in the cache."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pilotis.hr import data as hr_data
from pilotis.hr import indicators, page
from pilotis.hr.forms import FiltersForm
from pilotis.metrics.charts import Chart
from pilotis.metrics.downloads import chart_contexts, chart_download
from pilotis.tenants.access import TenantAccess, data_scope, tenant_view
from pilotis.tenants.roles import Perm

CHARTS = (
    "pyramide",
    "etp-services",
    "volume",
    "absences",
    "absences-services",
    "mouvements",
    "formation",
)


def _figures(access: TenantAccess, request: HttpRequest) -> tuple[FiltersForm, page.Page | None]:
    data = hr_data.cached(data_scope(access.tenant))
    services = sorted(
        {(code, data.service_name(code)) for code in data.positions["service"].dropna().unique()},
        key=lambda kv: kv[1],
    )
    form = FiltersForm(request.GET or None, services=services)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    default = indicators.default_period(data)
    period = default
    if default is not None and ("start" in filters or "end" in filters):
        start, end = filters.get("start") or default[0], filters.get("end") or default[1]
        period = (start, end) if start <= end else default
    return form, page.build(data, period, filters.get("service", ""))


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form, built = _figures(access, request)
    return render(
        request,
        "hr/index.html",
        {
            "access": access,
            "tenant_name": access.tenant.name,
            "form": form,
            "page": built,
            "charts": [] if built is None else chart_contexts(built.charts),
            "query_string": urlencode({k: v for k, v in request.GET.items() if v}),
            "can_manage_data": access.can(Perm.MANAGE_DATA),
            "export_csv": "hr:export-csv",
            "export_xlsx": "hr:export-xlsx",
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export(request: HttpRequest, access: TenantAccess, chart: str, fmt: str) -> HttpResponse:
    """A chart's table; an empty table while no HR data is loaded, 404 for an unknown chart."""
    _form, built = _figures(access, request)
    if built is None:
        found = Chart(chart, chart, "", [], []) if chart in CHARTS else None
    else:
        found = next((c for c in built.charts if c.slug == chart), None)
    return chart_download(found, f"rh-{access.tenant.code}-{chart}", fmt)
