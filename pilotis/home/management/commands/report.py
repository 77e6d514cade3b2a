"""`pilotis report --tenant CODE [--pdf FILE] [--xlsx FILE] [--send [--force]]`: write the
monthly steering report, or e-mail it to the tenant's subscribers now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from pilotis.home import report
from pilotis.tenants.models import Tenant


class Command(BaseCommand):
    help = "Write or send the monthly steering report of a tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant code")
        parser.add_argument("--pdf", type=Path, help="write the PDF here")
        parser.add_argument("--xlsx", type=Path, help="write the Excel workbook here")
        parser.add_argument("--send", action="store_true", help="e-mail it to the subscribers")
        parser.add_argument("--force", action="store_true", help="send even if already sent")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(code=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"Collectivité inconnue / unknown tenant: {options['tenant']}")
        if not (options["pdf"] or options["xlsx"] or options["send"]):
            raise CommandError("Indiquez --pdf, --xlsx ou --send / give --pdf, --xlsx or --send")
        with translation.override(settings.LANGUAGE_CODE):
            if options["pdf"]:
                options["pdf"].write_bytes(report.pdf(tenant))
                self.stdout.write(str(options["pdf"]))
            if options["xlsx"]:
                options["xlsx"].write_bytes(report.xlsx(tenant))
                self.stdout.write(str(options["xlsx"]))
        if options["send"]:
            delivery = report.send(tenant, force=options["force"])
            if delivery is None:
                self.stdout.write("déjà envoyé ce mois-ci / already sent this month")
            else:
                self.stdout.write(f"{delivery.status} {delivery.recipients}")
