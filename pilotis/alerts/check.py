"""Checking alert rules: the rule's figure read through the registry (any metric), over its
period up to the anchor (the last complete month of the metric's data), compared with the
threshold. A change of state is recorded and notified — by e-mail and in the application — once:
"alert" when the condition becomes true, "back to normal" when it stops; nothing while it stays.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pilotis.alerts.models import AlertEvent, AlertRule, Comparison, Notification
from pilotis.metrics import periods, registry
from pilotis.metrics.display import display
from pilotis.tenants.access import data_scope, permissions_in
from pilotis.tenants.models import Tenant
from pilotis.tenants.roles import Perm

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    Comparison.GT: operator.gt,
    Comparison.GE: operator.ge,
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
}


@dataclass
class Reading:
    value: float | None
    start: date
    end: date
    due: bool  # False before the rule's month ("at the end of June" in March)


def latest_for(slug: str, codes: tuple[str, ...], today: date) -> date | None:
    """The last day with data for the metric: its headline's, or a headline of its domain
    reading the same tables; else the end of the previous month."""
    metric = registry.get(slug)
    headline = registry.HEADLINES.get(slug)
    if headline is None:
        headline = next(
            (
                h
                for h in registry.headlines()
                if registry.get(h.metric).domain == metric.domain
                and set(registry.get(h.metric).source_tables) == set(metric.source_tables)
            ),
            None,
        )
    if headline is not None:
        return headline.latest(codes)
    return periods.previous_month_end(today)


def read(rule: AlertRule, today: date) -> Reading | None:
    """The rule's figure now; None when the tenant has no data for it."""
    codes = data_scope(rule.tenant)
    anchor = periods.anchor(latest_for(rule.metric, codes, today), today)
    if anchor is None:
        return None
    start, end = periods.period(rule.period, anchor)
    due = rule.from_month is None or anchor.month >= rule.from_month
    filters: dict[str, tuple[str, ...]] = (
        {rule.dimension: (rule.value,)} if rule.dimension and rule.value else {}
    )
    query = registry.Query(
        codes,
        start,
        end,
        filters=filters,
        as_of=datetime.combine(end + timedelta(days=1), datetime.min.time(), PARIS),
    )
    value = registry.total(registry.evaluate_cached(rule.metric, query))
    return Reading(None if value is None else float(value), start, end, due)


def label_of(rule: AlertRule) -> str:
    metric = registry.get(rule.metric)
    label = str(metric.label)
    if rule.dimension and rule.value:
        label = f"{label} ({rule.dimension} = {rule.value})"
    return label


def message_for(rule: AlertRule, reading: Reading, fired: bool) -> str:
    metric = registry.get(rule.metric)
    values = {
        "label": label_of(rule),
        "value": display(reading.value, metric.unit),
        "threshold": display(rule.threshold, metric.unit),
        "comparison": rule.get_comparison_display(),
        "start": reading.start.strftime("%d/%m/%Y"),
        "end": reading.end.strftime("%d/%m/%Y"),
        "tenant": rule.tenant.name,
    }
    if fired:
        return (
            _(
                "%(tenant)s — %(label)s is %(value)s from %(start)s to %(end)s: "
                "%(comparison)s the alert threshold of %(threshold)s."
            )
            % values
        )
    return (
        _(
            "%(tenant)s — %(label)s is back to normal: %(value)s from %(start)s to %(end)s "
            "(alert threshold: %(comparison)s %(threshold)s)."
        )
        % values
    )


def _recipients(rule: AlertRule) -> list[Any]:
    """The chosen recipients who may still read the tenant's dashboards."""
    return [
        user
        for user in rule.recipients.filter(is_active=True)
        if permissions_in(user, rule.tenant).can(Perm.VIEW_DASHBOARDS)
    ]


def notify(rule: AlertRule, event: AlertEvent) -> None:
    url = reverse("alerts:detail", args=[rule.tenant.code, rule.pk])
    users = _recipients(rule)
    if rule.in_app:
        Notification.objects.bulk_create(
            [
                Notification(
                    user=u, tenant=rule.tenant, event=event, message=event.message, url=url
                )
                for u in users
            ]
        )
    if rule.by_email:
        link = settings.PILOTIS_PUBLIC_URL.rstrip("/") + url
        subject = (
            _("Pilotis alert: %(label)s")
            if event.kind == AlertEvent.Kind.FIRED
            else _("Pilotis: back to normal — %(label)s")
        ) % {"label": label_of(rule)}
        sent = 0
        for user in users:
            if not user.email:
                continue
            body = f"{event.message}\n\n{_('The alert and its history:')} {link}\n"
            try:
                sent += send_mail(subject, body, None, [user.email])
            except Exception:  # the event is recorded; a mail server down must not stop checks
                log.exception("alerts: e-mail to %s failed", user.email)
        event.emailed = sent
        event.save(update_fields=["emailed"])


def check(rule: AlertRule, today: date | None = None) -> AlertEvent | None:
    """Check one rule; returns the event recorded when its state changed."""
    today = today or datetime.now(PARIS).date()
    with translation.override(settings.LANGUAGE_CODE):
        try:
            reading = read(rule, today)
        except Exception:
            log.exception("alerts: rule %s could not be read", rule.pk)
            return None
        rule.last_checked_at = timezone.now()
        if reading is None or reading.value is None:
            rule.state = AlertRule.State.NO_DATA if reading is None else rule.state
            rule.save(update_fields=["state", "last_checked_at"])
            return None
        rule.last_value = reading.value
        if not reading.due:
            rule.save(update_fields=["last_value", "last_checked_at"])
            return None
        alert = OPERATORS[rule.comparison](reading.value, rule.threshold)
        event = None
        if alert and rule.state != AlertRule.State.ALERT:
            event = _event(rule, reading, AlertEvent.Kind.FIRED)
            rule.state = AlertRule.State.ALERT
        elif not alert and rule.state == AlertRule.State.ALERT:
            event = _event(rule, reading, AlertEvent.Kind.RESOLVED)
            rule.state = AlertRule.State.OK
        elif not alert:
            rule.state = AlertRule.State.OK
        rule.save(update_fields=["state", "last_value", "last_checked_at"])
        if event is not None:
            notify(rule, event)
        return event


def _event(rule: AlertRule, reading: Reading, kind: str) -> AlertEvent:
    return AlertEvent.objects.create(
        rule=rule,
        kind=kind,
        value=reading.value,
        threshold=rule.threshold,
        start=reading.start,
        end=reading.end,
        message=message_for(rule, reading, kind == AlertEvent.Kind.FIRED),
    )


def check_all(tenant: Tenant | None = None, today: date | None = None) -> list[AlertEvent]:
    rules = AlertRule.objects.filter(active=True).select_related("tenant")
    if tenant is not None:
        rules = rules.filter(tenant=tenant)
    return [e for e in (check(rule, today) for rule in rules) if e is not None]


def after_load(tenant: Tenant, table: str) -> list[AlertEvent]:
    """Check the rules whose figure reads `table` of `tenant`: the tenant's own, and its
    intercommunality's when it shares its data with it."""
    tenants = [tenant]
    if tenant.parent_id is not None and tenant.shares_with_parent:
        tenants.append(tenant.parent)  # type: ignore[arg-type]
    events = []
    for rule in AlertRule.objects.filter(active=True, tenant__in=tenants).select_related("tenant"):
        try:
            metric = registry.get(rule.metric)
        except registry.MetricError:
            continue
        if table in metric.source_tables:
            event = check(rule)
            if event is not None:
                events.append(event)
    return events
