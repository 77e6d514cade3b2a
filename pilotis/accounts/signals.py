"""Logins, failures and logouts go to the audit log."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pilotis.audit.log import record
from pilotis.audit.models import AuditEvent


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    method = "oidc" if request is not None and request.session.get("oidc_id_token") else "password"
    record(AuditEvent.Action.LOGIN, actor=user, details={"method": method}, request=request)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    record(
        AuditEvent.Action.LOGIN_FAILED,
        username=str(credentials.get("username", "")),
        request=request,
    )


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(AuditEvent.Action.LOGOUT, actor=user, request=request)
