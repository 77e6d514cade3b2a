from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pilotis.referential.exceptions import ReferentialError
from pilotis.referential.snapshot import DEFAULT_VERSION, SHIPPED_SNAPSHOT, SOURCE_PACKAGE
from pilotis.referential.update import summarise, update_referential


class Command(BaseCommand):
    help = (
        f"Rebuild the official referential from the npm package {SOURCE_PACKAGE}, rewrite the "
        "snapshot and reload the tables, printing what changed. Example: "
        "pilotis referential update --package-version 6.0.0 --dry-run"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--package-version",
            dest="package_version",
            default=DEFAULT_VERSION,
            help=f"Version of {SOURCE_PACKAGE} fetched with npm pack (default {DEFAULT_VERSION}).",
        )
        parser.add_argument(
            "--from",
            dest="source",
            type=Path,
            help="The package's .tgz or unpacked folder, instead of fetching it with npm.",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=SHIPPED_SNAPSHOT,
            help="Snapshot file to write (default: the one shipped with Pilotis).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only print what would change.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = update_referential(
                source=options["source"],
                version=options["package_version"],
                output=options["output"],
                dry_run=options["dry_run"],
            )
        except ReferentialError as error:
            raise CommandError(str(error)) from error
        for line in summarise(result.changes):
            self.stdout.write(line)
        source = result.snapshot.source
        if result.written_to is None:
            self.stdout.write(
                f"Simulation : rien n'a été modifié. / Dry run: nothing changed "
                f"({source['package']} {source['version']})."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Référentiel mis à jour depuis / referential updated from {source['package']} "
                    f"{source['version']} → {result.written_to}"
                )
            )
