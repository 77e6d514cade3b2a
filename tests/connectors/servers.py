"""A real local HTTP server for the remote source kinds, and the APIs it plays.

`FixtureServer` is a `ThreadingHTTPServer` on 127.0.0.1 (a free port) in a thread; each test adds
routes (path → function of the request giving a `Reply`). The APIs below are real implementations
of what the kinds read: a JSON API in every pagination style, a GeoReport v2 (Open311) endpoint
with a result cap and date filters, a CKAN Action API and a udata API. Every request is logged in
`server.log`, so tests can check what the kinds asked for.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

DATA = Path(__file__).parent / "data"


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    stall: float = 0.0  # seconds to wait after the headers and half the body
    length: bool = True  # send Content-Length (else the body ends when the connection closes)

    @classmethod
    def json(cls, data: Any, status: int = 200, **kwargs: Any) -> Reply:
        return cls(status=status, body=json.dumps(data).encode(), **kwargs)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain", **kwargs: Any):
        return cls(status=status, body=text.encode(), content_type=content_type, **kwargs)


Route = Callable[[Request], Reply]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        parts = urlsplit(self.path)
        request = Request(
            path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        fixture = self.server.fixture
        fixture.log.append(request)
        route = fixture.routes.get(parts.path)
        reply = route(request) if route else Reply.text("no such route", 404)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.length:
                self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.stall:
                half = len(reply.body) // 2
                self.wfile.write(reply.body[:half])
                self.wfile.flush()
                time.sleep(reply.stall)
                self.wfile.write(reply.body[half:])
            else:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout or a size cap): expected

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fixture: FixtureServer


class FixtureServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fixture = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, route: Route | Reply) -> None:
        self.routes[path] = route if callable(route) else (lambda _request: route)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]


def closed_port() -> int:
    """A local port nobody listens on (connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a JSON API in every pagination style ------------------------------------------------------


def add_paged_api(server: FixtureServer, records: list[dict[str, Any]], per_page: int) -> None:
    """The same records behind /page, /offset, /cursor, /next, /link, /hal and /plain."""

    def by_page(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("per_page", per_page))
        chunk = records[(page - 1) * size : page * size]
        return Reply.json({"meta": {"total": len(records)}, "data": chunk})

    def by_offset(request: Request) -> Reply:
        offset = int(request.query.get("offset", "0"))
        limit = min(int(request.query.get("limit", "100")), per_page)  # the server caps pages
        return Reply.json({"count": len(records), "results": records[offset : offset + limit]})

    def by_cursor(request: Request) -> Reply:
        cursor = request.query.get("after")
        start = int(base64.b64decode(cursor)) if cursor else 0
        end = start + per_page
        following = base64.b64encode(str(end).encode()).decode() if end < len(records) else None
        return Reply.json({"items": records[start:end], "paging": {"next": following}})

    def by_next(request: Request) -> Reply:
        page = int(request.query.get("p", "1"))
        body: dict[str, Any] = {"records": records[(page - 1) * per_page : page * per_page]}
        if page * per_page < len(records):
            # A relative link without the other parameters: the kind keeps them.
            body["links"] = {"next": f"next?p={page + 1}"}
        return Reply.json(body)

    def by_link(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        headers = {}
        if page * per_page < len(records):
            following = server.url(f"/link?page={page + 1}&token={request.query.get('token')}")
            headers["Link"] = f'<{following}>; rel="next", <{server.url("/link")}>; rel="first"'
        return Reply.json(records[(page - 1) * per_page : page * per_page], headers=headers)

    def by_hal(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        body: dict[str, Any] = {
            "_embedded": {"items": records[(page - 1) * per_page : page * per_page]},
            "_links": {"self": {"href": f"/hal?page={page}"}},
        }
        if page * per_page < len(records):
            body["_links"]["next"] = {"href": f"/hal?page={page + 1}"}
        return Reply.json(body)

    server.route("/page", by_page)
    server.route("/offset", by_offset)
    server.route("/cursor", by_cursor)
    server.route("/next", by_next)
    server.route("/link", by_link)
    server.route("/hal", by_hal)
    server.route("/plain", Reply.json(records))


# --- GeoReport v2 (Open311) --------------------------------------------------------------------


def parse_w3c(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class GeoReport:
    """A GeoReport v2 `requests.json` / `requests.xml` endpoint over a list of requests.

    Like real servers: at most `cap` results per call (the most recent first), `start_date` /
    `end_date` filter `requested_datetime` (inclusive), `updated_after` / `updated_before` filter
    `updated_datetime` (an extension Chicago offers), `status` takes a comma-separated list,
    `jurisdiction_id` and `api_key` are checked when set. Errors follow the spec:
    [{"code": 403, "description": "…"}]."""

    def __init__(
        self,
        records: list[dict[str, Any]],
        cap: int = 1000,
        api_key: str | None = None,
        jurisdiction: str | None = None,
        xml_only: bool = False,
    ) -> None:
        self.records = records
        self.cap = cap
        self.api_key = api_key
        self.jurisdiction = jurisdiction
        self.xml_only = xml_only

    def install(self, server: FixtureServer, base: str = "/open311/v2") -> str:
        server.route(f"{base}/requests.json", self.json)
        server.route(f"{base}/requests.xml", self.xml)
        return server.url(base)

    def select(self, query: dict[str, str]) -> list[dict[str, Any]] | Reply:
        if self.api_key and query.get("api_key") != self.api_key:
            return Reply.json([{"code": 403, "description": "Invalid api_key"}], 403)
        if self.jurisdiction and query.get("jurisdiction_id") != self.jurisdiction:
            return Reply.json([{"code": 404, "description": "jurisdiction_id not found"}], 404)
        found = self.records
        for param, key, keep in (
            ("start_date", "requested_datetime", lambda v, b: v >= b),
            ("end_date", "requested_datetime", lambda v, b: v <= b),
            ("updated_after", "updated_datetime", lambda v, b: v >= b),
            ("updated_before", "updated_datetime", lambda v, b: v <= b),
        ):
            if param in query:
                bound = parse_w3c(query[param])
                found = [r for r in found if keep(parse_w3c(r[key]), bound)]
        if "status" in query:
            statuses = query["status"].split(",")
            found = [r for r in found if r.get("status") in statuses]
        found = sorted(found, key=lambda r: parse_w3c(r["requested_datetime"]), reverse=True)
        return found[: self.cap]

    def json(self, request: Request) -> Reply:
        if self.xml_only:
            return Reply.text("<html><body>Not Found</body></html>", 404, "text/html")
        found = self.select(request.query)
        return found if isinstance(found, Reply) else Reply.json(found)

    def xml(self, request: Request) -> Reply:
        found = self.select(request.query)
        if isinstance(found, Reply):
            return found
        items = []
        for record in found:
            fields = "".join(
                f"<{k}>{escape(str(v))}</{k}>"
                for k, v in record.items()
                if not isinstance(v, (dict, list))
            )
            items.append(f"<request>{fields}</request>")
        body = '<?xml version="1.0" encoding="utf-8"?>\n<service_requests>'
        return Reply.text(body + "".join(items) + "</service_requests>", 200, "text/xml")


# --- open-data portals -------------------------------------------------------------------------


def add_ckan(
    server: FixtureServer, datasets: dict[str, dict[str, Any]], api_key: str | None = None
) -> str:
    """A CKAN Action API answering `package_show?id=<id or name>`."""

    def package_show(request: Request) -> Reply:
        wanted = request.query.get("id", "")
        for dataset in datasets.values():
            if wanted in (dataset["id"], dataset["name"]):
                if dataset.get("private") and request.header("Authorization") != api_key:
                    error = {"message": "Access denied", "__type": "Authorization Error"}
                    return Reply.json({"success": False, "error": error}, 403)
                return Reply.json({"help": "package_show", "success": True, "result": dataset})
        error = {"message": "Not found", "__type": "Not Found Error"}
        return Reply.json({"help": "package_show", "success": False, "error": error}, 404)

    server.route("/ckan/api/3/action/package_show", package_show)
    return server.url("/ckan")


def add_udata(server: FixtureServer, datasets: dict[str, dict[str, Any]]) -> str:
    """A udata API answering `/api/1/datasets/<id or slug>/`."""

    def dataset(request: Request) -> Reply:
        wanted = request.path.removeprefix("/udata/api/1/datasets/").strip("/")
        for item in datasets.values():
            if wanted in (item["id"], item["slug"]):
                return Reply.json(item)
        return Reply.json({"message": "Not found", "status": 404}, 404)

    for item in datasets.values():
        for key in ("id", "slug"):
            server.route(f"/udata/api/1/datasets/{item[key]}/", dataset)
    server.route("/udata/api/1/datasets/unknown/", dataset)
    return server.url("/udata")
