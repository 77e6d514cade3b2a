"""Real third-party Open311 clients from PyPI against a live Pilotis server.

- `civicbot` (0.4.0, MIT): a complete GeoReport v2 client — services, definitions, request
  lists with filters, single requests, tokens and POST with an api_key (checked against the
  live service definition before sending).
- `georeport` (0.3.1, Apache-2.0): a read client, in JSON and in XML (parsed with xmltodict).
- Pilotis's own `open311` source kind, as another collectivité would harvest this feed.

Why not `open311` (1.1, 2011) or `three` (0.8.0, 2013), the other clients on PyPI: both are
Python 2 only (implicit relative imports, `itertools.ifilter`), they do not import on 3.11.
"""

import json
from datetime import UTC, timedelta

import pytest
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import Open311Client, ValidationError
from civicbot.registry import Endpoint
from georeport import GeoReport

from pilotis.connectors.models import LoadRun
from pilotis.connectors.open311 import Open311Kind
from pilotis.open311.models import ApiKey
from tests.connectors.raw import rows_of
from tests.open311.conftest import SENTINELS, load_rows, sample_rows

pytestmark = pytest.mark.django_db(transaction=True)
SERVICES = ["bruit", "nids", "proprete", "voirie"]


@pytest.fixture
def server(live_server, live_town, now):
    """The live server's endpoint for Saint-Malo, with the sample requests and an API key."""
    load_rows(live_town, sample_rows(now))
    key = ApiKey(tenant=live_town, name="civicbot")
    raw = key.set_new_key()
    key.save()
    return f"{live_server.url}/open311/v2/35288", raw


def civicbot(url: str) -> Open311Client:
    endpoint = Endpoint(id="saint-malo", name="Saint-Malo", base_url=url, write=True)
    return Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(0)))


def w3c(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_civicbot_does_everything_a_citizen_app_does(server, now):
    url, key = server
    client = civicbot(url)
    assert [s["service_code"] for s in client.list_services()] == SERVICES
    definition = client.get_service_definition("nids")
    assert [a["code"] for a in definition["attributes"]] == [
        "INFO",
        "TAILLE",
        "VOIES",
        "PROFONDEUR",
    ]

    # civicbot checks a request against the live definition before sending it.
    with pytest.raises(ValidationError, match="TAILLE"):
        client.create_request(
            "nids", dry_run=False, confirm="SEND", api_key=key, validate_remote=True,
            lat=48.6481, lng=-2.0075,
        )  # fmt: skip
    sent = client.create_request(
        "nids",
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,
        lat=48.6481,
        lng=-2.0075,
        description="Nid de poule rue de Dinan",
        attributes={"TAILLE": "G", "VOIES": ["1", "2"]},
        email="citoyen@example.fr",
        first_name="Camille",
        device_id="civicbot-test",
    )
    (answer,) = sent.response
    request_id, token = answer["service_request_id"], answer["token"]
    assert answer["service_notice"] == "Traité sous 5 jours ouvrés."
    run = LoadRun.objects.get(source_name="open311-api")
    assert (run.rows_loaded, run.rows_quarantined) == (1, 0)

    assert client.get_token(token) == [{"service_request_id": request_id, "token": token}]
    single = client.get_request(request_id)
    assert (single["service_code"], single["status"], single["lat"]) == ("nids", "open", 48.6481)
    assert single["description"] == "Nid de poule rue de Dinan"

    def found(**filters):
        return [r["service_request_id"] for r in client.list_requests(**filters)]

    assert found() == [request_id, "R1", "R2", "R3", "R4"]
    assert found(service_code="nids", status="open") == [request_id, "R1"]
    assert found(status="closed") == ["R2", "R4"]
    assert found(service_request_ids=["R5", request_id]) == [request_id, "R5"]
    start, end = w3c(now - timedelta(days=130)), w3c(now - timedelta(days=50))
    assert found(start_date=start, end_date=end) == ["R4", "R5"]
    assert found(page_size=2) == [request_id, "R1"]

    everything = json.dumps(client.list_requests(service_request_ids=["R1", "R2", request_id]))
    for personal in (*SENTINELS, "citoyen@example.fr", "Camille"):
        assert personal.lower() not in everything.lower()


def test_civicbot_gets_the_spec_errors(server):
    url, key = server
    client = civicbot(url)
    with pytest.raises(HttpError) as refused:
        client.create_request(
            "bruit", dry_run=False, confirm="SEND", api_key="p311_wrong", address_string="Quai"
        )
    assert refused.value.status == 403
    assert json.loads(refused.value.body)[0]["code"] == 403
    with pytest.raises(HttpError) as missing:
        client.get_request("NOPE")
    assert missing.value.status == 404
    with pytest.raises(HttpError) as bad:
        client.create_request(
            "bruit", dry_run=False, confirm="SEND", api_key=key, address_string="Quai",
            email="not-an-email",
        )  # fmt: skip
    assert bad.value.status == 400
    assert json.loads(bad.value.body)[0]["description"].startswith("email: ")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_services_and_requests(server, now, fmt):
    url, _key = server
    client = GeoReport(url, output_format=fmt)
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == SERVICES
    nids = services[1]
    assert (nids["service_name"], nids["group"]) == ("Nids-de-poule", "Voirie")
    assert nids["metadata"] in (True, "true")

    definition = client.get_service_definition("nids")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    taille = attributes[1]
    assert taille["code"] == "TAILLE"
    values = taille["values"] if fmt == "json" else taille["values"]["value"]
    assert [v["key"] for v in values] == ["P", "G"]

    def found(**filters):
        return [r["service_request_id"] for r in client.get_service_requests(**filters)]

    assert found(status="open") == ["R1", "R3"]
    assert found(service_code="nids,bruit") == ["R1", "R3"]
    assert found(service_request_id="R5,R1") == ["R1", "R5"]
    start, end = w3c(now - timedelta(days=130)), w3c(now - timedelta(days=50))
    assert found(start_date=start, end_date=end) == ["R4", "R5"]

    single = client.get_service_request("R2")
    assert single["service_request_id"] == "R2"
    notes = single["status_notes"]  # the phone number is masked (in the server's language)
    assert notes.startswith("Réparé. Contact: [") and not any(c.isdigit() for c in notes)
    assert single["requested_datetime"].endswith(("+01:00", "+02:00"))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_pilotis_harvests_its_own_feed(server, now, fmt):
    """Another collectivité's Pilotis reads this server with the `open311` source kind."""
    url, _key = server
    config = {"endpoint": url, "start_date": w3c(now - timedelta(days=130)), "format": fmt}
    rows = rows_of(Open311Kind(config).open())
    assert sorted(r["service_request_id"] for r in rows) == ["R1", "R2", "R3", "R4", "R5"]
    by_id = {r["service_request_id"]: r for r in rows}
    assert by_id["R1"]["service_code"] == "nids"
    assert by_id["R3"]["status"] == "open"
    text = json.dumps(rows, default=str).lower()
    for sentinel in SENTINELS:
        assert sentinel.lower() not in text
