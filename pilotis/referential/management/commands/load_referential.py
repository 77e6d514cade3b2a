from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pilotis.referential.exceptions import ReferentialError
from pilotis.referential.load import load_snapshot


class Command(BaseCommand):
    help = (
        "Load the official referential (communes, EPCI, departments, regions) shipped with "
        "Pilotis into the database. Idempotent. Example: pilotis referential load"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="path",
            type=Path,
            help="A snapshot file (.json.gz) other than the one shipped with Pilotis.",
        )

    def handle(self, *args: Any, path: Path | None, **options: Any) -> None:
        try:
            counts = load_snapshot(path)
        except ReferentialError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] > 0:
            summary = ", ".join(f"{n} {name}" for name, n in counts.items())
            self.stdout.write(
                self.style.SUCCESS(f"Référentiel chargé / referential loaded: {summary}")
            )
