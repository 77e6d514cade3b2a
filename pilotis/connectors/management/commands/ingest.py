import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping, MappingError
from pilotis.connectors.models import LoadRun, Source
from pilotis.connectors.progress import TerminalProgress
from pilotis.connectors.proposals import propose_for_file
from pilotis.errors import PilotisError
from pilotis.tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Load data into the warehouse. A configured source: "
        "pilotis ingest --tenant 35288 --source gru. A file, mapped automatically (or with "
        "--mapping FILE.yaml): pilotis ingest --tenant 35288 --table requests export.csv"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="a file to load ad hoc (with --table)")
        parser.add_argument("--tenant", required=True, help="official code of the tenant")
        parser.add_argument("--source", help="name of a configured source")
        parser.add_argument("--table", help="canonical table fed by FILE, e.g. requests")
        parser.add_argument("--mapping", help="YAML mapping file (default: proposed from FILE)")
        parser.add_argument(
            "--source-name", help="name recorded as the rows' source (default: the file name)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("fr")
        tenant = Tenant.objects.filter(code=options["tenant"]).first()
        if tenant is None:
            raise CommandError(
                f"Collectivité inconnue : {options['tenant']}\nUnknown tenant: {options['tenant']}"
            )
        progress = TerminalProgress(self.stderr._out)  # type: ignore[attr-defined,arg-type]
        try:
            run = self._run(tenant, options, progress)
        except PilotisError as error:
            progress.close()
            raise CommandError(error.bilingual()) from error
        progress.close()
        self._report(run, options["json"])

    def _run(self, tenant: Tenant, options: dict[str, Any], progress: TerminalProgress) -> LoadRun:
        if options["source"]:
            if options["file"] or options["table"]:
                raise CommandError(_("Give either --source, or --table and a file."))
            source = Source.objects.filter(tenant=tenant, name=options["source"]).first()
            if source is None:
                known = ", ".join(tenant.sources.values_list("name", flat=True)) or "—"
                raise CommandError(
                    f"Source inconnue : {options['source']} (sources : {known})\n"
                    f"Unknown source: {options['source']} (sources: {known})"
                )
            run = pipeline.start_run(
                tenant,
                Mapping.from_yaml(source.mapping),
                kind=source.kind,
                config={**Mapping.from_yaml(source.mapping).read, **source.config},
                source_name=source.name,
                source=source,
            )
        else:
            if not options["file"] or not options["table"]:
                raise CommandError(
                    "Donnez --source NOM, ou --table TABLE et un fichier.\n"
                    "Give --source NAME, or --table TABLE and a file."
                )
            path = Path(options["file"]).resolve()
            if options["mapping"]:
                mapping = Mapping.from_yaml(Path(options["mapping"]).read_text(encoding="utf-8"))
                if mapping.table != options["table"]:
                    raise MappingError(
                        "Le mapping alimente « %(m)s », pas « %(t)s ».\n"
                        "The mapping feeds “%(m)s”, not “%(t)s”.",
                        m=mapping.table,
                        t=options["table"],
                    )
            else:
                mapping = propose_for_file(tenant, options["table"], path).require_mapping()
            run = pipeline.start_run(
                tenant,
                mapping,
                kind="file",
                config={"path": str(path), **mapping.read},
                source_name=options["source_name"] or path.name,
            )
        try:
            pipeline.execute(run, progress=progress)
        except PilotisError:
            raise
        return run

    def _report(self, run: LoadRun, as_json: bool) -> None:
        outcome = {
            "read": run.rows_read,
            "loaded": run.rows_loaded,
            "quarantined": run.rows_quarantined,
            "version": run.version,
            "load_id": run.load_id,
        }
        if as_json:
            self.stdout.write(json.dumps(outcome))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.table} ← {run.source_name} : {run.rows_read:,} lignes lues, "
                f"{run.rows_loaded:,} chargées, {run.rows_quarantined:,} en quarantaine, "
                f"version {run.version if run.version is not None else 'inchangée'} "
                f"(chargement {run.load_id})".replace(",", "\u202f")
            )
        )
        if run.rows_quarantined:
            self.stdout.write(f"Voir les lignes rejetées : pilotis loads quarantine {run.load_id}")
