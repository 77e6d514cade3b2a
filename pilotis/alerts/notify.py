"""Telling the recipients of a rule that its state changed: a notification in the application
and an e-mail each, to those who may still read the collectivité's dashboards."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from pilotis.alerts.models import AlertEvent, AlertRule, Notification
from pilotis.alerts.wording import label_of, subject_for
from pilotis.tenants.access import permissions_in
from pilotis.tenants.roles import Perm

log = logging.getLogger(__name__)


def recipients(rule: AlertRule) -> list[Any]:
    """The chosen recipients who may still read the tenant's dashboards: someone who left the
    collectivité learns nothing more of its figures."""
    return [
        user
        for user in rule.recipients.filter(is_active=True).order_by("pk")
        if permissions_in(user, rule.tenant).can(Perm.VIEW_DASHBOARDS)
    ]


def email_body(rule: AlertRule, event: AlertEvent, link: str) -> str:
    lines = [
        event.message,
        "",
        _("Collectivité: %(tenant)s") % {"tenant": rule.tenant.name},
        _("Alert: %(name)s") % {"name": rule.name or label_of(rule)},
        _("Period: from %(start)s to %(end)s")
        % {"start": event.start.strftime("%d/%m/%Y"), "end": event.end.strftime("%d/%m/%Y")},
        "",
        _("The alert and its history: %(link)s") % {"link": link},
        "",
        _(
            "You receive this message because you are among the recipients of this alert in "
            "Pilotis. You will be told again when the state changes, not before."
        ),
    ]
    return "\n".join(lines) + "\n"


def notify(rule: AlertRule, event: AlertEvent) -> None:
    """Notify in the application and by e-mail, as the rule asks; the number of e-mails
    delivered is kept on the event (a mail server down is logged, never stops the checks)."""
    url = reverse("alerts:detail", args=[rule.tenant.code, rule.pk])
    users = recipients(rule)
    if rule.in_app:
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user, tenant=rule.tenant, event=event, message=event.message, url=url
                )
                for user in users
            ]
        )
    if not rule.by_email:
        return
    link = settings.PILOTIS_PUBLIC_URL.rstrip("/") + url
    subject = subject_for(rule, event.kind == AlertEvent.Kind.FIRED)
    body = email_body(rule, event, link)
    sent = 0
    for user in users:
        if not user.email:
            continue
        try:
            sent += send_mail(subject, body, None, [user.email])
        except Exception:  # the event is recorded; the next change of state tries again
            log.exception("alerts: e-mail to user %s failed", user.pk)
    event.emailed = sent
    event.save(update_fields=["emailed"])
