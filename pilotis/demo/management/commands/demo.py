from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pilotis.demo.territory import DEMO_PASSWORD, build_demo
from pilotis.errors import PilotisError


class Command(BaseCommand):
    help = (
        "Build (or refresh) the demo territory — CA du Pays de Saint-Malo Agglomération, its "
        "18 communes, demo users and data — in ./var. Idempotent. Example: pilotis demo"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            logins = build_demo(self.stdout.write)
        except PilotisError as error:
            raise CommandError(error.bilingual()) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Démo prête / demo ready. Comptes (mot de passe : {DEMO_PASSWORD}) :"
            )
        )
        for login in logins:
            self.stdout.write(f"  {login.email:<36} {login.description}")
