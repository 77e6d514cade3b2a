"""`pilotis alerts check [--tenant CODE]`: check the alert rules now (what the worker does
after each load and every morning) and print what changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from pilotis.alerts import check
from pilotis.alerts.models import AlertRule
from pilotis.tenants.models import Tenant


class Command(BaseCommand):
    help = "Check the alert rules now, e.g. `pilotis alerts check --tenant 35288`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check"])
        parser.add_argument("--tenant", help="only this collectivité's rules (its code)")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = None
        if options["tenant"]:
            tenant = Tenant.objects.filter(code=options["tenant"]).first()
            if tenant is None:
                message = _("Unknown collectivité “%(code)s”.") % {"code": options["tenant"]}
                raise CommandError(message)
        events = check.check_all(tenant)
        for event in events:
            self.stdout.write(f"[{event.rule.tenant.code}] {event.message}")
        rules = AlertRule.objects.filter(active=True)
        if tenant is not None:
            rules = rules.filter(tenant=tenant)
        self.stdout.write(
            _("%(rules)s rule(s) checked, %(alert)s in alert, %(changes)s change(s) of state.")
            % {
                "rules": rules.count(),
                "alert": rules.filter(state=AlertRule.State.ALERT).count(),
                "changes": len(events),
            }
        )
