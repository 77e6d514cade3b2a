"""Open311 GeoReport v2 servers (`open311`): the service requests a city's 311 endpoint publishes.

GeoReport v2 has no pagination: `GET requests.json` answers at most ~1,000 requests (servers
choose) between `start_date` and `end_date`, filtered on `requested_datetime`. So the kind cuts the
range into windows (`window_days`, 30 by default; the spec allows 90 at most) and, when a window
comes back full (`server_cap` results), cuts it in two and asks again, down to one minute. Requests
seen twice (windows share their bounds) are kept once, by `service_request_id` (or by content for
the requests some servers publish without one).

Columns: the 17 fields of the spec first, always (so that a run that finds nothing new, or a server
that omits empty fields, still has them), then the extensions servers add, in first-seen order
(Chicago's `notes` list as JSON text, `extended_attributes.ward`…). Servers that bend the spec are
read as they are: extra fields and statuses are kept, requests without an id too (the pipeline
decides what to do with them).

Incremental: `next_state` is {"last_updated": the latest updated_datetime seen (requested_datetime
when a request has none)}; the next run starts there, minus `overlap_hours` (24 by default, for
late writes; the pipeline upserts by key). With `date_filter: updated` the windows filter on
`updated_datetime` through the `updated_after`/`updated_before` parameters some servers offer
(Chicago), which also brings back old requests that changed.

`requests.json` is read; when the server does not offer it (HTTP 404…), `requests.xml` instead
(`format` forces one or the other).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from xml.etree import ElementTree

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.connectors.http_api import (
    DEFAULT_MAX_PAGES,
    HttpClient,
    HttpReply,
    RecordSpool,
    dump_json,
    find_records,
    flatten,
    http_error,
    loads,
    looks_like_html,
    option_choice,
    option_dict,
    option_int,
    option_list,
    option_number,
    option_str,
    parse_json,
    required_str,
    safe_url,
    secret_from_env,
)
from pilotis.connectors.kinds import RawInput, SourceError, SourceKind, register

SPEC_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
DEFAULT_WINDOW_DAYS = 30.0
DEFAULT_SERVER_CAP = 1000
DEFAULT_OVERLAP_HOURS = 24.0
DEFAULT_RANGE = timedelta(days=90)  # what a server answers when no dates are given
MIN_WINDOW = timedelta(minutes=1)
FALLBACK_STATUSES = (400, 404, 405, 406, 415, 501)  # "no requests.json here"
DATE_PARAMS = {
    "requested": ("start_date", "end_date"),
    "updated": ("updated_after", "updated_before"),
}


def w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 datetime, aware (naive ones read as UTC), or None."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment_option(config: Mapping[str, Any], key: str, end: bool = False) -> datetime | None:
    """A date or datetime option, in UTC (naive ones in the server's time zone). A plain date as
    the end of a range means the whole of that day."""
    value = config.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value + timedelta(days=1 if end else 0), time())
    else:
        text = option_str(config, key) or ""
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise SourceError(
                _(
                    "The option “%(option)s” must be a date or a datetime in ISO 8601, e.g. "
                    "2024-01-31 or 2024-01-31T08:00:00+01:00."
                ),
                option=key,
            ) from None
        if end and len(text) == 10:
            moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.get_default_timezone())
    return moment.astimezone(UTC)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_record(element: ElementTree.Element) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        if len(child):
            record[name] = _xml_record(child)
        else:
            record[name] = child.text if child.text and child.text.strip() else None
    return record


def _parse_xml(body: bytes) -> ElementTree.Element | None:
    """The root of an XML document without DTD (a DTD could declare entities: refused)."""
    if b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper():
        return None
    try:
        return ElementTree.fromstring(body)  # noqa: S314 - no DTD, hence no entity to expand
    except ElementTree.ParseError:
        return None


def _error_descriptions(data: Any) -> str | None:
    """The messages of a GeoReport error answer: [{"code": 403, "description": "…"}]."""
    items = data if isinstance(data, list) else [data]
    if not items or not all(
        isinstance(item, Mapping) and "description" in item and set(item) <= {"code", "description"}
        for item in items
    ):
        return None
    return "; ".join(str(item["description"]) for item in items)[:300]


def _xml_error(root: ElementTree.Element) -> str | None:
    """The messages of <errors><error><code/><description/></error></errors> (or <error>…)."""
    texts = [(e.text or "").strip() for e in root.iter() if _local(e.tag) == "description"]
    text = "; ".join(t for t in texts if t) or (root.text or "").strip()
    return text[:300] or None


def _server_detail(reply: HttpReply) -> str | None:
    """What the server said in an error answer (JSON or XML), if anything readable."""
    try:
        data = loads(reply.body)
    except (ValueError, RecursionError):
        root = _parse_xml(reply.body)
        if root is None or _local(root.tag) not in ("errors", "error"):
            return None
        return _xml_error(root)
    detail = _error_descriptions(data)
    if detail is None and isinstance(data, Mapping):
        found = data.get("description") or data.get("message") or data.get("error")
        detail = str(found)[:300] if isinstance(found, (str, int, float)) else None
    return detail


class _Reader:
    """Reads the windows of a range into a spool, splitting the windows that come back full."""

    def __init__(
        self,
        client: HttpClient,
        base: str,
        params: dict[str, str],
        spool: RecordSpool,
        *,
        cap: int,
        max_calls: int,
        fmt: str | None,
        date_filter: str,
    ) -> None:
        self.client = client
        self.base = base
        self.params = params
        self.spool = spool
        self.cap = cap
        self.max_calls = max_calls
        self.format = fmt
        self.after, self.before = DATE_PARAMS[date_filter]
        self.calls = 0
        self.full_windows = 0
        self.latest: tuple[datetime, str] | None = None
        self._ids: set[str] = set()
        self._anonymous: set[bytes] = set()

    def read(self, start: datetime, end: datetime, window: timedelta) -> None:
        windows: list[tuple[datetime, datetime]] = []
        cursor = start
        while cursor < end:
            windows.append((cursor, min(cursor + window, end)))
            cursor += window
        todo = list(reversed(windows))
        while todo:
            first, last = todo.pop()
            records = self._call(first, last)
            middle = (first + (last - first) / 2).replace(microsecond=0)
            if len(records) >= self.cap and last - first > MIN_WINDOW and first < middle:
                todo += [(middle, last), (first, middle)]  # the earlier half first
                continue
            if len(records) >= self.cap:
                self.full_windows += 1
            for record in records:
                self._keep(record)

    def _call(self, first: datetime, last: datetime) -> list[Any]:
        if self.calls >= self.max_calls:
            raise SourceError(
                _(
                    "Reading %(address)s needs more than %(calls)s calls: reading stopped. "
                    "Shorten the period, or raise the “max_pages” option."
                ),
                address=safe_url(self.base),
                calls=self.max_calls,
            )
        self.calls += 1
        params = {**self.params, self.after: w3c(first), self.before: w3c(last)}
        reply = self._get(self.format or "json", params)
        if reply.status >= 400 and self.format is None and reply.status in FALLBACK_STATUSES:
            fallback = self._get("xml", params)
            if fallback.status < 400:
                self.format, reply = "xml", fallback
        if reply.status >= 400:
            raise http_error(reply, _server_detail(reply))
        self.format = self.format or "json"
        return self._records(reply)

    def _get(self, fmt: str, params: dict[str, str]) -> HttpReply:
        accept = "application/json" if fmt == "json" else "application/xml, text/xml"
        return self.client.get(
            f"{self.base}/requests.{fmt}", params, accept=accept, check_status=False
        )

    def _records(self, reply: HttpReply) -> list[Any]:
        if self.format == "xml":
            return self._xml_records(reply)
        data = parse_json(reply)
        detail = _error_descriptions(data)
        if detail:
            raise SourceError(
                _("The Open311 server %(address)s answered with an error: %(detail)s"),
                address=reply.address,
                detail=detail,
            )
        if isinstance(data, list):
            return data
        records, _path = find_records(data, reply.address, None)
        return records

    def _xml_records(self, reply: HttpReply) -> list[Any]:
        if looks_like_html(reply.body):
            raise SourceError(
                _(
                    "The address %(address)s returned a web page, not Open311 data: check the "
                    "endpoint or the authentication."
                ),
                address=reply.address,
            )
        root = _parse_xml(reply.body)
        if root is None:
            raise SourceError(
                _("The address %(address)s did not return valid XML (nor JSON)."),
                address=reply.address,
            )
        tag = _local(root.tag)
        if tag in ("errors", "error"):
            raise SourceError(
                _("The Open311 server %(address)s answered with an error: %(detail)s"),
                address=reply.address,
                detail=_xml_error(root) or "?",
            )
        if tag != "service_requests":
            raise SourceError(
                _(
                    "The answer of %(address)s is not a list of service requests (it holds "
                    "“%(tag)s”)."
                ),
                address=reply.address,
                tag=tag,
            )
        return [_xml_record(child) for child in root if _local(child.tag) == "request"]

    def _keep(self, record: Any) -> None:
        if isinstance(record, Mapping):
            identifier = record.get("service_request_id")
            if identifier not in (None, ""):
                key = dump_json(identifier)
                if key in self._ids:
                    return
                self._ids.add(key)
            else:
                digest = hashlib.blake2b(dump_json(record).encode(), digest_size=16).digest()
                if digest in self._anonymous:
                    return
                self._anonymous.add(digest)
            for field in ("updated_datetime", "requested_datetime"):
                text = record.get(field)
                if isinstance(text, str) and text.strip():
                    moment = parse_moment(text)
                    if moment and (self.latest is None or moment > self.latest[0]):
                        self.latest = (moment, text)
                    break
        self.spool.add(flatten(record))


@register
class Open311Kind(SourceKind):
    name = "open311"
    label = _("Open311 server (GeoReport v2)")
    options: ClassVar[dict[str, str | Promise]] = {
        "endpoint": _(
            "Address of the GeoReport v2 endpoint, before “requests.json”, e.g. "
            "https://311.city.example/open311/v2"
        ),
        "jurisdiction_id": _("Jurisdiction, for servers that host several."),
        "api_key": _("API key, for servers that ask one to read (better: “api_key_env”)."),
        "api_key_env": _("Name of the server environment variable holding the API key."),
        "start_date": _(
            "Start of the first import (ISO date or datetime; default: 90 days ago). Later runs "
            "start from the last update seen."
        ),
        "end_date": _("End of the period (default: now)."),
        "window_days": _("Days asked per call (default 30; the spec allows 90 at most)."),
        "server_cap": _("Most results the server gives per call (default 1000)."),
        "status": _("Statuses to read, e.g. open,closed (default: all)."),
        "service_code": _("Service codes to read (default: all)."),
        "date_filter": _(
            "requested (start_date/end_date, the spec) or updated (updated_after/updated_before, "
            "an extension some servers offer)."
        ),
        "overlap_hours": _("Hours read again before the last update seen (default 24)."),
        "format": _("json or xml (default: json, xml when the server has no JSON)."),
        "params": _('Other query parameters, e.g. {"extensions": "true"}.'),
        "timeout": _("Seconds to wait for the server (default 30)."),
        "max_pages": _("Most calls made (default 10,000)."),
    }

    def open(self) -> RawInput:
        config = self.config
        endpoint = required_str(config, "endpoint").rstrip("/")
        for suffix in ("/requests.json", "/requests.xml"):
            endpoint = endpoint.removesuffix(suffix)
        date_filter = option_choice(config, "date_filter", DATE_PARAMS, "requested")
        fmt = option_str(config, "format")
        if fmt is not None:
            fmt = option_choice(config, "format", ("json", "xml"), "json")
        start, end = self._range()
        window = timedelta(days=option_number(config, "window_days", DEFAULT_WINDOW_DAYS))
        params = option_dict(config, "params")
        jurisdiction = option_str(config, "jurisdiction_id")
        if jurisdiction:
            params["jurisdiction_id"] = jurisdiction
        for name in ("status", "service_code"):
            values = option_list(config, name)
            if values:
                params[name] = ",".join(values)
        key = secret_from_env(config, "api_key_env") or option_str(config, "api_key")
        spool = RecordSpool("open311", SPEC_FIELDS)
        try:
            with HttpClient.from_config(
                config, endpoint, params={"api_key": key} if key else None
            ) as client:
                reader = _Reader(
                    client,
                    endpoint,
                    params,
                    spool,
                    cap=option_int(config, "server_cap", DEFAULT_SERVER_CAP),
                    max_calls=option_int(config, "max_pages", DEFAULT_MAX_PAGES),
                    fmt=fmt,
                    date_filter=date_filter,
                )
                reader.read(start, end, window)
            spool.finish()
        except BaseException:
            spool.remove()
            raise
        description = (
            f"Open311 {safe_url(endpoint)}, {date_filter} {w3c(start)} → {w3c(end)}, "
            f"{reader.calls} call(s), {spool.rows} request(s), {(reader.format or 'json').upper()}"
        )
        if reader.full_windows:
            description += (
                f"; {reader.full_windows} window(s) of one minute still hit the server's limit "
                f"of {reader.cap} results: requests may be missing"
            )
        if reader.latest:
            next_state = {"last_updated": reader.latest[1]}
        else:
            last = self.state.get("last_updated")
            next_state = {"last_updated": last} if last else {}
        return spool.raw_input(description, next_state)

    def _range(self) -> tuple[datetime, datetime]:
        now = datetime.now(UTC).replace(microsecond=0)
        end = min(_moment_option(self.config, "end_date", end=True) or now, now)
        start = _moment_option(self.config, "start_date")
        last = self.state.get("last_updated")
        resumed = parse_moment(last) if isinstance(last, str) else None
        if resumed is not None:
            overlap = option_number(
                self.config, "overlap_hours", DEFAULT_OVERLAP_HOURS, allow_zero=True
            )
            resumed = resumed.astimezone(UTC) - timedelta(hours=overlap)
            start = max(start, resumed) if start else resumed
        return start or end - DEFAULT_RANGE, end
