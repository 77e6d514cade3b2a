import time
from typing import Any

from django.conf import settings
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
        if settings.WARM_BOARDS:  # the first visit of the demo shows its boards at once
            from pilotis.home.tasks import warm_all

            self.stdout.write("  tableaux de bord : préparation…")
            started = time.perf_counter()
            took = warm_all()
            self.stdout.write(
                f"  tableaux de bord : {len(took)} préparés en "
                f"{time.perf_counter() - started:.0f} s".replace(".", ",")
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Démo prête / demo ready. Comptes (mot de passe : {DEMO_PASSWORD}) :"
            )
        )
        for login in logins:
            self.stdout.write(f"  {login.email:<36} {login.description}")
