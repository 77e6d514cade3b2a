"""The `open311` kind against a real local GeoReport v2 server serving Chicago's real answer (and
the spec's XML example): windows, the 1,000-result cap, incremental runs, spec-bending servers,
the XML fallback and the errors."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from pilotis.connectors import kinds
from pilotis.connectors.kinds import SOURCE_ROW, SourceError
from pilotis.connectors.open311 import SPEC_FIELDS, Open311Kind
from tests.connectors.raw import rows_of as table
from tests.connectors.servers import DATA, FixtureServer, GeoReport, Reply, parse_w3c

CHICAGO = json.loads((DATA / "open311" / "chicago_requests_2012-12-01.json").read_text())
JURISDICTION = "cityofchicago.org"
EXTENSIONS = {
    "notes",
    "extended_attributes.channel",
    "extended_attributes.ward",
    "extended_attributes.police_district",
    "extended_attributes.duplicate",
    "extended_attributes.parent_service_request_id",
}


@pytest.fixture
def server():
    with FixtureServer() as fixture:
        yield fixture


def open_kind(state=None, **config):
    return Open311Kind(config, state).open()


def error_of(**config) -> str:
    with pytest.raises(SourceError) as caught:
        open_kind(**config)
    return caught.value.in_language("en")


def synthetic(count, start, step):
    return [
        {
            "service_request_id": f"S{i}",
            "status": "open",
            "service_code": "001",
            "requested_datetime": (start + i * step).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated_datetime": (start + i * step + timedelta(hours=1)).isoformat(),
        }
        for i in range(count)
    ]


def test_registered():
    kinds.load_builtin_kinds()
    assert kinds.get("open311") is Open311Kind


def test_chicago_answer(server):
    endpoint = GeoReport(CHICAGO, jurisdiction=JURISDICTION).install(server)
    raw = open_kind(
        endpoint=endpoint + "/",
        jurisdiction_id=JURISDICTION,
        start_date="2012-11-01",
        end_date="2012-12-01",  # a date: the whole day
    )
    assert raw.columns[:17] == list(SPEC_FIELDS)
    assert set(raw.columns[17:]) == EXTENSIONS and len(raw.columns) == 23
    rows = table(raw)
    assert len(rows) == 50 and raw.estimated_rows == 50
    assert [r[SOURCE_ROW] for r in rows] == list(range(1, 51))
    assert Counter(r["status"] for r in rows) == {"open": 27, "closed": 16, "submitted": 7}
    assert sum(r["service_request_id"] is None for r in rows) == 7  # kept: the pipeline decides
    assert all(r["service_notice"] is None for r in rows)
    by_id = {r["service_request_id"]: r for r in rows}
    alley = by_id["12-01952587"]
    assert alley["lat"] == "41.68076021609057" and alley["long"] == "-87.66145778555953"
    assert alley["extended_attributes.ward"] == "34"
    assert alley["notes"] == (
        '[{"datetime":"2012-12-01T13:53:02-06:00","summary":"Request opened","type":"opened"}]'
    )
    graffiti = next(r for r in rows if r["address"] == "2509 N Milwaukee Ave Logan Square")
    assert graffiti["lat"] == "41.9269373" and graffiti["service_request_id"] is None
    assert raw.next_state == {"last_updated": "2012-12-01T14:14:27-06:00"}
    assert raw.hints.date_formats == ["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"]
    # Two windows: 30 days, then the rest (dates in Paris time, sent in UTC).
    calls = server.requests_to("/open311/v2/requests.json")
    assert [(c.query["start_date"], c.query["end_date"]) for c in calls] == [
        ("2012-10-31T23:00:00Z", "2012-11-30T23:00:00Z"),
        ("2012-11-30T23:00:00Z", "2012-12-01T23:00:00Z"),
    ]
    assert all(c.query["jurisdiction_id"] == JURISDICTION for c in calls)
    assert raw.description == (
        f"Open311 {endpoint}, requested 2012-10-31T23:00:00Z → 2012-12-01T23:00:00Z, "
        "2 call(s), 50 request(s), JSON"
    )


def test_full_windows_are_split(server):
    records = synthetic(2500, datetime(2024, 1, 1, tzinfo=UTC), timedelta(minutes=6))
    endpoint = GeoReport(records, cap=1000).install(server)
    raw = open_kind(endpoint=endpoint, start_date="2024-01-01T00:00:00Z", end_date="2024-01-12")
    rows = table(raw)
    ids = [r["service_request_id"] for r in rows]
    assert len(ids) == 2500 and set(ids) == {f"S{i}" for i in range(2500)}
    # 11 days → full; 5.5 days → full, then two halves; the other 5.5 days → full, two halves.
    assert len(server.requests_to("/open311/v2/requests.json")) == 7
    assert raw.next_state == {"last_updated": records[-1]["updated_datetime"]}
    assert "still hit" not in raw.description
    assert raw.hints.date_formats == ["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"]


def test_a_burst_beyond_the_cap_is_reported(server):
    burst = synthetic(1200, datetime(2024, 2, 1, 12, tzinfo=UTC), timedelta(0))
    endpoint = GeoReport(burst, cap=1000).install(server)
    raw = open_kind(endpoint=endpoint, start_date="2024-02-01", end_date="2024-02-01")
    assert len(table(raw)) == 1000
    assert "1 window(s) of one minute still hit the server's limit of 1000" in raw.description


def test_incremental_runs(server):
    endpoint = GeoReport(CHICAGO).install(server)
    first = open_kind(endpoint=endpoint, start_date="2012-11-01", end_date="2012-12-02")
    assert len(table(first)) == 50
    state = first.next_state
    again = open_kind(
        state=state, endpoint=endpoint, start_date="2012-11-01", end_date="2012-12-02"
    )
    resumed = datetime(2012, 11, 30, 20, 14, 27, tzinfo=UTC)  # last update - 24 h, in UTC
    assert server.log[-1].query["start_date"] == "2012-11-30T20:14:27Z"
    expected = [r for r in CHICAGO if parse_w3c(r["requested_datetime"]) >= resumed]
    assert len(table(again)) == len(expected) == 43
    assert again.next_state == state
    # Nothing new: the state stays.
    late = {"last_updated": "2012-12-05T00:00:00Z"}
    nothing = open_kind(state=late, endpoint=endpoint, end_date="2012-12-06", overlap_hours=0)
    assert server.log[-1].query["start_date"] == "2012-12-05T00:00:00Z"
    assert table(nothing) == [] and nothing.next_state == late
    assert nothing.columns == list(SPEC_FIELDS)


def test_updated_filter_extension(server):
    endpoint = GeoReport(CHICAGO).install(server)
    raw = open_kind(
        endpoint=endpoint,
        date_filter="updated",
        start_date="2012-12-01T14:00:00-06:00",
        end_date="2012-12-02",
    )
    assert len(table(raw)) == sum(
        parse_w3c(r["updated_datetime"]) >= datetime(2012, 12, 1, 20, tzinfo=UTC) for r in CHICAGO
    )
    assert server.log[-1].query["updated_after"] == "2012-12-01T20:00:00Z"
    assert "start_date" not in server.log[-1].query


def test_status_filter_and_api_key_from_the_environment(server, monkeypatch):
    endpoint = GeoReport(CHICAGO, api_key="k3y-secret").install(server)
    monkeypatch.setenv("PILOTIS_SOURCE_SECRET_TEST_311_KEY", "k3y-secret")
    raw = open_kind(
        endpoint=endpoint,
        api_key_env="PILOTIS_SOURCE_SECRET_TEST_311_KEY",
        status=["open", "closed"],
        start_date="2012-11-01",
        end_date="2012-12-02",
        window_days=90,
    )
    assert len(table(raw)) == 43
    assert server.log[-1].query["status"] == "open,closed"
    assert server.log[-1].query["api_key"] == "k3y-secret"
    assert "k3y" not in raw.description


def test_wrong_api_key(server):
    endpoint = GeoReport(CHICAGO, api_key="k3y-secret").install(server)
    message = error_of(endpoint=endpoint, api_key="wrong-key", start_date="2012-11-20")
    assert "HTTP 403 (Forbidden): Invalid api_key" in message
    assert "wrong-key" not in message


def test_unknown_jurisdiction(server):
    endpoint = GeoReport(CHICAGO, jurisdiction=JURISDICTION).install(server)
    message = error_of(endpoint=endpoint, jurisdiction_id="paris.fr", start_date="2012-11-20")
    assert "HTTP 404" in message and "jurisdiction_id not found" in message


def test_xml_when_json_is_not_offered(server):
    xml = (DATA / "open311" / "cfa_service_requests.xml").read_bytes()
    server.route("/v2/requests.json", Reply.text("<html>Not found</html>", 404, "text/html"))
    server.route("/v2/requests.xml", Reply(body=xml, content_type="text/xml"))
    raw = open_kind(
        endpoint=server.url("/v2/requests.json"),
        start_date="2010-04-13",
        end_date="2010-04-20",
        window_days=4,
    )
    assert raw.columns == list(SPEC_FIELDS)
    rows = table(raw)
    assert len(rows) == 2  # both windows return the same two: kept once
    assert rows[0]["service_request_id"] == "638344"
    assert rows[0]["status_notes"] == "Duplicate request."
    assert rows[0]["description"] is None
    assert rows[0]["lat"] == "37.762221815"
    assert (
        rows[1]["media_url"]
        == "http://open311.city.gov.s3.amazonaws.com/requests/media/638349.rss "
    )
    assert raw.description.endswith("2 call(s), 2 request(s), XML")
    assert len(server.requests_to("/v2/requests.json")) == 1  # then XML only
    assert raw.next_state == {"last_updated": "2010-04-19T06:37:38-08:00"}


def test_xml_on_request(server):
    endpoint = GeoReport(CHICAGO).install(server)
    raw = open_kind(endpoint=endpoint, format="xml", start_date="2012-11-01", end_date="2012-12-02")
    rows = table(raw)
    assert len(rows) == 50
    assert next(r for r in rows if r["service_request_id"] == "12-01952587")["lat"] == (
        "41.68076021609057"
    )
    assert server.requests_to("/open311/v2/requests.json") == []


def test_empty_xml_answer(server):
    empty = (DATA / "open311" / "cfa_service_requests_empty.xml").read_bytes()
    server.route("/v2/requests.xml", Reply(body=empty, content_type="text/xml"))
    raw = open_kind(endpoint=server.url("/v2"), format="xml", start_date="2024-01-01")
    assert raw.columns == list(SPEC_FIELDS)
    assert table(raw) == [] and raw.next_state == {}


def test_answers_wrapped_in_an_object(server):
    server.route("/w/requests.json", Reply.json({"service_requests": CHICAGO[:3]}))
    raw = open_kind(endpoint=server.url("/w"), start_date="2024-01-01", end_date="2024-01-02")
    assert len(table(raw)) == 3


def test_errors(server):
    server.route("/e/requests.json", Reply.json([{"code": 400, "description": "Bad dates"}]))
    assert "answered with an error: Bad dates" in error_of(
        endpoint=server.url("/e"), start_date="2024-01-01"
    )
    server.route("/h/requests.json", Reply.text("<!DOCTYPE html><html></html>", 200, "text/html"))
    assert "returned a web page, not JSON" in error_of(
        endpoint=server.url("/h"), start_date="2024-01-01"
    )
    server.route("/j/requests.json", Reply(body=b"[{]"))
    assert "did not return valid JSON" in error_of(
        endpoint=server.url("/j"), start_date="2024-01-01"
    )
    entity = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><service_requests/>'
    server.route("/x/requests.xml", Reply(body=entity, content_type="text/xml"))
    assert "did not return valid XML" in error_of(
        endpoint=server.url("/x"), format="xml", start_date="2024-01-01"
    )
    server.route("/s/requests.json", Reply.json([], delay=1.0))
    assert "did not answer within 0.2 seconds" in error_of(
        endpoint=server.url("/s"), start_date="2024-01-01", timeout=0.2
    )
    server.route("/m/requests.json", Reply.json([]))
    message = error_of(
        endpoint=server.url("/m"), start_date="2024-01-01", end_date="2024-01-05", window_days=1,
        max_pages=2,
    )  # fmt: skip
    assert "needs more than 2 calls" in message


def test_bad_options():
    assert "“endpoint” is required" in error_of()
    message = error_of(endpoint="http://127.0.0.1/x", start_date="01/02/2024")
    assert "“start_date” must be a date or a datetime in ISO 8601" in message
    assert "must be one of: json, xml" in error_of(endpoint="http://127.0.0.1/x", format="csv")
    message = error_of(endpoint="http://127.0.0.1/x", date_filter="closed")
    assert "must be one of: requested, updated" in message
