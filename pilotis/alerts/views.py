"""Alert rules of a tenant, their history, and the signed-in user's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.alerts import check
from pilotis.alerts.forms import RuleForm
from pilotis.alerts.models import AlertRule, Notification
from pilotis.metrics import registry
from pilotis.metrics.display import display
from pilotis.tenants.access import TenantAccess, tenant_view
from pilotis.tenants.roles import Perm


def _rule(access: TenantAccess, rule_id: int) -> AlertRule:
    rule = AlertRule.objects.filter(tenant=access.tenant, pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def _described(rule: AlertRule) -> dict[str, object]:
    metric = registry.METRICS.get(rule.metric)
    unit = metric.unit if metric is not None else ""
    return {
        "rule": rule,
        "label": check.label_of(rule) if metric is not None else rule.metric,
        "threshold": display(rule.threshold, unit),
        "last": display(rule.last_value, unit) if rule.last_value is not None else "—",
        "definition": str(metric.description) if metric is not None else "",
    }


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    rules = [_described(r) for r in AlertRule.objects.filter(tenant=access.tenant)]
    return render(
        request,
        "alerts/index.html",
        {"access": access, "rules": rules, "can_edit": access.can(Perm.EDIT_DASHBOARDS)},
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def detail(request: HttpRequest, access: TenantAccess, rule_id: int) -> HttpResponse:
    rule = _rule(access, rule_id)
    return render(
        request,
        "alerts/detail.html",
        {
            "access": access,
            **_described(rule),
            "events": rule.events.all()[:100],
            "can_edit": access.can(Perm.EDIT_DASHBOARDS),
        },
    )


def _edit(request: HttpRequest, access: TenantAccess, rule: AlertRule | None) -> HttpResponse:
    form = RuleForm(request.POST or None, instance=rule, tenant=access.tenant)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if rule is None:
            saved.created_by = request.user  # type: ignore[assignment]
        saved.save()
        form.save_m2m()
        check.check(saved)
        messages.success(request, _("The alert is saved and was checked."))
        return redirect("alerts:detail", access.tenant.code, saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "alerts/edit.html",
        {"access": access, "form": form, "rule": rule, "metrics": registry.all_metrics()},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def new(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    return _edit(request, access, None)


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def edit(request: HttpRequest, access: TenantAccess, rule_id: int) -> HttpResponse:
    return _edit(request, access, _rule(access, rule_id))


@require_POST
@tenant_view(Perm.EDIT_DASHBOARDS)
def delete(request: HttpRequest, access: TenantAccess, rule_id: int) -> HttpResponse:
    _rule(access, rule_id).delete()
    messages.success(request, _("The alert is deleted."))
    return redirect("alerts:index", access.tenant.code)


@require_POST
@tenant_view(Perm.EDIT_DASHBOARDS)
def check_now(request: HttpRequest, access: TenantAccess, rule_id: int) -> HttpResponse:
    rule = _rule(access, rule_id)
    event = check.check(rule)
    messages.success(
        request, event.message if event is not None else _("Checked: no change of state.")
    )
    return redirect("alerts:detail", access.tenant.code, rule.pk)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(user=request.user).select_related("tenant")  # type: ignore[misc]
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("notifications")
    return render(request, "alerts/notifications.html", {"notifications": mine[:200]})


def unread(request: HttpRequest) -> dict[str, int]:
    """Context processor: the signed-in user's unread notifications, for the header badge."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()
    }
