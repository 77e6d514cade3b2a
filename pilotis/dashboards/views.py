"""The pages of the dashboard builder. Thin: `pages` says who sees what and computes,
`panels` checks and evaluates, `documents` writes the exports."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.audit.log import record
from pilotis.dashboards import documents, pages, panels
from pilotis.dashboards.forms import DashboardForm, ImportForm, PanelForm, metric_help, unit_label
from pilotis.dashboards.models import Dashboard, Panel
from pilotis.dashboards.panels import PanelError
from pilotis.metrics import registry
from pilotis.metrics.downloads import chart_contexts
from pilotis.pdf import pdf_response
from pilotis.tenants.access import TenantAccess, data_scope, tenant_view
from pilotis.tenants.roles import Perm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _audit(request: HttpRequest, access: TenantAccess, dashboard: Dashboard, what: str) -> None:
    record(
        f"dashboard.{what}",
        actor=request.user,
        tenant=access.tenant,
        target=f"dashboards:{dashboard.pk}",
        details={"title": dashboard.title, "visibility": dashboard.visibility},
        request=request,
    )


def _file_name(dashboard: Dashboard) -> str:
    return f"tableau-{slugify(dashboard.title)[:40] or dashboard.pk}-{datetime.now():%Y-%m-%d}"


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    found = list(pages.visible(access, request.user).prefetch_related("panels"))
    mine = [d for d in found if d.owner_id == request.user.pk]
    shared = [d for d in found if d.owner_id != request.user.pk]
    return render(
        request,
        "dashboards/index.html",
        {
            "access": access,
            "mine": mine,
            "shared": shared,
            "can_edit": access.can(Perm.EDIT_DASHBOARDS),
        },
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def create(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form = DashboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dashboard = form.save(commit=False)
        dashboard.tenant, dashboard.owner = access.tenant, request.user
        dashboard.save()
        _audit(request, access, dashboard, "created")
        messages.success(request, _("The page is created: add its first panel."))
        return redirect("dashboards:panel-add", access.tenant.code, dashboard.pk)
    return render(
        request, "dashboards/form.html", {"access": access, "form": form, "dashboard": None}
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def detail(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id)
    built = pages.build(dashboard)
    charts = [s.chart for _p, s in built.panels if s.chart is not None]
    contexts = {c["slug"]: c for c in chart_contexts(charts)}
    return render(
        request,
        "dashboards/detail.html",
        {
            "access": access,
            "dashboard": dashboard,
            "items": [
                {"panel": p, "shown": s, "chart": contexts.get(s.slug)} for p, s in built.panels
            ],
            "can_edit": access.can(Perm.EDIT_DASHBOARDS),
            "today": built.today,
        },
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def edit(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id, edit=True)
    if dashboard.owner_id not in (None, request.user.pk):
        # Only the owner makes a page private again: it would vanish from the others' lists.
        form = DashboardForm(request.POST or None, instance=dashboard)
        form.fields["visibility"].disabled = True
    else:
        form = DashboardForm(request.POST or None, instance=dashboard)
    if request.method == "POST" and form.is_valid():
        was = Dashboard.objects.get(pk=dashboard.pk).visibility
        form.save()
        _audit(request, access, dashboard, "shared" if was != dashboard.visibility else "changed")
        messages.success(request, _("The page is saved."))
        return redirect("dashboards:edit", access.tenant.code, dashboard.pk)
    return render(
        request,
        "dashboards/form.html",
        {
            "access": access,
            "form": form,
            "dashboard": dashboard,
            "panels": [(p, registry.METRICS.get(p.metric)) for p in dashboard.panels.all()],
        },
    )


def _metric_of(slug: str | None, fallback: str = "") -> registry.Metric | None:
    for candidate in (slug, fallback):
        if candidate and candidate in registry.METRICS:
            return registry.METRICS[candidate]
    metrics = registry.all_metrics()
    return metrics[0] if metrics else None


def _panel_page(
    request: HttpRequest, access: TenantAccess, dashboard: Dashboard, panel: Panel | None
) -> HttpResponse:
    """Add or change a panel. Without JavaScript the form takes two steps: choosing an
    indicator (“Choose this indicator”) shows its breakdowns and the values of its filters."""
    asked = request.POST.get("metric") or request.GET.get("metric")
    metric = _metric_of(asked, panel.metric if panel else "")
    if metric is None:
        raise Http404
    codes, today = data_scope(access.tenant), date.today()
    initial: dict[str, Any] = pages.spec_of(panel).as_dict() if panel else {}
    if panel and metric.slug != panel.metric:
        initial = {"metric": metric.slug}
    initial.setdefault("metric", metric.slug)
    choosing = request.method == "POST" and request.POST.get("action") == "choose"
    data = request.POST if request.method == "POST" and not choosing else None
    form = PanelForm(data, initial=initial, metric=metric, codes=codes, today=today)
    if choosing:
        form.initial["metric"] = metric.slug
    if data is not None and form.is_valid():
        target = panel or Panel(dashboard=dashboard, position=dashboard.panels.count())
        pages.apply(target, form.spec()).save()
        dashboard.save(update_fields=["updated_at"])
        messages.success(request, _("The panel is saved."))
        return redirect("dashboards:edit", access.tenant.code, dashboard.pk)
    status = 400 if data is not None else 200
    return render(
        request,
        "dashboards/panel_form.html",
        {
            "access": access,
            "dashboard": dashboard,
            "panel": panel,
            "form": form,
            "metric": metric,
            "metric_help": metric_help(metric),
            "unit": unit_label(metric.unit),
            "dimensions": [panels.dimension_label(d) for d in metric.dimensions],
            "domain": panels.domain_label(metric.domain),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def panel_add(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id, edit=True)
    if dashboard.panels.count() >= pages.MAX_PANELS:
        messages.error(request, _("A page holds at most %(n)s panels.") % {"n": pages.MAX_PANELS})
        return redirect("dashboards:edit", access.tenant.code, dashboard.pk)
    return _panel_page(request, access, dashboard, None)


def _panel(access: TenantAccess, request: HttpRequest, dashboard_id: int, panel_id: int,
           edit: bool = True) -> tuple[Dashboard, Panel]:  # fmt: skip
    dashboard = pages.page_for(access, request.user, dashboard_id, edit=edit)
    return dashboard, get_object_or_404(Panel, dashboard=dashboard, pk=panel_id)


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def panel_edit(
    request: HttpRequest, access: TenantAccess, dashboard_id: int, panel_id: int
) -> HttpResponse:
    dashboard, panel = _panel(access, request, dashboard_id, panel_id)
    return _panel_page(request, access, dashboard, panel)


@require_POST
@tenant_view(Perm.EDIT_DASHBOARDS)
def panel_move(
    request: HttpRequest, access: TenantAccess, dashboard_id: int, panel_id: int
) -> HttpResponse:
    dashboard, panel = _panel(access, request, dashboard_id, panel_id)
    pages.move(dashboard, panel, -1 if request.POST.get("direction") == "up" else 1)
    return redirect("dashboards:edit", access.tenant.code, dashboard.pk)


@require_POST
@tenant_view(Perm.EDIT_DASHBOARDS)
def panel_remove(
    request: HttpRequest, access: TenantAccess, dashboard_id: int, panel_id: int
) -> HttpResponse:
    dashboard, panel = _panel(access, request, dashboard_id, panel_id)
    panel.delete()
    pages.renumber(dashboard)
    dashboard.save(update_fields=["updated_at"])
    messages.success(request, _("The panel is removed."))
    return redirect("dashboards:edit", access.tenant.code, dashboard.pk)


@require_POST
@tenant_view(Perm.EDIT_DASHBOARDS)
def duplicate(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id)
    copy = pages.duplicate(dashboard, request.user)
    _audit(request, access, copy, "created")
    messages.success(request, _("This is your private copy: change it at will."))
    return redirect("dashboards:edit", access.tenant.code, copy.pk)


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def delete(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id, edit=True)
    if request.method == "POST":
        _audit(request, access, dashboard, "deleted")
        dashboard.delete()
        messages.success(request, _("The page is deleted."))
        return redirect("dashboards:index", access.tenant.code)
    return render(request, "dashboards/delete.html", {"access": access, "dashboard": dashboard})


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def import_page(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                dashboard = pages.import_definition(
                    access, request.user, form.cleaned_data["definition"]
                )
            except PanelError as error:
                form.add_error("definition", str(error))
            else:
                _audit(request, access, dashboard, "imported")
                messages.success(request, _("The page is imported (private until you share it)."))
                return redirect("dashboards:detail", access.tenant.code, dashboard.pk)
    return render(
        request, "dashboards/import.html", {"access": access, "form": form}, status=status
    )


# --- exports ------------------------------------------------------------------------------------


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export_xlsx(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id)
    response = HttpResponse(documents.xlsx(pages.build(dashboard)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_file_name(dashboard)}.xlsx"'
    return response


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export_pdf(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id)
    response = pdf_response(documents.pdf(pages.build(dashboard)), "tableau")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(dashboard)}.pdf"'
    return response


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export_json(request: HttpRequest, access: TenantAccess, dashboard_id: int) -> HttpResponse:
    dashboard = pages.page_for(access, request.user, dashboard_id)
    body = json.dumps(pages.definition(dashboard), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(dashboard)}.json"'
    return response


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export_csv(
    request: HttpRequest, access: TenantAccess, dashboard_id: int, panel_id: int
) -> HttpResponse:
    dashboard, panel = _panel(access, request, dashboard_id, panel_id, edit=False)
    shown = panels.compute(pages.spec_of(panel), data_scope(access.tenant), date.today(), "p")
    response = HttpResponse(documents.csv(shown), content_type="text/csv; charset=utf-8")
    name = f"{_file_name(dashboard)}-{slugify(shown.title)[:40]}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
