# ruff: noqa: S314 - parses the answers of our own server and the reference files
"""GET requests and GET requests/<id>: every filter of the spec, its default window and cap, the
paging extension, time zones, the shapes of real servers' answers, and the errors."""

import json
import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest

from pilotis.open311.query import FIELDS, parse_query
from tests.open311.conftest import DATA, get, ids, iso, load_rows
from tests.tenants.factories import TenantFactory

W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_default_window_is_the_last_90_days_newest_first(client, loaded):
    # R5 is 120 days old: outside the spec's default window.
    assert ids(get(client, "requests.json")) == ["R1", "R2", "R3", "R4"]


def test_a_window_reaches_older_requests(client, loaded, now):
    found = get(
        client,
        "requests.json",
        start_date=w3c(now - timedelta(days=130)),
        end_date=w3c(now - timedelta(days=50)),
    )
    assert ids(found) == ["R4", "R5"]


def test_one_date_gives_90_days_from_or_up_to_it(client, loaded, now):
    # start only: [start, start + 90 days] = days -125 → -35 ago.
    assert ids(get(client, "requests.json", start_date=w3c(now - timedelta(days=125)))) == [
        "R4",
        "R5",
    ]
    # end only: [end - 90 days, end] = days -115 → -25 ago.
    assert ids(get(client, "requests.json", end_date=w3c(now - timedelta(days=25)))) == [
        "R3",
        "R4",
    ]


def test_dates_are_inclusive_to_the_second(client, loaded, now):
    r2 = now - timedelta(days=10)
    assert "R2" in ids(get(client, "requests.json", start_date=w3c(r2), end_date=w3c(now)))
    later = w3c(r2 + timedelta(seconds=1))
    assert "R2" not in ids(get(client, "requests.json", start_date=later, end_date=w3c(now)))
    assert ids(
        get(client, "requests.json", start_date=w3c(r2 - timedelta(days=1)), end_date=w3c(r2))
    ) == ["R2"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"status": "open,pending"}, "pending"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
    ],
)
def test_wrong_parameters_are_400_in_the_spec_error_shape(client, loaded, params, message):
    response = get(client, "requests.json", **params)
    assert response.status_code == 400
    errors = response.json()
    assert len(errors) == 1 and errors[0]["code"] == 400
    assert message in errors[0]["description"]
    xml = get(client, "requests.xml", **params)
    assert xml.status_code == 400
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "errors"
    assert [e.tag for e in root.find("error")] == ["code", "description"]
    assert root.find("error/code").text == "400"


def test_status_filter(client, loaded):
    assert ids(get(client, "requests.json", status="open")) == ["R1", "R3"]
    assert ids(get(client, "requests.json", status="closed")) == ["R2", "R4"]
    assert ids(get(client, "requests.json", status="open,closed")) == ["R1", "R2", "R3", "R4"]
    assert ids(get(client, "requests.json", status="CLOSED")) == ["R2", "R4"]


def test_service_code_filter_is_the_theme(client, loaded):
    assert ids(get(client, "requests.json", service_code="nids")) == ["R1"]
    assert ids(get(client, "requests.json", service_code="nids,bruit")) == ["R1", "R3"]
    # A row without a theme keeps its source's code.
    assert ids(get(client, "requests.json", service_code="AUTRE")) == ["R4"]
    # The source's own code of a row that has a theme is not published, so not filtered on.
    assert ids(get(client, "requests.json", service_code="NID")) == []
    assert ids(get(client, "requests.json", service_code="nids", status="closed")) == []


def test_service_request_id_overrides_every_other_filter(client, loaded):
    # R5 is outside the default window and R1 is open: both are answered anyway.
    found = get(client, "requests.json", service_request_id="R5,R1", status="closed")
    assert ids(found) == ["R1", "R5"]


def test_paging_extension(client, loaded):
    assert ids(get(client, "requests.json", page_size="2")) == ["R1", "R2"]
    assert ids(get(client, "requests.json", page_size="2", page="2")) == ["R3", "R4"]
    assert ids(get(client, "requests.json", page_size="2", page="3")) == []


def test_at_most_1000_requests_by_default(client, town, now):
    rows = [
        {
            "service_request_id": f"B{i:04d}",
            "status": "open",
            "category": "bruit",
            "requested_datetime": iso(now - timedelta(minutes=i)),
        }
        for i in range(1005)
    ]
    load_rows(town, rows)
    first = ids(get(client, "requests.json"))
    assert first == [f"B{i:04d}" for i in range(1000)]  # the newest thousand
    assert ids(get(client, "requests.json", page="2")) == [f"B{i:04d}" for i in range(1000, 1005)]
    assert len(ids(get(client, "requests.json", page_size="1000"))) == 1000


def test_dates_are_french_local_time_with_their_offset(client, town):
    load_rows(
        town,
        [
            {
                "service_request_id": "WINTER",
                "status": "closed",
                "category": "bruit",
                "requested_datetime": "2026-01-15T10:00:00+00:00",
                "updated_datetime": "2026-01-16T23:30:00+00:00",
            },
            {
                "service_request_id": "SUMMER",
                "status": "open",
                "category": "bruit",
                "requested_datetime": "2026-07-15T10:00:00+00:00",
                "expected_datetime": "2026-07-31T22:00:00+00:00",
            },
        ],
    )
    found = get(client, "requests.json", service_request_id="WINTER,SUMMER").json()
    by_id = {r["service_request_id"]: r for r in found}
    assert by_id["WINTER"]["requested_datetime"] == "2026-01-15T11:00:00+01:00"
    assert by_id["WINTER"]["updated_datetime"] == "2026-01-17T00:30:00+01:00"
    assert by_id["SUMMER"]["requested_datetime"] == "2026-07-15T12:00:00+02:00"
    assert by_id["SUMMER"]["expected_datetime"] == "2026-08-01T00:00:00+02:00"
    # Filters read offsets (and "Z"), and local time when none is given.
    window = {"end_date": "2026-07-16T00:00:00Z"}
    assert ids(get(client, "requests.json", start_date="2026-07-15T12:00:00+02:00", **window)) == [
        "SUMMER"
    ]
    assert ids(get(client, "requests.json", start_date="2026-07-15T12:00:01+02:00", **window)) == []
    assert ids(get(client, "requests.json", start_date="2026-07-15T12:00:00", **window)) == [
        "SUMMER"
    ]
    assert ids(get(client, "requests.json", start_date="2026-07-15T12:00:01", **window)) == []


def test_an_offset_whose_plus_became_a_space_is_read():
    """A client that does not encode "+" in the query string sends a space."""
    from django.http import QueryDict

    query = parse_query(QueryDict("start_date=2026-07-15T12:00:00+02:00&end_date=2026-07-16"))
    assert query.start == datetime(2026, 7, 15, 10, tzinfo=UTC)
    assert query.end.isoformat() == "2026-07-16T00:00:00+02:00"


def test_fields_are_the_spec_ones_with_the_types_of_a_real_server(client, loaded):
    chicago = json.loads((DATA / "chicago_request_single.json").read_text())[0]
    found = get(client, "requests/R1.json").json()
    assert len(found) == 1
    request = found[0]
    assert tuple(request) == FIELDS
    # Every field the real answer has is here too (less its own extensions), typed alike when
    # it has a value.
    for name, value in chicago.items():
        if name in ("notes", "extended_attributes"):
            continue
        assert name in request
        if request[name] is not None:
            assert type(request[name]) is type(value), name
    assert {n for n, v in request.items() if v is not None} >= {
        "service_request_id",
        "status",
        "service_name",
        "service_code",
        "requested_datetime",
        "updated_datetime",
        "address",
        "lat",
        "long",
        "zipcode",
    }
    assert W3C.match(request["requested_datetime"])
    assert request == {
        "service_request_id": "R1",
        "status": "open",
        "status_notes": None,
        "service_name": "Nids-de-poule",  # the theme's label, not the source's wording
        "service_code": "nids",
        "description": "Trou profond. Rappeler [e-mail removed] ou au [phone removed].",
        "agency_responsible": None,
        "service_notice": "Traité sous 5 jours ouvrés.",
        "requested_datetime": request["requested_datetime"],
        "updated_datetime": request["updated_datetime"],
        "expected_datetime": None,
        "address": "3 rue de Dinan",
        "address_id": None,
        "zipcode": "35400",
        "lat": 48.6493,
        "long": -2.0257,
        "media_url": None,
    }


def test_xml_has_the_elements_of_the_spec_example_in_its_order(client, loaded):
    reference = ElementTree.parse(DATA / "cfa_service_requests.xml").getroot()
    response = get(client, "requests.xml")
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == reference.tag == "service_requests"
    assert {c.tag for c in root} == {c.tag for c in reference} == {"request"}
    expected = [c.tag for c in reference.find("request")]
    for request in root:
        assert [c.tag for c in request] == expected
    first = root.find("request")
    assert first.findtext("service_request_id") == "R1"
    assert first.findtext("lat") == "48.6493"
    assert first.findtext("status_notes") in ("", None)
    single = ElementTree.fromstring(get(client, "requests/R2.xml").content)
    reference_single = ElementTree.parse(DATA / "cfa_get_service_request.xml").getroot()
    assert single.tag == reference_single.tag
    assert [c.tag for c in single.find("request")] == [
        c.tag for c in reference_single.find("request")
    ]
    assert single.findtext("request/status_notes") == "Réparé. Contact: [phone removed]"


def test_empty_list(client, town):
    reference = ElementTree.parse(DATA / "cfa_service_requests_empty.xml").getroot()
    root = ElementTree.fromstring(get(client, "requests.xml").content)
    assert root.tag == reference.tag and len(root) == len(reference) == 0
    assert get(client, "requests.json").json() == []


def test_unknown_request_is_a_404_like_a_real_server(client, loaded):
    reference = ElementTree.parse(DATA / "cfa_get_service_request_not_found.xml").getroot()
    response = get(client, "requests/NOPE.xml")
    assert response.status_code == 404
    root = ElementTree.fromstring(response.content)
    assert root.tag == reference.tag == "errors"
    assert [c.tag for c in root.find("error")] == [c.tag for c in reference.find("error")]
    assert root.findtext("error/code") == "404"
    assert "NOPE" in root.findtext("error/description")
    assert get(client, "requests/NOPE.json").json()[0]["code"] == 404


def test_unknown_tenant_is_a_404(client, loaded):
    response = client.get("/open311/v2/99999/requests.json")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404
    for path in ("services.xml", "services/nids.xml", "requests/R1.xml", "discovery.xml"):
        response = client.get(f"/open311/v2/99999/{path}")
        assert response.status_code == 404
        assert ElementTree.fromstring(response.content).findtext("error/code") == "404"


def test_a_tenant_sees_only_its_own_requests(client, loaded, now):
    other = TenantFactory(code="35049", name="Cancale")
    load_rows(
        other,
        [{"service_request_id": "C1", "status": "open", "requested_datetime": iso(now)}],
    )
    assert "C1" not in ids(get(client, "requests.json"))
    assert get(client, "requests/C1.json").status_code == 404
    assert ids(client.get("/open311/v2/35049/requests.json")) == ["C1"]
    assert client.get("/open311/v2/35049/requests/R1.json").status_code == 404


def test_public_and_cross_origin_readable(client, loaded):
    response = get(client, "requests.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert get(client, "requests/NOPE.json")["Access-Control-Allow-Origin"] == "*"
