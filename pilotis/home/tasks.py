"""The worker's part (`pilotis worker`): the monthly steering report, e-mailed on the 2nd of
each month at 7:00 (after the night's loads), once per tenant and month."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from pilotis.home import report
from pilotis.home.models import ReportSubscription
from pilotis.tenants.models import Tenant

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
