"""The mobile-app vendor's Open311 (GeoReport v2) server, for the demo: standard library only.

`pilotis demo` starts it on 127.0.0.1 (a free port) for the time of the load, so that the mobile
app's requests reach Pilotis as they would from the vendor's real server: through the `open311`
source kind, over HTTP. It answers like real servers do, bends included:

- `GET /open311/v2/requests.json` with `jurisdiction_id` (one per commune: its INSEE code),
  `start_date` / `end_date` (W3C datetimes, on `requested_datetime`; without them, the 90 days
  before now), `status` (open, closed, or both, comma-separated), `service_code`, and a `page`
  (1-based) — at most `cap` (1,000) requests per answer, the most recent first, as real servers;
- statuses beyond the spec's open/closed (`submitted`, `acknowledged`, `in_progress`), requests
  not yet moderated published without `service_request_id`, fields the spec does not have
  (`token`, `extended_attributes` with the commune, the internal service, the first response,
  the closure, the reopenings…);
- `GET /open311/v2/services.json` and `GET /open311/v2/requests/<id>.json`;
- errors as GeoReport error lists: `[{"code": 400, "description": "…"}]`.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/open311/v2"
DEFAULT_CAP = 1000
DEFAULT_RANGE = timedelta(days=90)
OPEN_STATUSES = ("open", "submitted", "acknowledged", "in_progress")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Jurisdiction:
    """One commune's requests, sorted by `requested_datetime`, with their instants."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        pairs = sorted(
            ((_moment(str(r["requested_datetime"])).timestamp(), dict(r)) for r in records),
            key=lambda pair: pair[0],
        )
        self.instants = [instant for instant, _record in pairs]
        self.records = [record for _instant, record in pairs]
        self.by_id = {
            str(r["service_request_id"]): r for r in self.records if r.get("service_request_id")
        }

    def between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        first = bisect_left(self.instants, start.timestamp())
        last = bisect_right(self.instants, end.timestamp())
        return self.records[first:last]


class BadRequest(Exception):
    pass


class Open311VendorServer:
    """A GeoReport v2 server over the given requests, in a thread. Use as a context manager:

    with Open311VendorServer({"35288": records}) as server:
        server.endpoint   # "http://127.0.0.1:PORT/open311/v2"
    """

    def __init__(
        self,
        requests: Mapping[str, Iterable[Mapping[str, Any]]],
        services: Iterable[Mapping[str, Any]] = (),
        cap: int = DEFAULT_CAP,
    ) -> None:
        self.jurisdictions = {code: _Jurisdiction(records) for code, records in requests.items()}
        self.services = [dict(s) for s in services]
        self.cap = cap
        self.calls = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def start(self) -> Open311VendorServer:
        vendor = self

        class Handler(_Handler):
            server_vendor = vendor

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Open311VendorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the API ------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        with self._lock:
            self.calls += 1
        if not path.startswith(PREFIX + "/"):
            return 404, [{"code": 404, "description": "Not found"}]
        resource = path[len(PREFIX) + 1 :]
        try:
            if resource == "services.json":
                return 200, self.services
            jurisdiction = self._jurisdiction(query)
            if resource == "requests.json":
                return 200, self._requests(jurisdiction, query)
            if resource.startswith("requests/") and resource.endswith(".json"):
                identifier = resource[len("requests/") : -len(".json")]
                record = jurisdiction.by_id.get(identifier)
                if record is None:
                    return 404, [{"code": 404, "description": f"No request {identifier}"}]
                return 200, [record]
        except BadRequest as error:
            return 400, [{"code": 400, "description": str(error)}]
        return 404, [{"code": 404, "description": "Not found"}]

    def _jurisdiction(self, query: dict[str, str]) -> _Jurisdiction:
        code = query.get("jurisdiction_id", "")
        if code not in self.jurisdictions:
            raise BadRequest(f"Unknown jurisdiction_id: {code!r}")
        return self.jurisdictions[code]

    def _requests(self, jurisdiction: _Jurisdiction, query: dict[str, str]) -> list[Any]:
        try:
            end = _moment(query["end_date"]) if query.get("end_date") else datetime.now(UTC)
            start = _moment(query["start_date"]) if query.get("start_date") else end - DEFAULT_RANGE
            page = int(query.get("page") or 1)
        except ValueError as error:
            raise BadRequest(f"Invalid parameter: {error}") from None
        if page < 1:
            raise BadRequest("page starts at 1")
        records = jurisdiction.between(start, end)
        statuses = {s.strip() for s in query.get("status", "").split(",") if s.strip()}
        if statuses:
            wanted: set[str] = set()
            if "open" in statuses:
                wanted.update(OPEN_STATUSES)
            wanted.update(statuses - {"open"})
            records = [r for r in records if r.get("status") in wanted]
        codes = {s.strip() for s in query.get("service_code", "").split(",") if s.strip()}
        if codes:
            records = [r for r in records if r.get("service_code") in codes]
        records = records[::-1]  # the most recent first
        return records[(page - 1) * self.cap : page * self.cap]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the kind makes dozens of calls
    disable_nagle_algorithm = True  # else each answer's body waits for the client's ACK (40 ms)
    server_vendor: Open311VendorServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        status, data = self.server_vendor.answer(parts.path, query)
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        """Quiet: `pilotis demo` prints its own summary."""
