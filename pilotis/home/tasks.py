"""The worker's part (`pilotis worker`, or the `pilotis serve` process of an embedded instance):
the monthly steering report, e-mailed on the 2nd of each month at 7:00 (after the night's
loads), once per tenant and month; and the home boards computed ahead — after each load that
changed data and every morning at 5:00 (figures are per day) — so that the first visit does not
wait for them (a cold intercommunality board reads every domain of every member)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pilotis.home import board, report
from pilotis.home.models import ReportSubscription
from pilotis.tenants.access import readers_of
from pilotis.tenants.models import Tenant, TenantKind

log = logging.getLogger(__name__)


def send_all() -> int:
    """Send the report of every tenant that has subscribers; returns how many were sent."""
    sent = 0
    ids = ReportSubscription.objects.values_list("tenant_id", flat=True).distinct()
    for tenant in Tenant.objects.filter(pk__in=ids):
        delivery = report.send(tenant)
        sent += delivery is not None and delivery.status == "sent"
    return sent


@db_periodic_task(crontab(day="2", hour="7", minute="0"))
def monthly_reports() -> int:
    return send_all()


def warm(tenants: list[Tenant]) -> dict[str, float]:
    """Compute (and cache) the boards of `tenants` for today in the instance's language;
    returns the seconds each took (nearly zero for a board already in the cache)."""
    took: dict[str, float] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for tenant in tenants:
            started = time.perf_counter()
            board.build(tenant)
            took[tenant.code] = time.perf_counter() - started
    return took


@db_task()
def warm_after_load(tenant_id: int) -> dict[str, float]:
    tenant = Tenant.objects.filter(pk=tenant_id).select_related("parent").first()
    return warm(readers_of(tenant)) if tenant is not None else {}  # the boards it changes


def schedule_after_load(tenant: Tenant) -> None:
    """Called by the pipeline once a load changed data: queue the boards it changes."""
    if settings.WARM_BOARDS:
        warm_after_load(tenant.pk)


def warm_all() -> dict[str, float]:
    """Every tenant's board; intercommunalities last, their boards reuse the member figures
    computed before them."""
    tenants = Tenant.objects.select_related("parent")
    return warm(sorted(tenants, key=lambda t: t.kind == TenantKind.EPCI))


@db_periodic_task(crontab(hour="5", minute="0"))
def warm_every_morning() -> dict[str, float]:
    return warm_all() if settings.WARM_BOARDS else {}
