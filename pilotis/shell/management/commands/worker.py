from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run the background worker (Huey: SQLite queue, or Redis with PILOTIS_REDIS_URL). "
        "Example: pilotis worker -w 2"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-w", "--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("run_huey", workers=options["workers"])
