import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from pilotis.connectors import pipeline
from pilotis.connectors.models import LoadRun
from pilotis.connectors.reasons import quarantine_csv
from pilotis.errors import PilotisError


class Command(BaseCommand):
    help = (
        "Loads of the warehouse. pilotis loads list --tenant 35288; "
        "pilotis loads quarantine LOAD_ID [--output rejets.csv]; pilotis loads rollback LOAD_ID; "
        "pilotis loads replay LOAD_ID"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "quarantine", "rollback", "replay"])
        parser.add_argument(
            "load_id", nargs="?", help="the load's id (for quarantine, rollback, replay)"
        )
        parser.add_argument("--tenant", help="official code of the tenant (for list)")
        parser.add_argument("--output", help="quarantine: write the CSV to this file")
        parser.add_argument("--limit", type=int, default=30, help="list: how many loads")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("fr")
        action = options["action"]
        if action == "list":
            self._list(options)
            return
        run = LoadRun.objects.filter(pk=options["load_id"]).first() if options["load_id"] else None
        if run is None:
            raise CommandError(
                f"Chargement inconnu : {options['load_id']}\nUnknown load: {options['load_id']}"
            )
        try:
            if action == "quarantine":
                self._quarantine(run, options["output"])
            elif action == "rollback":
                undo = pipeline.rollback(run)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Chargement {run.load_id} annulé : {undo.rows_deleted} lignes retirées, "
                        f"{undo.rows_updated} remises à leur valeur précédente "
                        f"(version {undo.version})."
                    )
                )
            else:
                again = pipeline.replay(run)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{again.rows_read} lignes rejouées : {again.rows_loaded} chargées, "
                        f"{again.rows_quarantined} encore en quarantaine "
                        f"(chargement {again.load_id})."
                    )
                )
        except PilotisError as error:
            raise CommandError(error.bilingual()) from error

    def _list(self, options: dict[str, Any]) -> None:
        runs = LoadRun.objects.select_related("tenant").order_by("-started_at")
        if options["tenant"]:
            runs = runs.filter(tenant__code=options["tenant"])
        for run in runs[: options["limit"]]:
            version = "-" if run.version is None else run.version
            self.stdout.write(
                f"{run.load_id}  {run.started_at:%d/%m/%Y %H:%M}  {run.tenant.code:>9}  "
                f"{run.table:<12} {run.source_name:<24} {run.get_status_display():<12} "
                f"lues {run.rows_read:>9}  chargées {run.rows_loaded:>9}  "
                f"quarantaine {run.rows_quarantined:>7}  version {version}"
            )

    def _quarantine(self, run: LoadRun, output: str | None) -> None:
        rows = pipeline.quarantine_rows(run)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.writelines(quarantine_csv(run, rows))
            self.stdout.write(f"{len(rows)} lignes en quarantaine écrites dans {output}")
        else:
            sys.stdout.writelines(quarantine_csv(run, rows))
