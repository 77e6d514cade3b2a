"""Background housekeeping run by `pilotis worker` (Huey)."""

from django.contrib.sessions.models import Session
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


def clear_expired_sessions() -> int:
    """Delete expired login sessions; return how many went."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@db_periodic_task(crontab(hour="3", minute="17"))
def nightly_housekeeping() -> int:
    from pilotis.catalog.hooks import check_freshness

    check_freshness()  # records each table's freshness; stale ones show an alert in the catalog
    return clear_expired_sessions()
