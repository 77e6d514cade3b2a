"""The phone, counter and mail log of the citizen-relations software, as it exports it:
Windows-1252, `;`, dd/mm/yyyy hh:mm local times, decimal commas, one file per commune — with the
few broken rows real exports have (an impossible date, a status typed by hand, a commune outside
the territory, a line the export repeated), which the load sends to quarantine. Loaded through
the connectors, as a configured file source named `gru-accueil`.

The requests themselves come from `requests_common` (shared with the web-form and mobile-app
sources, so that one request is in exactly one source).
"""

from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass
from pathlib import Path

from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.demo.generators.requests_common import (
    CATEGORY,
    LOG,
    Dataset,
    Request,
    commune_specs,
    french,
    generate,
    load_commune_files,
    summary,
)

NAME = "gru-accueil"
MAPPING_FILE = Path(__file__).resolve().parent.parent / "mappings" / "gru_accueil.yaml"
HEADER = [
    "N° de demande",
    "Date de la demande",
    "Canal",
    "Thème",
    "Motif",
    "Objet",
    "Commune",
    "Adresse",
    "Latitude",
    "Longitude",
    "Service traitant",
    "État",
    "Date de prise en charge",
    "Date de clôture",
    "Échéance",
    "Nb réouvertures",
    "Nom de l'usager",
    "Téléphone",
    "Courriel",
]
CHANNEL_LABELS = {"phone": "Téléphone", "counter": "Accueil", "mail": "Courrier"}
STAGE_LABELS = {"new": "Nouvelle", "in_progress": "En cours", "waiting": "En attente"}
# One broken row per this many rows of a commune's log (at least one per commune).
BROKEN_EVERY = 1500
# The kinds of broken rows, in turn, and the (field, rule) the load rejects each with.
BROKEN_KINDS = {
    "date": ("requested_datetime", "type"),
    "status": ("status", "enum"),
    "commune": ("commune_insee", "commune"),
    "repeated": ("service_request_id", "unique"),
}


@dataclass(frozen=True)
class Broken:
    """A row of the export that the load must send to quarantine."""

    ident: str
    kind: str

    @property
    def reason(self) -> tuple[str, str]:
        return BROKEN_KINDS[self.kind]


def log_id(request: Request, number: int) -> str:
    return f"{request.commune.code}-{number:06d}"


def _decimal(value: float) -> str:
    return f"{value:.5f}".replace(".", ",")


def _row(request: Request, rng: random.Random) -> list[str]:
    category = CATEGORY[request.category]
    located = request.topic.located
    geocoded = located and rng.random() < 0.6
    if request.status == "closed":
        state = "Résolue" if rng.random() < 0.2 else "Clôturée"
    else:
        state = STAGE_LABELS[request.stage]
    return [
        request.ident,
        french(request.requested),
        CHANNEL_LABELS[request.channel],
        category.label,
        request.topic.motif,
        request.description,
        request.commune.name,
        f"{request.number} {request.street}" if located else "",
        _decimal(request.lat) if geocoded else "",
        _decimal(request.lon) if geocoded else "",
        request.service,
        state,
        french(request.first_response),
        french(request.closed),
        french(request.expected),
        str(request.reopened),
        request.requester_name or "",
        request.requester_phone or "",
        request.requester_email or "",
    ]


def log_export(dataset: Dataset, commune: str) -> tuple[list[list[str]], list[Broken]]:
    """The rows of a commune's log export (header excluded) and the broken ones among them."""
    rng = random.Random(f"{dataset.seed}:{NAME}:{commune}")  # noqa: S311 - demo data
    requests = dataset.of(LOG, commune)
    for number, request in enumerate(requests, start=1):
        request.ident = log_id(request, number)
    rows = [_row(request, rng) for request in requests]
    candidates = [i for i, r in enumerate(requests) if r.trap is None]
    count = min(len(candidates), max(1, round(len(rows) / BROKEN_EVERY)))
    chosen = sorted(rng.sample(candidates, k=count))
    broken: list[Broken] = []
    repeated: list[int] = []
    kinds = list(BROKEN_KINDS)
    for n, index in enumerate(chosen):
        kind = kinds[n % len(kinds)]
        row = rows[index]
        broken.append(Broken(row[0], kind))
        if kind == "date":
            row[1] = "31/02/" + row[1][6:]  # a date that does not exist
        elif kind == "status":
            row[11] = "Cloturée ?"  # typed by hand
        elif kind == "commune":
            row[6] = "Trifouillis-les-Oies"  # no such commune
        else:
            repeated.append(index)  # the export wrote the line twice
    for index in reversed(repeated):
        rows.insert(index + 1, list(rows[index]))
    return rows, broken


@register
class RequestsLogGenerator(DemoGenerator):
    name = NAME
    order = 20

    def __init__(self) -> None:
        self.broken: dict[str, list[Broken]] = {}
        self.seconds = 0.0

    def write(self, territory: Territory) -> list[Path]:
        started = time.monotonic()
        dataset = generate(commune_specs(territory.communes), territory.seed)
        paths = []
        for tenant in territory.communes:
            rows, self.broken[tenant.code] = log_export(dataset, tenant.code)
            path = territory.folder / self.name / f"demandes_{tenant.code}.csv"
            with open(path, "w", encoding="cp1252", newline="") as out:
                writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
                writer.writerow(HEADER)
                writer.writerows(rows)
            paths.append(path)
        self.seconds = time.monotonic() - started
        return paths

    def load(self, territory: Territory, paths: list[Path]) -> str:
        started = time.monotonic()
        runs = load_commune_files(
            self.name,
            "Logiciel de relation usagers (téléphone, accueil, courrier)",
            paths,
            "demandes_",
            MAPPING_FILE,
        )
        return summary(runs, self.seconds, time.monotonic() - started)
