"""Alert rules of a tenant, their history, and the signed-in user's notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.alerts import check
from pilotis.alerts.forms import RuleForm, unit_name
from pilotis.alerts.models import AlertRule, Notification
from pilotis.alerts.wording import condition_text, label_of, threshold_text, unit_of
from pilotis.metrics import registry
from pilotis.metrics.display import display
from pilotis.tenants.access import TenantAccess, scope, tenant_view, tenants_for
from pilotis.tenants.roles import Perm


def _rule(access: TenantAccess, rule_id: int) -> AlertRule:
    rule = scope(AlertRule.objects.all(), access).filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def _described(rule: AlertRule) -> dict[str, Any]:
    metric = registry.METRICS.get(rule.metric)
    unit = unit_of(rule)
    return {
        "rule": rule,
        "label": label_of(rule),
        "condition": condition_text(rule) if metric is not None else "",
        "threshold": threshold_text(rule.threshold, unit),
        "last": display(rule.last_value, unit),
        "definition": str(metric.description) if metric is not None else "",
        "unit": unit_name(unit),
        "known": metric is not None,
        # "June", not "6" (the month the rule waits for).
        "month_name": str(MONTHS[rule.from_month]).lower() if rule.from_month else "",
    }


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    rules = [_described(r) for r in scope(AlertRule.objects.all(), access)]
    return render(
        request,
        "alerts/index.html",
        {"access": access, "rules": rules, "can_edit": access.can(Perm.EDIT_DASHBOARDS)},
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def detail(request: HttpRequest, access: TenantAccess, rule_id: int) -> HttpResponse:
    rule = _rule(access, rule_id)
    events = [
        {"event": e, "value": display(e.value, unit_of(rule))} for e in rule.events.all()[:100]
    ]
    return render(
        request,
        "alerts/detail.html",
        {
            "access": access,
            **_described(rule),
            "events": events,
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
    metrics = [
        {"metric": m, "unit": unit_name(m.unit), "filterable": ", ".join(m.filterable) or "—"}
        for m in registry.all_metrics()
    ]
    return render(
        request,
        "alerts/edit.html",
        {"access": access, "form": form, "rule": rule, "metrics": metrics},
        status=400 if request.method == "POST" else 200,
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
    if event is not None:
        messages.success(request, event.message)
    elif rule.state == AlertRule.State.NO_DATA:
        messages.warning(request, _("Checked: the collectivité has no data for this indicator."))
    else:
        messages.success(request, _("Checked: no change of state."))
    return redirect("alerts:detail", access.tenant.code, rule.pk)


def own_notifications(user: Any) -> QuerySet[Notification]:
    """The user's notifications from the collectivités whose dashboards they may still read:
    who left a collectivité no longer reads its alerts."""
    return Notification.objects.filter(
        user=user, tenant__in=tenants_for(user, Perm.VIEW_DASHBOARDS)
    ).select_related("tenant")


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    mine = own_notifications(request.user)
    if request.method == "POST":
        unread = mine.filter(read_at__isnull=True)
        one = request.POST.get("notification", "")
        if one:
            unread = unread.filter(pk=int(one) if one.isdigit() else 0)
        unread.update(read_at=timezone.now())
        return redirect("notifications")
    return render(request, "alerts/notifications.html", {"notifications": mine[:200]})


def unread(request: HttpRequest) -> dict[str, int]:
    """Context processor: the signed-in user's unread notifications, for the header badge."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": own_notifications(user).filter(read_at__isnull=True).count()}
