# ruff: noqa: S314 - parses the answers of our own server and the reference files
"""POST requests and GET tokens/<token>: the API key, the checks, the one-row load through the
connectors pipeline, and the 400/403 answers."""

import hashlib
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import duckdb
import pytest
from django.test import Client

from pilotis.audit.models import AuditEvent
from pilotis.connectors.models import LoadRun
from pilotis.open311.models import ApiKey, Submission
from pilotis.warehouse import storage
from tests.open311.conftest import DATA, get, post
from tests.tenants.factories import TenantFactory


def warehouse_rows(tenant) -> dict[str, dict]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    storage.register(con, "t", tenant.code, "requests")
    cursor = con.sql("SELECT * FROM t")
    names = cursor.columns
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def pothole(api_key, **extra):
    return {
        "api_key": api_key,
        "service_code": "nids",
        "lat": "48.6481",
        "long": "-2.0075",
        "attribute[TAILLE]": "G",
        "description": "Gros trou devant l'école",
        **extra,
    }


def test_a_posted_request_is_loaded_through_the_pipeline(client, town, api_key):
    before = datetime.now(UTC).replace(microsecond=0)
    response = post(
        client,
        "requests.json",
        pothole(
            api_key,
            email="claire.martin@example.fr",
            first_name="Claire",
            last_name="Martin",
            phone="06 11 22 33 44",
            account_id="A-77",
            media_url="https://photos.example/trou.jpg",
            **{"attribute[VOIES][]": ["1", "2"], "attribute[PROFONDEUR]": "12,5"},
        ),
    )
    assert response.status_code == 200, response.content
    (answer,) = response.json()
    assert set(answer) == {"service_request_id", "token", "service_notice", "account_id"}
    assert answer["service_notice"] == "Traité sous 5 jours ouvrés."
    assert answer["account_id"] == "A-77"
    request_id = answer["service_request_id"]
    assert request_id.startswith(f"35288-{before:%y%m%d}-")

    # One load of one row, like any source: recorded, counted, lineage on the row.
    run = LoadRun.objects.get(source_name="open311-api")
    assert (run.status, run.rows_read, run.rows_loaded, run.rows_quarantined) == (
        LoadRun.Status.SUCCEEDED,
        1,
        1,
        0,
    )
    assert run.source_kind == "inline" and run.table == "requests"
    row = warehouse_rows(town)[request_id]
    assert row["_source"] == "open311-api" and row["_load_id"] == run.load_id
    assert row["status"] == "open"
    assert row["category"] == row["service_code"] == "nids"
    assert row["service_name"] == "Nids-de-poule"
    assert row["channel"] == "web"
    assert row["commune_insee"] == "35288"
    assert (row["lat"], row["long"]) == (48.6481, -2.0075)
    assert row["description"] == "Gros trou devant l'école"
    assert row["media_url"] == "https://photos.example/trou.jpg"
    assert row["requester_name"] == "Claire Martin"
    assert row["requester_email"] == "claire.martin@example.fr"
    assert row["requester_phone"] == "06 11 22 33 44"
    assert before <= row["requested_datetime"] <= datetime.now(UTC)
    assert row["updated_datetime"] == row["requested_datetime"]

    submission = Submission.objects.get(service_request_id=request_id)
    assert str(submission.token) == answer["token"]
    assert submission.load_run == run
    assert submission.api_key.name == "Appli citoyenne"
    assert submission.attributes == {"TAILLE": "G", "VOIES": ["1", "2"], "PROFONDEUR": "12,5"}
    key = ApiKey.objects.get()
    assert key.last_used is not None and key.last_used >= before
    assert AuditEvent.objects.filter(action="open311.post", target=request_id).exists()

    # Published at once, without the requester.
    (published,) = get(client, f"requests/{request_id}.json").json()
    assert published["service_code"] == "nids" and published["status"] == "open"
    body = get(client, "requests.json").content.decode()
    assert request_id in body
    for personal in ("Claire", "Martin", "claire.martin", "06 11 22 33 44", "A-77"):
        assert personal not in body


def test_a_device_id_makes_it_a_mobile_request(client, town, api_key):
    response = post(client, "requests.json", pothole(api_key, device_id="phone-123"))
    request_id = response.json()[0]["service_request_id"]
    assert warehouse_rows(town)[request_id]["channel"] == "mobile"


def test_an_address_is_enough_and_address_id_is_kept(client, town, api_key):
    data = {
        "api_key": api_key,
        "service_code": "bruit",
        "address_string": "Place Chateaubriand",
    }
    first = post(client, "requests.json", data).json()[0]["service_request_id"]
    second = post(
        client,
        "requests.json",
        {"api_key": api_key, "service_code": "bruit", "address_id": "BAN-42"},
    ).json()[0]["service_request_id"]
    rows = warehouse_rows(town)
    assert rows[first]["address"] == "Place Chateaubriand"
    assert rows[first]["lat"] is None
    (published,) = get(client, f"requests/{second}.json").json()
    assert published["address_id"] == "BAN-42"
    assert get(client, f"requests/{first}.json").json()[0]["address"] == "Place Chateaubriand"


def test_post_answer_in_xml_has_the_elements_of_a_real_server(client, town, api_key):
    reference = ElementTree.parse(DATA / "cfa_post_service_request.xml").getroot()
    response = post(client, "requests.xml", pothole(api_key))
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert root.tag == reference.tag == "service_requests"
    tags = [c.tag for c in root.find("request")]
    assert set(tags) >= {c.tag for c in reference.find("request")}
    assert tags == ["service_request_id", "token", "service_notice", "account_id"]
    token = root.findtext("request/token")

    token_reference = ElementTree.parse(DATA / "cfa_request_id_from_token.xml").getroot()
    found = ElementTree.fromstring(get(client, f"tokens/{token}.xml").content)
    assert found.tag == token_reference.tag
    assert [c.tag for c in found.find("request")] == [
        c.tag for c in token_reference.find("request")
    ]
    assert found.findtext("request/service_request_id") == root.findtext(
        "request/service_request_id"
    )
    assert get(client, f"tokens/{token}.json").json() == [
        {"service_request_id": root.findtext("request/service_request_id"), "token": token}
    ]


def test_unknown_token_is_a_404(client, town, api_key):
    assert get(client, "tokens/not-a-token.json").status_code == 404
    response = get(client, "tokens/0b1e6c1c-3d0f-4f7e-9a51-2f5a7d1e0c11.xml")
    assert response.status_code == 404
    assert ElementTree.fromstring(response.content).findtext("error/code") == "404"
    # A token of another tenant is unknown here.
    token = post(client, "requests.json", pothole(api_key)).json()[0]["token"]
    TenantFactory(code="35049", name="Cancale")
    assert client.get(f"/open311/v2/35049/tokens/{token}.json").status_code == 404


@pytest.mark.parametrize("given", [None, "", "p311_wrong", "WRONG"])
def test_a_missing_or_wrong_key_is_a_403(client, town, api_key, given):
    data = pothole(api_key)
    if given is None:
        del data["api_key"]
    else:
        data["api_key"] = given
    response = post(client, "requests.json", data)
    assert response.status_code == 403
    (error,) = response.json()
    assert error["code"] == 403 and "api_key" in error["description"]
    xml = post(client, "requests.xml", data)
    assert ElementTree.fromstring(xml.content).findtext("error/code") == "403"
    assert not LoadRun.objects.exists() and not Submission.objects.exists()


def test_a_revoked_key_or_another_tenants_key_is_refused(client, town, api_key):
    assert post(client, "requests.json", pothole(api_key)).status_code == 200
    ApiKey.objects.update(active=False)
    assert post(client, "requests.json", pothole(api_key)).status_code == 403
    ApiKey.objects.update(active=True)
    other = TenantFactory(code="35049", name="Cancale")
    foreign = ApiKey(tenant=other, name="Cancale")
    raw = foreign.set_new_key()
    foreign.save()
    assert post(client, "requests.json", pothole(raw)).status_code == 403


def test_the_key_in_the_query_string_is_accepted(client, town, api_key):
    """Some clients put api_key in the URL and the rest in the form."""
    data = pothole(api_key)
    del data["api_key"]
    response = client.post(f"/open311/v2/35288/requests.json?api_key={api_key}", data)
    assert response.status_code == 200


def test_keys_are_stored_hashed(town, api_key):
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(api_key.encode()).hexdigest()
    assert api_key.startswith(key.prefix) and len(key.prefix) < 12 < len(api_key)
    assert api_key not in {str(v) for v in ApiKey.objects.values().get().values()}
    assert ApiKey.find(town, api_key) == key
    assert ApiKey.find(town, api_key + "x") is None
    another = ApiKey(tenant=town, name="Autre")
    assert another.set_new_key() != api_key


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service_code": None}, "service_code is required."),
        ({"service_code": "nope"}, "service_code: no service has the code “nope” here."),
        ({"lat": None, "long": None}, "A location is required"),
        ({"long": None}, "lat and long must be given together."),
        ({"attribute[TAILLE]": None}, "attribute[TAILLE] is required: Quelle taille ?"),
        ({"attribute[TAILLE]": "XXL"}, "attribute[TAILLE]: “XXL” is not one of the keys P, G."),
        (
            {"attribute[TAILLE]": None, "attribute[TAILLE][]": ["P", "G"]},
            "attribute[TAILLE]: one value only.",
        ),
        ({"attribute[PROFONDEUR]": "deep"}, "attribute[PROFONDEUR]: “deep” is not a number."),
        ({"attribute[VOIES][]": ["1", "9"]}, "attribute[VOIES]: “9” is not one of the keys"),
        ({"attribute[COULEUR]": "rouge"}, "attribute[COULEUR]: the service “nids” has no"),
    ],
)
def test_wrong_requests_are_400_and_load_nothing(client, town, api_key, change, message):
    data = pothole(api_key)
    for name, value in change.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    response = post(client, "requests.json", data)
    assert response.status_code == 400
    (error,) = response.json()
    assert error["code"] == 400 and error["description"].startswith(message)
    assert not LoadRun.objects.exists() and not Submission.objects.exists()


def test_a_row_the_schema_refuses_is_a_400_with_the_pipelines_reasons(client, town, api_key):
    response = post(client, "requests.json", pothole(api_key, lat="148.6", email="pas-un-mail"))
    assert response.status_code == 400
    assert response.json() == [
        {"code": 400, "description": "lat: is above the maximum 90"},
        {"code": 400, "description": "email: is not a valid email"},
    ]
    run = LoadRun.objects.get()
    assert (run.rows_loaded, run.rows_quarantined) == (0, 1)  # kept in quarantine, as any load
    assert storage.open_table(town.code, "requests") is None  # nothing written to the table
    assert not Submission.objects.exists()
    # The explanations follow the client's language.
    french = post(client, "requests.json", pothole(api_key, email="pas-un-mail"), language="fr")
    assert french.status_code == 400
    (error,) = french.json()
    assert error["description"].startswith("email: ")
    assert error["description"] != "email: is not a valid email"


def test_posting_needs_no_csrf_token(town, api_key):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/open311/v2/35288/requests.json", pothole(api_key))
    assert response.status_code == 200


def test_posted_requests_join_the_window_and_filters(client, loaded, api_key, now):
    request_id = post(client, "requests.json", pothole(api_key)).json()[0]["service_request_id"]
    found = [
        r["service_request_id"] for r in get(client, "requests.json", service_code="nids").json()
    ]
    assert found == [request_id, "R1"]
    window = {
        "start_date": (now - timedelta(minutes=5)).isoformat(),
        "end_date": (now + timedelta(minutes=5)).isoformat(),
    }
    assert [r["service_request_id"] for r in get(client, "requests.json", **window).json()] == [
        request_id
    ]
