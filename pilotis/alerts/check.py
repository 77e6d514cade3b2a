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
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from pilotis.alerts.models import AlertEvent, AlertRule, Comparison
from pilotis.alerts.wording import message_for
from pilotis.metrics import periods, registry
from pilotis.tenants.access import data_scope, readers_of
from pilotis.tenants.models import Tenant

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


def has_data(metric: registry.Metric, codes: tuple[str, ...]) -> bool:
    """Whether any of the tenants has loaded a table the metric reads (a metric that names
    none is assumed to have data)."""
    from pilotis.warehouse import storage

    if not metric.source_tables:
        return True
    return any(
        storage.current_version(code, table) is not None
        for code in codes
        for table in metric.source_tables
    )


def latest_for(slug: str, codes: tuple[str, ...], today: date) -> date | None:
    """The last day with data for the metric: its headline's, or that of a headline of its
    domain reading the same tables; else the end of the previous month when the tenants have
    loaded its tables at all. None: no data."""
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
    return periods.previous_month_end(today) if has_data(metric, codes) else None


def query_filters(rule: AlertRule) -> dict[str, tuple[str, ...]]:
    """The rule's filters and its one dimension value, as a registry query takes them."""
    filters = {dim: tuple(str(v) for v in values) for dim, values in (rule.filters or {}).items()}
    if rule.dimension and rule.value:
        filters[rule.dimension] = (rule.value,)
    return {dim: values for dim, values in filters.items() if values}


def read(rule: AlertRule, today: date) -> Reading | None:
    """The rule's figure now; None when the tenant has no data for it."""
    codes = data_scope(rule.tenant)
    anchor = periods.anchor(latest_for(rule.metric, codes, today), today)
    if anchor is None:
        return None
    start, end = periods.period(rule.period, anchor)
    due = rule.from_month is None or anchor.month >= rule.from_month
    query = registry.Query(
        codes,
        start,
        end,
        filters=query_filters(rule),
        # "now" is the end of the period: open requests are aged up to the anchor, so the
        # figure of a given month is the same whichever day it is checked.
        as_of=datetime.combine(end + timedelta(days=1), datetime.min.time(), PARIS),
    )
    value = registry.total(registry.evaluate_cached(rule.metric, query))
    return Reading(None if value is None else float(value), start, end, due)


def check(rule: AlertRule, today: date | None = None) -> AlertEvent | None:
    """Check one rule; returns the event recorded when its state changed (notified)."""
    from pilotis.alerts.notify import notify

    today = today or datetime.now(PARIS).date()
    with translation.override(settings.LANGUAGE_CODE):  # the history and e-mails: French
        try:
            reading = read(rule, today)
        except Exception:  # a broken metric must not stop the other rules
            log.exception("alerts: rule %s could not be read", rule.pk)
            return None
        event = _record(rule, reading)
        if event is not None:
            notify(rule, event)
    return event


def _record(rule: AlertRule, reading: Reading | None) -> AlertEvent | None:
    """Store the reading and the new state; the event when the state changed. The rule is
    locked meanwhile: a load and the morning run checking it together tell people once."""
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update().filter(pk=rule.pk).first()
        if locked is None:  # deleted while its figure was read
            return None
        fields = ["state", "last_value", "last_checked_at"]
        locked.last_checked_at = timezone.now()
        event = None
        if reading is None:
            locked.state = AlertRule.State.NO_DATA
        else:
            locked.last_value = reading.value
            if not reading.due:
                locked.state = AlertRule.State.WAITING
            elif reading.value is not None:
                event = _transition(locked, reading)
        locked.save(update_fields=fields)
    for name in fields:
        setattr(rule, name, getattr(locked, name))
    return event


def _transition(rule: AlertRule, reading: Reading) -> AlertEvent | None:
    assert reading.value is not None  # noqa: S101 - checked by the caller
    alert = OPERATORS[rule.comparison](reading.value, rule.threshold)
    was_alert = rule.state == AlertRule.State.ALERT
    rule.state = AlertRule.State.ALERT if alert else AlertRule.State.OK
    if alert == was_alert:
        return None
    return AlertEvent.objects.create(
        rule=rule,
        kind=AlertEvent.Kind.FIRED if alert else AlertEvent.Kind.RESOLVED,
        value=reading.value,
        threshold=rule.threshold,
        start=reading.start,
        end=reading.end,
        message=message_for(rule, reading.value, reading.start, reading.end, fired=alert),
    )


def check_all(tenant: Tenant | None = None, today: date | None = None) -> list[AlertEvent]:
    """Check every active rule (of one tenant); the events of the rules whose state changed."""
    rules = AlertRule.objects.filter(active=True).select_related("tenant")
    if tenant is not None:
        rules = rules.filter(tenant=tenant)
    return [e for e in (check(rule, today) for rule in rules) if e is not None]


def after_load(tenant: Tenant, table: str, today: date | None = None) -> list[AlertEvent]:
    """Check the rules whose figure reads `table` of `tenant`: the tenant's own, and its
    intercommunality's when it shares its data with it."""
    events = []
    for rule in AlertRule.objects.filter(active=True, tenant__in=readers_of(tenant)).select_related(
        "tenant"
    ):
        metric = registry.METRICS.get(rule.metric)
        if metric is None:
            log.warning("alerts: rule %s names an unknown indicator", rule.pk)
            continue
        if table in metric.source_tables:
            event = check(rule, today)
            if event is not None:
                events.append(event)
    return events
