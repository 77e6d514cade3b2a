"""The mobile app's reports, reached as Pilotis reaches a real vendor: over Open311.

The agglomeration's app (one app for the 18 communes, one Open311 `jurisdiction_id` per commune)
is served by `pilotis.demo.open311_vendor` on 127.0.0.1 while the demo loads it: each commune
gets a configured source of kind `open311` (`appli-mobile`) pointing at it, loaded through
`pipeline.run_source`; the server stops afterwards. The requests are also written to
`appli-mobile/requests_<code>.json` (what the server served), for whoever wants to look.

Real-world bends kept: statuses `submitted` / `acknowledged` / `in_progress`, the requests not
yet moderated published without `service_request_id`, and the vendor's extensions.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from pilotis.connectors.models import LoadRun
from pilotis.demo.framework import DemoGenerator, Territory, register
from pilotis.demo.generators.orgchart import DIRECTIONS, SMALL_COMMUNE
from pilotis.demo.generators.requests_common import (
    CATEGORIES,
    CATEGORY,
    END_OF_REFERENCE,
    MOBILE,
    REFERENCE_DATE,
    START_DATE,
    Dataset,
    Request,
    commune_specs,
    generate,
    iso,
    load_source,
    local_date,
    summary,
)
from pilotis.demo.open311_vendor import Open311VendorServer
from pilotis.tenants.models import Tenant

NAME = "appli-mobile"
MAPPING_FILE = Path(__file__).resolve().parent.parent / "mappings" / "appli_mobile.yaml"
# Requests made in the last hours are not moderated yet: the vendor publishes them without id.
UNMODERATED_HOURS = 36
SERVICE_LABELS = {
    f"{code}-{n:02d}": label
    for chart in (DIRECTIONS, SMALL_COMMUNE)
    for code, (_direction, services) in chart.items()
    for n, label in enumerate(services, start=1)
}
NOTES = {
    "closed": ("Intervention réalisée.", "Problème résolu, merci pour votre signalement.", None),
    "duplicate": ("Doublon.",),
}


def _status(request: Request, rng: random.Random) -> str:
    if request.status == "closed":
        return "closed"
    if request.stage == "new":
        return "submitted"
    if request.stage == "waiting":
        return "acknowledged"
    return "in_progress" if rng.random() < 0.7 else "open"


def _record(request: Request, rng: random.Random) -> dict[str, Any]:
    category = CATEGORY[request.category]
    status = _status(request, rng)
    notes = NOTES.get(request.stage, (None,))
    record: dict[str, Any] = {}
    unmoderated = (
        status == "submitted" and END_OF_REFERENCE - request.requested < UNMODERATED_HOURS * 3600
    )
    if not unmoderated:
        record["service_request_id"] = request.ident
    located = request.topic.located
    record.update(
        {
            "status": status,
            "status_notes": notes[int(rng.random() * len(notes))],
            "service_name": request.topic.motif,
            "service_code": request.topic.service_code,
            "description": request.description,
            "agency_responsible": (
                f"{request.commune.name} – {SERVICE_LABELS.get(request.service, request.service)}"
            ),
            "service_notice": None,
            "requested_datetime": iso(request.requested),
            "updated_datetime": iso(request.updated),
            "expected_datetime": iso(request.expected),
            "address": (
                f"{request.number} {request.street}, {request.commune.postal_code} "
                f"{request.commune.name}"
                if located
                else None
            ),
            "address_id": None,
            "zipcode": request.commune.postal_code,
            "lat": request.lat if located else None,
            "long": request.lon if located else None,
            "media_url": request.media_url,
            "token": f"{rng.getrandbits(64):016x}",
            "extended_attributes": {
                "commune": request.commune.name,
                "group": category.group,
                "service_interne": request.service,
                "device": "ios" if rng.random() < 0.45 else "android",
                "first_response_datetime": iso(request.first_response),
                "closed_datetime": iso(request.closed),
                "reopened_count": request.reopened,
                "votes": int(rng.expovariate(0.7)),
                "duplicate_of": request.duplicate_of.ident if request.duplicate_of else None,
            },
        }
    )
    return record


def mobile_export(dataset: Dataset, commune: str) -> list[dict[str, Any]]:
    """What the vendor's server publishes for a commune (its `jurisdiction_id`).

    Identifiers are the vendor's: numbered across the whole app, by year ("25-00012345")."""
    rng = random.Random(f"{dataset.seed}:{NAME}:{commune}")  # noqa: S311 - demo data
    return [_record(request, rng) for request in dataset.of(MOBILE, commune)]


def number_mobile_requests(dataset: Dataset) -> None:
    """The vendor numbers the requests of all the communes in one sequence per year."""
    counters: dict[int, int] = {}
    for request in dataset.requests:
        if request.source == MOBILE:
            year = local_date(request.requested).year
            counters[year] = counters.get(year, 0) + 1
            request.ident = f"{year % 100:02d}-{counters[year]:08d}"


def services() -> list[dict[str, Any]]:
    """The vendor's `services.json`: one service per topic, grouped by category."""
    return [
        {
            "service_code": topic.service_code,
            "service_name": topic.motif,
            "description": topic.motif,
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": category.group,
        }
        for category in CATEGORIES
        for topic in category.topics
    ]


@register
class RequestsMobileGenerator(DemoGenerator):
    name = NAME
    order = 22

    def __init__(self) -> None:
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.seconds = 0.0

    def write(self, territory: Territory) -> list[Path]:
        started = time.monotonic()
        dataset = generate(commune_specs(territory.communes), territory.seed)
        number_mobile_requests(dataset)
        paths = []
        for tenant in territory.communes:
            self.records[tenant.code] = mobile_export(dataset, tenant.code)
            path = territory.folder / self.name / f"requests_{tenant.code}.json"
            with open(path, "w", encoding="utf-8") as out:
                out.write(json.dumps(self.records[tenant.code], ensure_ascii=False))
            paths.append(path)
        self.seconds = time.monotonic() - started
        return paths

    def load(self, territory: Territory, paths: list[Path]) -> str:
        started = time.monotonic()
        if not self.records:  # loading files written by an earlier run
            for path in paths:
                code = path.stem.removeprefix("requests_")
                self.records[code] = json.loads(path.read_text(encoding="utf-8"))
        mapping = MAPPING_FILE.read_text(encoding="utf-8")
        runs: list[LoadRun] = []
        with Open311VendorServer(self.records, services()) as server:
            for tenant in territory.communes:
                config = {
                    "endpoint": server.endpoint,
                    "jurisdiction_id": tenant.code,
                    "start_date": START_DATE.isoformat(),
                    "end_date": REFERENCE_DATE.isoformat(),
                    "window_days": 30,
                }
                runs.append(
                    load_source(
                        Tenant.objects.get(code=tenant.code),
                        self.name,
                        "Application mobile de signalement (Open311 de l'éditeur)",
                        "open311",
                        config,
                        mapping,
                    )
                )
        return summary(runs, self.seconds, time.monotonic() - started)
