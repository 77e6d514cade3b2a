"""The home dashboard, its targets and the monthly report. Thin: `board` and `report` compute."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.audit.log import record
from pilotis.home import board as home_board
from pilotis.home import report
from pilotis.home.forms import TargetsForm
from pilotis.home.models import ReportDelivery, ReportSubscription, Target
from pilotis.metrics.charts import Chart
from pilotis.metrics.downloads import chart_contexts, chart_download
from pilotis.pdf import pdf_response
from pilotis.tenants.access import TenantAccess, tenant_view
from pilotis.tenants.roles import Perm


def _members_chart(built: home_board.Board, slug: str | None) -> tuple[Chart, str]:
    """The members on the chosen indicator (the first one by default); an empty chart for a
    tenant without members."""
    if not built.columns:
        return Chart("membres", "", "", [], [], empty=True), ""
    column = next((c for c in built.columns if c.metric == slug), built.columns[0])
    return report.members_chart(built, column), column.metric


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    built = home_board.build(access.tenant)
    chart, chosen = _members_chart(built, request.GET.get("indicateur"))
    return render(
        request,
        "home/index.html",
        {
            "access": access,
            "board": built,
            "charts": [] if chart.empty else chart_contexts([chart]),
            "chosen": chosen,
            "query_string": f"indicateur={chosen}" if chosen else "",
            "export_csv": "home:export-csv",
            "export_xlsx": "home:export-xlsx",
            "can_edit": access.can(Perm.EDIT_DASHBOARDS),
            "month": report.report_month(built),
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export(request: HttpRequest, access: TenantAccess, chart: str, fmt: str) -> HttpResponse:
    built = home_board.build(access.tenant)
    found, _chosen = _members_chart(built, request.GET.get("indicateur"))
    if chart != "membres":
        raise Http404
    return chart_download(found, f"membres-{access.tenant.code}", fmt)


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def targets(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    current = dict(Target.objects.filter(tenant=access.tenant).values_list("metric", "value"))
    form = TargetsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for slug, value in form.targets().items():
            if value is None:
                Target.objects.filter(tenant=access.tenant, metric=slug).delete()
            else:
                Target.objects.update_or_create(
                    tenant=access.tenant,
                    metric=slug,
                    defaults={"value": value, "updated_by": request.user},
                )
        record(
            "tenant_updated",
            actor=request.user,
            tenant=access.tenant,
            target="home:targets",
            details={
                "operation": "home.targets",
                "targets": {k: v for k, v in form.targets().items() if v is not None},
            },
        )
        messages.success(request, _("The targets are saved."))
        return redirect("home:index", access.tenant.code)
    return render(request, "home/targets.html", {"access": access, "form": form})


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def report_page(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    subscribed = ReportSubscription.objects.filter(
        tenant=access.tenant,
        user=request.user,  # type: ignore[misc]
    ).exists()
    return render(
        request,
        "home/report.html",
        {
            "access": access,
            "subscribed": subscribed,
            "deliveries": ReportDelivery.objects.filter(tenant=access.tenant)[:24],
            "subscribers": ReportSubscription.objects.filter(tenant=access.tenant).count(),
        },
    )


@require_POST
@tenant_view(Perm.VIEW_DASHBOARDS)
def subscribe(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    if request.POST.get("action") == "unsubscribe":
        ReportSubscription.objects.filter(tenant=access.tenant, user=request.user).delete()  # type: ignore[misc]
        messages.success(request, _("You will no longer receive the monthly report."))
    elif not request.user.email:  # type: ignore[union-attr]
        messages.error(
            request, _("Your account has no e-mail address: the report cannot be sent to you.")
        )
    else:
        ReportSubscription.objects.get_or_create(tenant=access.tenant, user=request.user)  # type: ignore[misc]
        messages.success(
            request,
            _("You will receive the steering report by e-mail at the start of every month."),
        )
    return redirect("home:report", access.tenant.code)


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def report_pdf(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    return pdf_response(report.pdf(access.tenant), f"rapport-{access.tenant.code}")


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def report_xlsx(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    from datetime import datetime

    response = HttpResponse(
        report.xlsx(access.tenant),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"rapport-{access.tenant.code}-{datetime.now():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
