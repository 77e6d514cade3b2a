"""The online forms' requests (web form and e-mails to the mairie), as the forms platform exports
them: one JSON file per commune, an array of objects with nested fields (`fields.categorie`,
`workflow.status.name`…), ISO 8601 instants with their offset, the history as an array — the
shape of the French forms platforms' APIs (Publik and the like). The `file` source kind reads
it, nested objects becoming "parent.child" columns; the source is named `formulaires-web`.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.demo.generators.requests_common import (
    CATEGORY,
    WEB,
    Dataset,
    Request,
    commune_specs,
    generate,
    iso,
    load_commune_files,
    summary,
)

NAME = "formulaires-web"
MAPPING_FILE = Path(__file__).resolve().parent.parent / "mappings" / "formulaires_web.yaml"
FORMS = {
    "web": (12, "signaler-un-probleme", "Signaler un problème"),
    "email": (7, "courriel-mairie", "Courriel reçu en mairie"),
}
STATUSES = {
    "new": ("1", "Nouveau"),
    "in_progress": ("2", "Pris en charge"),
    "waiting": ("3", "En attente d'intervention"),
    "closed": ("4", "Traité"),
    "dismissed": ("5", "Sans suite"),
    "duplicate": ("6", "Doublon"),
}


def _record(request: Request, form_number: int, rng: random.Random) -> dict[str, Any]:
    form_id, slug, _title = FORMS[request.channel]
    stage = request.stage
    if stage == "closed" and rng.random() < 0.04:
        stage = "dismissed"
    status_id, status_name = STATUSES[stage]
    located = request.topic.located
    return {
        "id": form_number,
        "display_id": request.ident,
        "form": {"id": form_id, "slug": slug},
        "receipt_time": iso(request.requested),
        "last_update_time": iso(request.updated),
        "submission": {"channel": request.channel, "backoffice": request.channel == "email"},
        "user": {"name": request.requester_name, "email": request.requester_email},
        "fields": {
            "categorie": CATEGORY[request.category].label,
            "motif": request.topic.motif,
            "message": request.description,
            "adresse": f"{request.number} {request.street}" if located else None,
            "code_postal": request.commune.postal_code,
            "commune": request.commune.name,
            "telephone": request.requester_phone,
            "localisation": {"lat": request.lat, "lon": request.lon} if located else None,
        },
        "workflow": {
            "status": {"id": status_id, "name": status_name},
            "fields": {
                "service": request.service,
                "date_prise_en_charge": iso(request.first_response),
                "date_cloture": iso(request.closed),
                "echeance": iso(request.expected),
                "nb_reouvertures": request.reopened,
                "doublon_de": request.duplicate_of.ident if request.duplicate_of else None,
            },
        },
    }


def webform_export(dataset: Dataset, commune: str) -> list[dict[str, Any]]:
    """A commune's form records, as the platform's export lists them."""
    rng = random.Random(f"{dataset.seed}:{NAME}:{commune}")  # noqa: S311 - demo data
    requests = dataset.of(WEB, commune)
    numbers = {"web": 0, "email": 0}
    for request in requests:
        numbers[request.channel] += 1
        request.ident = f"{FORMS[request.channel][0]}-{numbers[request.channel]}"
    return [_record(r, int(r.ident.split("-")[1]), rng) for r in requests]


@register
class RequestsWebFormGenerator(DemoGenerator):
    name = NAME
    order = 21

    def __init__(self) -> None:
        self.seconds = 0.0

    def write(self, territory: Territory) -> list[Path]:
        started = time.monotonic()
        dataset = generate(commune_specs(territory.communes), territory.seed)
        paths = []
        for tenant in territory.communes:
            path = territory.folder / self.name / f"formulaires_{tenant.code}.json"
            with open(path, "w", encoding="utf-8") as out:
                out.write(json.dumps(webform_export(dataset, tenant.code), ensure_ascii=False))
            paths.append(path)
        self.seconds = time.monotonic() - started
        return paths

    def load(self, territory: Territory, paths: list[Path]) -> str:
        started = time.monotonic()
        runs = load_commune_files(
            self.name,
            "Formulaires en ligne et courriels (plateforme de téléservices)",
            paths,
            "formulaires_",
            MAPPING_FILE,
        )
        return summary(runs, self.seconds, time.monotonic() - started)
