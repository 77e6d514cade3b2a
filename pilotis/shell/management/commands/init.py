from typing import Any

from django.core.management.base import BaseCommand

from pilotis.shell.instance import init_instance


class Command(BaseCommand):
    help = (
        "Create or upgrade the instance: folders in ./var, database, referential. "
        "Example: pilotis init"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        init_instance(self.stdout.write)
