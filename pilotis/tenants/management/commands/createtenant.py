from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pilotis.errors import PilotisError
from pilotis.tenants.services import create_tenant


class Command(BaseCommand):
    help = (
        "Create a tenant from the official referential: INSEE code of a commune, SIREN of an "
        "EPCI (with its member communes), code of a department or region. "
        "Example: pilotis createtenant 243500782"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="INSEE code, SIREN, department or region code")
        parser.add_argument(
            "--without-members",
            action="store_true",
            help="for an EPCI: do not create its member communes as child tenants",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = create_tenant(options["code"], with_members=not options["without_members"])
        except PilotisError as error:
            raise CommandError(error.bilingual()) from error
        members = tenant.members.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"{tenant.name} ({tenant.get_kind_display()}, {tenant.code})"
                + (f" — {members} membres" if members else "")
            )
        )
