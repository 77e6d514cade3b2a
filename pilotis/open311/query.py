# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""GET requests: the tenant's requests as GeoReport v2 publishes them, read from the warehouse.

Filters (all optional, as in the spec): `service_request_id` (comma-separated; it overrides every
other filter), `service_code` and `status` (comma-separated), `start_date` and `end_date` (W3C
datetimes, on `requested_datetime`). Without dates the spec's default applies: the last 90 days;
with one date the window is 90 days from (or up to) it; a window may not exceed 90 days. At most
1,000 requests are answered; the widespread `page`/`page_size` extension (page_size ≤ 1,000)
reads further. Newest first.

What is published: `service_code` is the request's theme (`category`, the tenant's services) —
or the source's own code for rows without a theme — and `service_name` the theme's label. The
requester's name, e-mail and phone are never selected; free texts go through `redact`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from django.utils.translation import gettext as _

from pilotis.connectors.open311 import SPEC_FIELDS
from pilotis.open311.errors import Open311Error
from pilotis.open311.models import ServiceInfo, Submission
from pilotis.open311.privacy import redact
from pilotis.open311.services import theme_labels
from pilotis.requests.data import TIMEZONE, lit
from pilotis.tenants.models import Tenant
from pilotis.warehouse import storage
from pilotis.warehouse.storage import ident

LOCAL = ZoneInfo(TIMEZONE)
MAX_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
STATUSES = ("open", "closed")
# The fields of a GeoReport v2 request, in the spec's order.
FIELDS = SPEC_FIELDS
# Read from the warehouse (never requester_*): the published code is the theme when there is one.
COLUMNS = {
    "service_request_id": "service_request_id",
    "status": "status",
    "status_notes": "status_notes",
    "service_name": "service_name",
    "service_code": "coalesce(category, service_code)",
    "theme": "category",
    "description": "description",
    "agency_responsible": "agency_responsible",
    "requested_datetime": "requested_datetime",
    "updated_datetime": "updated_datetime",
    "expected_datetime": "expected_datetime",
    "address": "address",
    "zipcode": "zipcode",
    "lat": "lat",
    "long": "long",
    "media_url": "media_url",
}
REDACTED = ("status_notes", "description", "address")
# A "+" of an offset sent unencoded in a query string arrives as a space.
_SPACE_OFFSET = re.compile(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


@dataclass(frozen=True)
class Query:
    """Which requests, once the parameters are checked and the default window applied."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE

    def where(self) -> str:
        if self.ids:  # the spec: service_request_id overrides all other arguments
            return f"service_request_id IN ({', '.join(lit(i) for i in self.ids)})"
        parts = ["TRUE"]
        if self.service_codes:
            codes = ", ".join(lit(c) for c in self.service_codes)
            parts.append(f"{COLUMNS['service_code']} IN ({codes})")
        if self.statuses:
            parts.append(f"status IN ({', '.join(lit(s) for s in self.statuses)})")
        if self.start is not None:
            parts.append(f"requested_datetime >= {_timestamp(self.start)}")
        if self.end is not None:
            parts.append(f"requested_datetime <= {_timestamp(self.end)}")
        return " AND ".join(parts)


def _timestamp(moment: datetime) -> str:
    return f"CAST({lit(moment.astimezone(UTC).isoformat())} AS TIMESTAMPTZ)"


def _values(params: Any, name: str) -> list[str]:
    """The comma-separated values of a parameter (given once or several times)."""
    found: list[str] = []
    for given in params.getlist(name):
        found += [v.strip() for v in str(given).split(",") if v.strip()]
    return found


def parse_datetime(name: str, text: str) -> datetime:
    """A W3C datetime (ISO 8601: 2026-03-01T00:00:00Z, …+01:00, or a date); local time when
    it has no offset."""
    cleaned = _SPACE_OFFSET.sub(r"\1+\2", text.strip())
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise Open311Error(
            400,
            _("%(name)s: “%(value)s” is not a W3C date and time, e.g. 2026-03-01T00:00:00+01:00."),
            name=name,
            value=text[:50],
        ) from None
    return moment.replace(tzinfo=LOCAL) if moment.tzinfo is None else moment


def _positive(params: Any, name: str, default: int, maximum: int | None = None) -> int:
    text = params.get(name)
    if text in (None, ""):
        return default
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1 or (maximum is not None and number > maximum):
        if maximum is None:
            raise Open311Error(400, _("%(name)s must be a whole number from 1."), name=name)
        raise Open311Error(
            400,
            _("%(name)s must be a whole number from 1 to %(max)s."),
            name=name,
            max=maximum,
        )
    return number


def parse_query(params: Any, now: datetime | None = None) -> Query:
    """Check the parameters of GET requests (a QueryDict) and apply the default window."""
    now = now or datetime.now(UTC)
    page = _positive(params, "page", 1)
    page_size = _positive(params, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    ids = tuple(_values(params, "service_request_id"))
    if ids:
        return Query(ids=ids, page=page, page_size=page_size)
    statuses = tuple(s.lower() for s in _values(params, "status"))
    for status in statuses:
        if status not in STATUSES:
            raise Open311Error(
                400,
                _("status: “%(value)s” is neither open nor closed."),
                value=status[:50],
            )
    start_text, end_text = params.get("start_date"), params.get("end_date")
    start = parse_datetime("start_date", start_text) if start_text else None
    end = parse_datetime("end_date", end_text) if end_text else None
    if start is None and end is None:
        start = now - MAX_WINDOW
    elif end is None:
        assert start is not None  # noqa: S101 - one of the two is set here
        end = start + MAX_WINDOW
    elif start is None:
        start = end - MAX_WINDOW
    if end is not None and end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end is not None and end - start > MAX_WINDOW:
        raise Open311Error(
            400,
            _("start_date and end_date may not be more than 90 days apart (page through time)."),
        )
    return Query(
        service_codes=tuple(_values(params, "service_code")),
        statuses=statuses,
        start=start,
        end=end,
        page=page,
        page_size=page_size,
    )


def w3c(moment: datetime | None) -> str | None:
    """A datetime as GeoReport v2 writes it: local time in France with its offset."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL).isoformat(timespec="seconds")


def fetch(tenant: Tenant, query: Query) -> list[dict[str, Any]]:
    """The requests of `tenant` matching `query`, as GeoReport v2 dicts, newest first."""
    select = ", ".join(f"{expr} AS {ident(name)}" for name, expr in COLUMNS.items())
    offset = (query.page - 1) * query.page_size
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        storage.register(con, "requests", tenant.code, "requests")
        cursor = con.sql(
            f"""SELECT {select} FROM requests WHERE {query.where()}
                ORDER BY requested_datetime DESC, service_request_id
                LIMIT {int(query.page_size)} OFFSET {int(offset)}"""
        )
        names = cursor.columns
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return _published(tenant, rows)


def _published(tenant: Tenant, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = theme_labels(tenant)
    notices = {
        i.service_code: i.service_notice or None for i in ServiceInfo.objects.filter(tenant=tenant)
    }
    ids = [r["service_request_id"] for r in rows]
    address_ids = dict(
        Submission.objects.filter(tenant=tenant, service_request_id__in=ids)
        .exclude(address_id="")
        .values_list("service_request_id", "address_id")
    )
    published = []
    for row in rows:
        theme = row["theme"]
        item: dict[str, Any] = {}
        for name in FIELDS:
            value = row.get(name)
            if name in REDACTED:
                value = redact(value)
            elif name == "service_name" and theme in labels:
                value = labels[theme]
            elif name == "service_notice":
                value = notices.get(row["service_code"])
            elif name == "address_id":
                value = address_ids.get(row["service_request_id"])
            elif name.endswith("_datetime"):
                value = w3c(value)
            item[name] = value
        published.append(item)
    return published


def fetch_one(tenant: Tenant, service_request_id: str) -> list[dict[str, Any]]:
    """GET requests/<id>: a list of one (the spec's shape), or a 404."""
    found = fetch(tenant, Query(ids=(service_request_id,)))
    if not found:
        raise Open311Error(
            404, _("No request has the id “%(id)s” here."), id=service_request_id[:100]
        )
    return found
