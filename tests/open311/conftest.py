"""Fixtures of the Open311 server tests: Saint-Malo with a small referential and themes, a few
requests loaded through the real pipeline (with sentinel personal data that must never come
out), and an API key."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from django.utils import translation

from pilotis.connectors import pipeline
from pilotis.connectors.kinds import SOURCE_ROW, RawInput
from pilotis.connectors.mapping import Mapping
from pilotis.open311.models import ApiKey, ServiceAttribute, ServiceInfo
from pilotis.referential.load import load_snapshot
from pilotis.referential.models import Theme
from tests.tenants.factories import TenantFactory

DATA = Path(__file__).resolve().parent / "data"
BASE = "/open311/v2/35288"

# Personal data planted in the warehouse: none of these strings may appear in any answer.
SENTINEL_NAME = "Zébulon Sentinelle-Privée"
SENTINEL_EMAIL = "zebulon.sentinelle@prive.example"
SENTINEL_PHONE = "+33 6 98 76 54 32"
SENTINELS = (SENTINEL_NAME, SENTINEL_EMAIL, SENTINEL_PHONE, "zebulon", "98 76 54 32")

COLUMNS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_code",
    "service_name",
    "category",
    "description",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "zipcode",
    "lat",
    "long",
    "agency_responsible",
    "media_url",
    "requester_name",
    "requester_email",
    "requester_phone",
]
MAPPING = {"table": "requests", "fields": {c: {"column": c} for c in COLUMNS}}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def load_rows(tenant, rows: list[dict], source: str = "gru"):
    """Load `rows` (dicts of text by column) into the tenant's `requests` table, as a source
    would: through the pipeline."""

    def batches():
        data = {c: pa.array([r.get(c) for r in rows], pa.string()) for c in COLUMNS}
        data[SOURCE_ROW] = pa.array(range(1, len(rows) + 1), pa.int64())
        yield pa.RecordBatch.from_pydict(data)

    run = pipeline.start_run(
        tenant, Mapping.from_dict(MAPPING), kind="inline", config={}, source_name=source
    )
    outcome = pipeline.execute(run, raw=RawInput(columns=COLUMNS, batches=batches))
    assert outcome.quarantined == 0, pipeline.quarantine_rows(run)
    return outcome


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English here (the French translations are added separately)."""
    with translation.override("en"):
        yield


@pytest.fixture
def now():
    return datetime.now(UTC).replace(microsecond=0)


def _town(small_snapshot_path):
    load_snapshot(small_snapshot_path)
    pipeline._INDEX.clear()
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    voirie = Theme.objects.create(tenant=tenant, code="voirie", label="Voirie")
    Theme.objects.create(tenant=tenant, code="nids", label="Nids-de-poule", parent=voirie)
    Theme.objects.create(tenant=tenant, code="proprete", label="Propreté")
    Theme.objects.create(tenant=tenant, code="bruit", label="Bruit")
    ServiceInfo.objects.create(
        tenant=tenant,
        service_code="nids",
        description="Un trou dans la chaussée.",
        keywords="trou, chaussée, route",
        service_notice="Traité sous 5 jours ouvrés.",
    )
    ServiceAttribute.objects.create(
        tenant=tenant,
        service_code="nids",
        code="TAILLE",
        datatype=ServiceAttribute.Datatype.SINGLEVALUELIST,
        required=True,
        order=1,
        description="Quelle taille ?",
        values=[{"key": "P", "name": "Petit"}, {"key": "G", "name": "Grand"}],
    )
    ServiceAttribute.objects.create(
        tenant=tenant,
        service_code="nids",
        code="VOIES",
        datatype=ServiceAttribute.Datatype.MULTIVALUELIST,
        order=2,
        description="Quelles voies ?",
        values=[{"key": "1", "name": "Chaussée"}, {"key": "2", "name": "Trottoir"}],
    )
    ServiceAttribute.objects.create(
        tenant=tenant,
        service_code="nids",
        code="PROFONDEUR",
        datatype=ServiceAttribute.Datatype.NUMBER,
        datatype_description="En centimètres",
        order=3,
        description="Quelle profondeur ?",
    )
    ServiceAttribute.objects.create(
        tenant=tenant,
        service_code="nids",
        code="INFO",
        variable=False,
        datatype=ServiceAttribute.Datatype.TEXT,
        order=0,
        description="Pour un danger immédiat, appelez le 17.",
    )
    return tenant


@pytest.fixture
def town(db, small_snapshot_path, warehouse):
    """Saint-Malo: four themes (one under another), one with a description and attributes."""
    return _town(small_snapshot_path)


@pytest.fixture
def live_town(transactional_db, small_snapshot_path, warehouse):
    """The same, committed, for a live server in another thread."""
    return _town(small_snapshot_path)


def sample_rows(now: datetime) -> list[dict]:
    """Five requests: four in the last 90 days, one older; planted personal data."""
    return [
        {
            "service_request_id": "R1",
            "status": "open",
            "category": "nids",
            "service_code": "NID",
            "service_name": "Nid de poule (GRU)",
            "description": f"Trou profond. Rappeler {SENTINEL_EMAIL} ou au 06 98 76 54 32.",
            "requested_datetime": iso(now - timedelta(days=1)),
            "updated_datetime": iso(now - timedelta(hours=20)),
            "address": "3 rue de Dinan",
            "zipcode": "35400",
            "lat": "48.6493",
            "long": "-2.0257",
            "requester_name": SENTINEL_NAME,
            "requester_email": SENTINEL_EMAIL,
            "requester_phone": SENTINEL_PHONE,
        },
        {
            "service_request_id": "R2",
            "status": "closed",
            "status_notes": f"Réparé. Contact: {SENTINEL_PHONE}",
            "category": "proprete",
            "service_code": "DEP",
            "service_name": "Dépôt sauvage",
            "description": "Sacs sur le trottoir",
            "requested_datetime": iso(now - timedelta(days=10)),
            "updated_datetime": iso(now - timedelta(days=8)),
            "expected_datetime": iso(now - timedelta(days=5)),
            "agency_responsible": "Direction de la propreté",
            "media_url": "https://photos.example/r2.jpg",
            "requester_name": SENTINEL_NAME,
            "requester_email": SENTINEL_EMAIL,
        },
        {
            "service_request_id": "R3",
            "status": "open",
            "category": "bruit",
            "service_code": "BRU",
            "service_name": "Tapage",
            "description": "Musique forte",
            "requested_datetime": iso(now - timedelta(days=30)),
            "requester_phone": SENTINEL_PHONE,
        },
        {
            "service_request_id": "R4",
            "status": "closed",
            "service_code": "AUTRE",
            "service_name": "Demande diverse",
            "requested_datetime": iso(now - timedelta(days=60)),
        },
        {
            "service_request_id": "R5",
            "status": "closed",
            "category": "nids",
            "service_code": "NID",
            "service_name": "Nid de poule (GRU)",
            "requested_datetime": iso(now - timedelta(days=120)),
        },
    ]


@pytest.fixture
def loaded(town, now):
    load_rows(town, sample_rows(now))
    return town


@pytest.fixture
def api_key(town):
    key = ApiKey(tenant=town, name="Appli citoyenne")
    raw = key.set_new_key()
    key.save()
    return raw


def get(client, path: str, language: str = "en", **params):
    """GET an endpoint of Saint-Malo's server (`path` after /open311/v2/35288/)."""
    return client.get(f"{BASE}/{path}", params, HTTP_ACCEPT_LANGUAGE=language)


def post(client, path: str, data: dict, language: str = "en"):
    return client.post(f"{BASE}/{path}", data, HTTP_ACCEPT_LANGUAGE=language)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in response.json()]
