"""The portfolio pages: the register, a project, its value analysis, the prioritisation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pilotis.portfolio.models import Project
from pilotis.tenants.access import TenantAccess, tenant_view
from pilotis.tenants.roles import Perm


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    projects = Project.objects.filter(tenant=access.tenant)
    return render(request, "portfolio/index.html", {"access": access, "projects": projects})
