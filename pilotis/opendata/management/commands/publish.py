"""`pilotis publish --tenant CODE [--dataset SLUG] [--json]`: run the open-data publications of
a tenant now (all of them, or one)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.publish import publish
from pilotis.tenants.models import Tenant


class Command(BaseCommand):
    help = "Publish the open data of a tenant now (anonymise, validate, write the files)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="official code of the tenant")
        parser.add_argument("--dataset", help="address (slug) of one publication")
        parser.add_argument("--note", default="", help="a line for the changelog")
        parser.add_argument("--json", action="store_true", help="print one JSON object per run")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("fr")
        tenant = Tenant.objects.filter(code=options["tenant"]).first()
        if tenant is None:
            raise CommandError(
                f"Collectivité inconnue : {options['tenant']}\nUnknown tenant: {options['tenant']}"
            )
        pubs = Publication.objects.filter(tenant=tenant).order_by("slug")
        if options["dataset"]:
            pubs = pubs.filter(slug=options["dataset"])
            if not pubs.exists():
                raise CommandError(
                    f"Aucune publication « {options['dataset']} »\n"
                    f"No publication “{options['dataset']}”"
                )
        failed = 0
        for pub in pubs:
            version = publish(pub, note=options["note"])
            ok = version.status == PublicationVersion.Status.OK
            failed += 0 if ok else 1
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "dataset": pub.slug,
                            "version": version.number,
                            "status": version.status,
                            "rows": version.rows,
                            "error": version.error,
                        },
                        ensure_ascii=False,
                    )
                )
            elif ok:
                self.stdout.write(f"{pub.slug}: v{version.number}, {version.rows} lignes / rows")
            else:
                self.stderr.write(f"{pub.slug}: ÉCHEC / FAILED v{version.number}\n{version.error}")
        if failed:
            raise CommandError(
                f"{failed} publication(s) en échec, la version précédente reste en ligne\n"
                f"{failed} publication(s) failed; the previous version stays online"
            )
