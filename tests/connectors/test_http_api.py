"""The `http_json` kind against a real local HTTP server: every pagination style, columns learnt
across pages, exact number text, authentication kept to its host, and every failure a clerk may
meet (refused, timeout, HTTP errors, web pages, invalid JSON, size and page caps)."""

import os

import pytest

from pilotis.connectors import kinds
from pilotis.connectors.http_api import HttpJsonKind
from pilotis.connectors.kinds import SOURCE_ROW, SourceError
from tests.connectors.raw import rows_of as table
from tests.connectors.servers import FixtureServer, Reply, add_paged_api, closed_port

RECORDS = [
    {
        "id": i,
        "label": f"Nid de poule n°{i}",
        "created": f"2024-01-{i:02d}T08:30:00+01:00",
        "open": i % 2 == 0,
        "geo": {"lat": round(48.6 + i / 100, 2), "lon": -2.0},
        "tags": ["voirie", "urgent"] if i % 5 == 0 else [],
        "note": None,
        **({"late": f"x{i}"} if i > 20 else {}),  # a key first seen on the third page
    }
    for i in range(1, 26)
]
COLUMNS = ["id", "label", "created", "open", "geo.lat", "geo.lon", "tags", "note", "late"]


@pytest.fixture
def server():
    with FixtureServer() as fixture:
        add_paged_api(fixture, RECORDS, per_page=10)
        yield fixture


def open_kind(**config):
    return HttpJsonKind(config).open()


def error_of(**config) -> str:
    with pytest.raises(SourceError) as caught:
        open_kind(**config)
    return caught.value.in_language("en")


def check_all_records(raw, rows):
    assert raw.columns == COLUMNS
    assert raw.estimated_rows == 25
    assert len(rows) == 25
    assert [r[SOURCE_ROW] for r in rows] == list(range(1, 26))
    assert rows[0] == {
        "id": "1",
        "label": "Nid de poule n°1",
        "created": "2024-01-01T08:30:00+01:00",
        "open": "false",
        "geo.lat": "48.61",
        "geo.lon": "-2.0",
        "tags": "[]",
        "note": None,
        "late": None,
        SOURCE_ROW: 1,
    }
    assert rows[4]["tags"] == '["voirie","urgent"]'
    assert rows[1]["open"] == "true"
    assert [r["late"] for r in rows[19:]] == [None, "x21", "x22", "x23", "x24", "x25"]
    assert raw.hints.date_formats == ["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"]


def test_registered():
    kinds.load_builtin_kinds()
    assert kinds.get("http_json") is HttpJsonKind


def test_page_pagination(server):
    raw = open_kind(
        url=server.url("/page"),
        records_path="data",
        pagination="page",
        page_size_param="per_page",
        page_size=10,
    )
    check_all_records(raw, table(raw))
    asked = [(r.query["page"], r.query["per_page"]) for r in server.requests_to("/page")]
    assert asked == [("1", "10"), ("2", "10"), ("3", "10"), ("4", "10")]  # page 4 is empty
    assert raw.description == (
        f"JSON API {server.url('/page')}, pagination page, 4 page(s), 25 record(s), "
        "records at “data”"
    )


def test_pagination_as_a_mapping_and_records_found_alone(server):
    raw = open_kind(
        url=server.url("/page"),
        pagination={"type": "page", "page_size_param": "per_page", "page_size": 7},
    )
    check_all_records(raw, table(raw))
    assert len(server.requests_to("/page")) == 5  # 7 + 7 + 7 + 4, then an empty page
    assert "records at “data”" in raw.description


def test_offset_pagination_follows_what_the_server_gives(server):
    # The kind asks for 100 at a time; the server caps pages at 10: the offset moves by 10.
    raw = open_kind(url=server.url("/offset"), pagination="offset", limit=100)
    check_all_records(raw, table(raw))
    asked = [(r.query["offset"], r.query["limit"]) for r in server.requests_to("/offset")]
    assert asked == [("0", "100"), ("10", "100"), ("20", "100"), ("25", "100")]


def test_cursor_pagination(server):
    raw = open_kind(
        url=server.url("/cursor"),
        pagination="cursor",
        cursor_path="paging.next",
        cursor_param="after",
        params={"lang": "fr"},
    )
    check_all_records(raw, table(raw))
    asked = server.requests_to("/cursor")
    assert len(asked) == 3  # the third page has no next cursor
    assert "after" not in asked[0].query
    assert all(r.query["lang"] == "fr" for r in asked)


def test_next_link_in_the_body_keeps_the_configured_parameters(server):
    raw = open_kind(
        url=server.url("/next"),
        pagination="next_link",
        next_path="links.next",
        params={"lang": "fr"},
    )
    check_all_records(raw, table(raw))
    asked = server.requests_to("/next")
    assert [r.query for r in asked] == [
        {"lang": "fr"},
        {"p": "2", "lang": "fr"},
        {"p": "3", "lang": "fr"},
    ]


def test_next_link_hal_style(server):
    raw = open_kind(url=server.url("/hal"), pagination="next_link", next_path="_links.next")
    rows = table(raw)
    check_all_records(raw, rows)
    assert "records at “_embedded.items”" in raw.description


def test_link_header_and_secret_query_parameter(server, monkeypatch):
    monkeypatch.setenv("PILOTIS_SOURCE_SECRET_TEST_TOKEN", "t0ken-secret")
    raw = open_kind(
        url=server.url("/link"),
        pagination="next_link",
        auth_param="token",
        auth_value_env="PILOTIS_SOURCE_SECRET_TEST_TOKEN",
    )
    check_all_records(raw, table(raw))
    asked = server.requests_to("/link")
    assert [r.query for r in asked] == [
        {"token": "t0ken-secret"},
        {"page": "2", "token": "t0ken-secret"},  # not repeated: the link carries it
        {"page": "3", "token": "t0ken-secret"},
    ]
    assert "t0ken" not in raw.description


def test_no_pagination_reads_one_answer(server):
    raw = open_kind(url=server.url("/plain"))
    check_all_records(raw, table(raw))
    assert raw.description.endswith("pagination none, 1 page(s), 25 record(s)")


def test_no_pagination_says_when_the_api_has_more_pages(server):
    raw = open_kind(url=server.url("/link"))
    assert len(table(raw)) == 10
    assert "the API offers more pages: set “pagination”" in raw.description


def test_numbers_keep_their_exact_text(server):
    body = (
        b'{"items": [{"a": 1.10, "b": -87.67630400000002, "c": 12345678901234567890123, '
        b'"d": 1e3, "e": 0.1, "f": [1.50, {"g": 2.0}], "h": true, "i": "", "j": {}}]}'
    )
    server.route("/numbers", Reply(body=body))
    raw = open_kind(url=server.url("/numbers"))
    assert table(raw) == [
        {
            "a": "1.10",
            "b": "-87.67630400000002",
            "c": "12345678901234567890123",
            "d": "1e3",
            "e": "0.1",
            "f": '[1.50,{"g":2.0}]',
            "h": "true",
            "i": "",
            SOURCE_ROW: 1,
        }
    ]
    assert raw.hints.date_formats == []


def test_bare_values_and_source_row_name_clash(server):
    server.route("/values", Reply.json([1, "two", None]))
    raw = open_kind(url=server.url("/values"))
    assert [(r["value"], r[SOURCE_ROW]) for r in table(raw)] == [("1", 1), ("two", 2), (None, 3)]
    server.route("/clash", Reply.json([{"_source_row": "7", "x": "a"}]))
    raw = open_kind(url=server.url("/clash"))
    assert raw.columns == ["_source_row (source)", "x"]
    assert table(raw) == [{"_source_row (source)": "7", "x": "a", SOURCE_ROW: 1}]


def test_an_empty_answer_is_no_rows(server):
    server.route("/empty", Reply.json({"data": [], "meta": {"total": 0}}))
    raw = open_kind(url=server.url("/empty"))
    assert raw.columns == [] and raw.estimated_rows == 0
    assert table(raw) == []


def test_page_beyond_the_last_may_be_not_found(server):
    def pages(request):
        page = int(request.query["page"])
        return Reply.json({"data": [{"n": page}]}) if page <= 2 else Reply.json({}, 404)

    server.route("/drf", pages)
    raw = open_kind(url=server.url("/drf"), pagination="page")
    assert [r["n"] for r in table(raw)] == ["1", "2"]


def test_many_pages_stream_in_batches(server):
    def pages(request):
        page = int(request.query["page"])
        chunk = [{"n": n} for n in range((page - 1) * 5000, min(page * 5000, 23_000))]
        return Reply.json(chunk)

    server.route("/big-paged", pages)
    raw = open_kind(url=server.url("/big-paged"), pagination="page", start_page=1)
    batches = list(raw.batches())
    assert [b.num_rows for b in batches] == [10_000, 10_000, 3_000]
    assert batches[2].column(SOURCE_ROW).to_pylist()[-1] == 23_000
    assert batches[2].column("n").to_pylist()[-1] == "22999"
    raw.cleanup()


def test_authorization_header_from_the_environment(server, monkeypatch):
    def guarded(request):
        if request.header("Authorization") != "Bearer s3cret-value":
            return Reply.json({"error": "unauthorized"}, 401)
        return Reply.json([{"ok": "yes"}])

    server.route("/guarded", guarded)
    message = error_of(url=server.url("/guarded"))
    assert "HTTP 401" in message and "authentication" in message
    monkeypatch.setenv("PILOTIS_SOURCE_SECRET_TEST_SECRET", "s3cret-value")
    raw = open_kind(
        url=server.url("/guarded"),
        auth_value_env="PILOTIS_SOURCE_SECRET_TEST_SECRET",
        auth_prefix="Bearer",
    )
    assert table(raw) == [{"ok": "yes", SOURCE_ROW: 1}]
    raw = open_kind(url=server.url("/guarded"), headers={"Authorization": "Bearer s3cret-value"})
    assert table(raw) == [{"ok": "yes", SOURCE_ROW: 1}]


def test_missing_secret_variable(server, monkeypatch):
    monkeypatch.delenv("PILOTIS_SOURCE_SECRET_TEST_ABSENT", raising=False)
    message = error_of(url=server.url("/plain"), auth_value_env="PILOTIS_SOURCE_SECRET_TEST_ABSENT")
    assert "PILOTIS_SOURCE_SECRET_TEST_ABSENT" in message and "not set" in message


def test_secrets_stay_with_their_host(server):
    with FixtureServer() as other:
        other.route("/elsewhere", Reply.json({"data": [{"n": "2"}]}))
        server.route(
            "/to-other",
            Reply.json({"data": [{"n": "1"}], "next": other.url("/elsewhere")}),
        )
        raw = open_kind(
            url=server.url("/to-other"),
            pagination="next_link",
            next_path="next",
            headers={"Authorization": "Bearer abc", "X-Api-Key": "k"},
            params={"api_key": "k"},
        )
        assert [r["n"] for r in table(raw)] == ["1", "2"]
        first = server.requests_to("/to-other")[0]
        assert first.header("Authorization") == "Bearer abc"
        elsewhere = other.requests_to("/elsewhere")[0]
        assert elsewhere.header("Authorization") is None
        assert elsewhere.header("X-Api-Key") is None
        assert elsewhere.query == {}


def test_password_in_the_address_is_not_shown(server):
    message = error_of(url=f"http://user:hunter2@127.0.0.1:{server.port}/missing?key=abc")
    assert "HTTP 404" in message
    assert "hunter2" not in message and "abc" not in message and "user" not in message
    assert f"http://127.0.0.1:{server.port}/missing" in message


def test_connection_refused():
    message = error_of(url=f"http://127.0.0.1:{closed_port()}/api")
    assert "connection was refused" in message


def test_unknown_host():
    message = error_of(url="http://pilotis-no-such-host.invalid/api", timeout=2)
    assert "unknown" in message and "pilotis-no-such-host.invalid" in message


def test_invalid_address():
    assert "not a valid web address" in error_of(url="ftp.example.org/data")


def test_timeout_before_the_answer(server):
    server.route("/slow", Reply.json([{"a": 1}], delay=1.0))
    message = error_of(url=server.url("/slow"), timeout=0.2)
    assert "did not answer within 0.2 seconds" in message and "timeout" in message


def test_timeout_in_the_middle_of_the_body(server):
    server.route("/stalls", Reply.json([{"a": "x" * 100}] * 50, stall=1.0))
    message = error_of(url=server.url("/stalls"), read_timeout=0.2)
    assert "did not answer within 0.2 seconds" in message


def test_web_page_instead_of_json(server):
    login = "<!DOCTYPE html><html><body><form>Login</form></body></html>"
    server.route("/login", Reply.text(login, 200, "text/html"))
    message = error_of(url=server.url("/login"))
    assert "returned a web page, not JSON: check the URL or the authentication" in message


def test_json_with_a_wrong_content_type_is_read(server):
    server.route("/php", Reply(body=b'[{"a": 1}]', content_type="text/html"))
    assert table(open_kind(url=server.url("/php"))) == [{"a": "1", SOURCE_ROW: 1}]


def test_http_errors_say_the_status(server):
    server.route("/html404", Reply.text("<html><body>Not found</body></html>", 404, "text/html"))
    server.route("/boom", Reply.text("Internal error", 500))
    server.route("/teapot", Reply.text("no", 418))
    server.route("/busy", Reply.text("later", 429))
    message = error_of(url=server.url("/html404"))
    assert "HTTP 404 (Not Found)" in message and "Check the address" in message
    message = error_of(url=server.url("/boom"))
    assert "HTTP 500 (Internal Server Error)" in message and "server failed" in message
    assert "HTTP 418" in error_of(url=server.url("/teapot"))
    assert "too many requests" in error_of(url=server.url("/busy"))


def test_a_failing_later_page_fails_the_whole_read(server):
    def pages(request):
        if request.query["page"] == "3":
            return Reply.text("oops", 502)
        return Reply.json([{"p": request.query["page"]}])

    server.route("/flaky", pages)
    message = error_of(url=server.url("/flaky"), pagination="page")
    assert "HTTP 502" in message


def test_invalid_json(server):
    server.route("/broken", Reply(body=b'{"data": [{"a": 1},]}'))
    server.route("/blank", Reply(body=b"  "))
    message = error_of(url=server.url("/broken"))
    assert "did not return valid JSON" in message and "line 1 column 20" in message
    assert "empty answer" in error_of(url=server.url("/blank"))


def test_unexpected_shapes(server):
    server.route("/scalar", Reply.json("hello"))
    server.route("/nolist", Reply.json({"status": "ok", "count": 3}))
    server.route("/two", Reply.json({"a": [{"x": 1}], "b": {"c": [{"y": 2}]}}))
    server.route("/notalist", Reply.json({"data": {"x": 1}}))
    assert "is text, not a list of records" in error_of(url=server.url("/scalar"))
    message = error_of(url=server.url("/nolist"))
    assert "holds no list of records" in message and "status, count" in message
    message = error_of(url=server.url("/two"))
    assert "several lists of records (a, b.c)" in message and "records_path" in message
    raw = open_kind(url=server.url("/two"), records_path="b.c")
    assert table(raw) == [{"y": "2", SOURCE_ROW: 1}]
    message = error_of(url=server.url("/two"), records_path="d")
    assert "nothing at “d”" in message and "Keys found: a, b" in message
    message = error_of(url=server.url("/notalist"), records_path="data")
    assert "holds an object, not a list of records" in message


def test_answer_larger_than_the_cap(server):
    body = b'[{"a": "' + b"x" * 5000 + b'"}]'
    server.route("/big", Reply(body=body))
    server.route("/big-streamed", Reply(body=body, length=False))
    for path in ("/big", "/big-streamed"):
        message = error_of(url=server.url(path), max_page_mb=0.001)
        assert "larger than 0.001 MB" in message and "max_page_mb" in message
    assert len(table(open_kind(url=server.url("/big-streamed"), max_page_mb=0.01))) == 1


def test_too_many_pages(server):
    server.route("/endless", lambda request: Reply.json([{"p": request.query.get("page")}]))
    message = error_of(url=server.url("/endless"), pagination="page", max_pages=3)
    assert "still had pages after 3 pages" in message and "max_pages" in message


def test_api_ignoring_the_page_parameter(server):
    message = error_of(url=server.url("/plain"), pagination="page", page_param="pg")
    assert "returned the same page twice" in message


def test_next_link_loop(server):
    server.route("/loop", lambda request: Reply.json({"d": [{"a": 1}], "next": "/loop"}))
    message = error_of(url=server.url("/loop"), pagination="next_link", next_path="next")
    assert "links back to a page already read" in message


def test_bad_options(server):
    assert "“url” is required" in error_of()
    assert "must be one of: none, page" in error_of(url=server.url("/plain"), pagination="pages")
    message = error_of(url=server.url("/plain"), pagination="cursor")
    assert "“cursor_path” is required" in message
    assert "positive number" in error_of(url=server.url("/plain"), timeout="soon")
    assert "whole number" in error_of(url=server.url("/plain"), max_pages=0)
    assert "mapping of names to values" in error_of(url=server.url("/plain"), headers=["x"])


def test_temporary_file_is_removed(server):
    raw = open_kind(url=server.url("/plain"))
    spool = raw.cleanup.__self__.path
    assert os.path.exists(spool)
    table(raw)
    assert not os.path.exists(spool)


def test_redirects_keep_secrets_at_home(server, monkeypatch):
    monkeypatch.setenv("PILOTIS_SOURCE_SECRET_TEST_KEY", "k-secret")
    secret = {
        "headers": {"X-Api-Key": "k"},
        "auth_param": "key",
        "auth_value_env": "PILOTIS_SOURCE_SECRET_TEST_KEY",
    }
    with FixtureServer() as other:
        other.route("/target", Reply.json([{"n": "far"}]))
        server.route("/target", Reply.json([{"n": "near"}]))
        server.route("/away", Reply(status=302, headers={"Location": other.url("/target")}))
        server.route("/home", Reply(status=301, headers={"Location": "/target"}))
        server.route("/circle", Reply(status=302, headers={"Location": "/circle"}))
        assert table(open_kind(url=server.url("/away"), **secret))[0]["n"] == "far"
        far = other.requests_to("/target")[0]
        assert far.header("X-Api-Key") is None and far.query == {}
        assert table(open_kind(url=server.url("/home"), **secret))[0]["n"] == "near"
        near = server.requests_to("/target")[0]
        assert near.header("X-Api-Key") == "k" and near.query == {"key": "k-secret"}
        assert "redirects too many times" in error_of(url=server.url("/circle"))
