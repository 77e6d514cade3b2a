"""Login throttling: after N failures for one account within a window, refuse further tries.

Counted from the audit log, so every web worker sees the same count with no extra service.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from pilotis.audit.models import AuditEvent


def recent_failures(username: str) -> int:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED, username__iexact=username, at__gte=since
    ).count()


def is_blocked(username: str) -> bool:
    return bool(username) and recent_failures(username) >= settings.LOGIN_MAX_FAILURES
