"""`pilotis alerts check [--tenant CODE]`: check the alert rules now (what the worker does
after each load and every morning) and print what changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pilotis.alerts import check
from pilotis.alerts.models import AlertRule
from pilotis.tenants.models import Tenant


class Command(BaseCommand):
    help = "Check the alert rules now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check"])
        parser.add_argument("--tenant", help="only this tenant's rules")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = None
        if options["tenant"]:
            tenant = Tenant.objects.filter(code=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"Collectivité inconnue / unknown tenant: {options['tenant']}")
        events = check.check_all(tenant)
        for event in events:
            self.stdout.write(f"[{event.get_kind_display()}] {event.message}")
        rules = AlertRule.objects.filter(active=True, **({"tenant": tenant} if tenant else {}))
        in_alert = rules.filter(state=AlertRule.State.ALERT).count()
        self.stdout.write(
            f"{rules.count()} règle(s) vérifiée(s), {in_alert} en alerte, "
            f"{len(events)} changement(s) / rules checked, in alert, changes"
        )
