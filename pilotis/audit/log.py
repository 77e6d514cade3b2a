"""Record audit events from anywhere (views, commands, the worker) with plain values."""

from typing import Any

from django.http import HttpRequest

from pilotis.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: Any = None,
    username: str = "",
    tenant: Any = None,
    target: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it.

    ``action`` is one of ``AuditEvent.Action`` or a short dotted name (``load.file``); a name
    longer than the column would fit SQLite and then break on PostgreSQL, so it is refused on
    every engine: name a longer operation in ``details`` under ``DATA_OPERATION`` instead.
    """
    limit = AuditEvent._meta.get_field("action").max_length or 0
    if not action or len(action) > limit:
        raise ValueError(f"audit action {action!r} must be 1 to {limit} characters")
    if actor is not None and getattr(actor, "is_authenticated", False):
        username = username or actor.get_username()
    else:
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        username=username[:254],
        tenant=tenant,
        target=target[:254],
        details=details or {},
        ip_address=client_ip(request),
    )
