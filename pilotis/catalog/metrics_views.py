"""The catalog's page of indicators: every registered metric with its definition, unit,
breakdowns, source tables and uses. Readable by whoever reads the dashboards (a definition is
not data); the source tables link to their entries for those who may read the catalog."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pilotis.catalog.indicators import indicators
from pilotis.dashboards.panels import unit_label
from pilotis.tenants.access import TenantAccess, tenant_view
from pilotis.tenants.roles import Perm


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def metrics(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    can_view_data = access.can(Perm.VIEW_DATA)
    domains = indicators(access, request.user, can_view_data)
    for _label, items in domains:
        for item in items:
            item.unit = unit_label(item.unit)
    return render(
        request,
        "catalog/metrics.html",
        {
            "access": access,
            "domains": domains,
            "can_view_data": can_view_data,
            "can_manage": access.can(Perm.MANAGE_DATA),
        },
    )
