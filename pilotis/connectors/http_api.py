"""JSON web APIs (`http_json`), and the HTTP and JSON plumbing every remote kind shares.

How a remote source is read: `open()` fetches every page at once, flattens each record to text
(nested objects become "parent.child" columns, lists stay JSON text, numbers keep the exact text the
API sent) and spools the rows to a temporary NDJSON file, learning the columns as they come (a key
first seen on page 40 is a column like any other). `batches()` then streams that file in Arrow
batches of 10,000 rows. Reading everything first costs disk space, not memory, and it means a
failure on any page (timeout, HTTP error, invalid JSON) raises a `SourceError` before the pipeline
loads anything, and that the exact row count is known for the progress bar.

The other remote kinds (`open311`, `ckan`, `udata`) reuse `HttpClient`, `parse_json`, `flatten`
and `RecordSpool` from here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, ClassVar
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import pyarrow as pa
import requests
import urllib3.exceptions
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from requests.structures import CaseInsensitiveDict

from pilotis.connectors.kinds import (
    SOURCE_ROW,
    RawInput,
    ReadHints,
    SourceError,
    SourceKind,
    register,
)
from pilotis.options import SOURCE_SECRET_PREFIX, source_secret

BATCH_ROWS = 10_000
DEFAULT_TIMEOUT = 30.0  # seconds, to connect and between two bytes of an answer
DEFAULT_MAX_PAGES = 10_000
DEFAULT_MAX_PAGE_MB = 200.0
USER_AGENT = "Pilotis (open-source platform for local authorities)"
_CHUNK = 64 * 1024
MAX_REDIRECTS = 10
_MISSING: Any = object()


# --- options -----------------------------------------------------------------------------------


def option_str(config: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """A text option, stripped; `default` when absent or empty."""
    value = config.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SourceError(_("The option “%(option)s” must be text."), option=key)
    return str(value).strip() or default


def required_str(config: Mapping[str, Any], key: str) -> str:
    value = option_str(config, key)
    if value is None:
        raise SourceError(_("The option “%(option)s” is required."), option=key)
    return value


def option_number(
    config: Mapping[str, Any], key: str, default: float, allow_zero: bool = False
) -> float:
    """A positive number (an int, a float or their text)."""
    value = config.get(key)
    if value is None or value == "":
        return default
    try:
        number = float(value) if not isinstance(value, bool) else -1.0
    except (TypeError, ValueError):
        number = -1.0
    if not (number > 0 or (allow_zero and number == 0)) or number == float("inf"):
        raise SourceError(_("The option “%(option)s” must be a positive number."), option=key)
    return number


def option_int(config: Mapping[str, Any], key: str, default: int, minimum: int = 1) -> int:
    value = config.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value) if not isinstance(value, (bool, float)) else minimum - 1
    except (TypeError, ValueError):
        number = minimum - 1
    if number < minimum:
        raise SourceError(
            _("The option “%(option)s” must be a whole number of at least %(minimum)s."),
            option=key,
            minimum=minimum,
        )
    return number


def option_bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise SourceError(_("The option “%(option)s” must be true or false."), option=key)


def option_choice(config: Mapping[str, Any], key: str, choices: Iterable[str], default: str) -> str:
    value = option_str(config, key, default) or default
    allowed = list(choices)
    if value not in allowed:
        raise SourceError(
            _("The option “%(option)s” must be one of: %(choices)s."),
            option=key,
            choices=", ".join(allowed),
        )
    return value


def option_dict(config: Mapping[str, Any], key: str) -> dict[str, str]:
    """A mapping of names to text values (query parameters, headers)."""
    value = config.get(key)
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value.values()
    ):
        raise SourceError(
            _("The option “%(option)s” must be a mapping of names to values."), option=key
        )
    return {str(k): str(v) for k, v in value.items()}


def option_list(config: Mapping[str, Any], key: str) -> list[str]:
    """A list of words, given as a list or as comma-separated text."""
    value = config.get(key)
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise SourceError(_("The option “%(option)s” must be a list."), option=key)
    return [str(item).strip() for item in items if str(item).strip()]


def secret_from_env(config: Mapping[str, Any], key: str) -> str | None:
    """The secret held by the environment variable that option `key` names (None when unset).

    Secrets stay out of the database: the configuration only names the variable."""
    name = option_str(config, key)
    if name is None:
        return None
    try:
        value = source_secret(name)
    except ValueError:
        raise SourceError(
            _(
                "The option “%(option)s” must name an environment variable starting with "
                "%(prefix)s (for instance %(prefix)sGRU_TOKEN)."
            ),
            option=key,
            prefix=SOURCE_SECRET_PREFIX,
        ) from None
    if not value:
        raise SourceError(
            _(
                "The environment variable “%(name)s” (option “%(option)s”), which should hold "
                "the secret, is not set on the server."
            ),
            name=name,
            option=key,
        )
    return value


def timeout_option(config: Mapping[str, Any]) -> tuple[float, float]:
    """(connect, read) timeouts: `timeout` sets both, `connect_timeout`/`read_timeout` each."""
    both = option_number(config, "timeout", DEFAULT_TIMEOUT)
    return (
        option_number(config, "connect_timeout", both),
        option_number(config, "read_timeout", both),
    )


# --- addresses ---------------------------------------------------------------------------------


def safe_url(url: str) -> str:
    """`url` fit for a message or a log: no user, password, query string or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(invalid address)"
    if ":" in host:
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")) or "(empty address)"


def origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", "", None


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g}"


# --- HTTP --------------------------------------------------------------------------------------


@dataclass
class HttpReply:
    url: str
    status: int
    reason: str
    headers: CaseInsensitiveDict[str]
    body: bytes = b""
    links: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return safe_url(self.url)

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset=\"?([\w.:-]+)", self.headers.get("Content-Type", ""), re.I)
        return match.group(1) if match else None


def http_error(reply: HttpReply, detail: str | None = None) -> SourceError:
    """The error to raise for an HTTP status of 400 or more."""
    params = {"address": reply.address, "status": reply.status, "reason": reply.reason or "?"}
    if detail:
        return SourceError(
            _("%(address)s answered HTTP %(status)s (%(reason)s): %(detail)s"),
            detail=detail[:300],
            **params,
        )
    if reply.status in (401, 403):
        message = _(
            "%(address)s answered HTTP %(status)s (%(reason)s): access is refused. "
            "Check the authentication (header, key or token) and its rights."
        )
    elif reply.status in (404, 410):
        message = _(
            "%(address)s answered HTTP %(status)s (%(reason)s): nothing there. "
            "Check the address and the identifiers in it."
        )
    elif reply.status == 429:
        message = _(
            "%(address)s answered HTTP %(status)s (%(reason)s): too many requests. Try again later."
        )
    elif reply.status >= 500:
        message = _(
            "%(address)s answered HTTP %(status)s (%(reason)s): the server failed. "
            "Try again later, or tell its administrator."
        )
    else:
        message = _(
            "%(address)s answered HTTP %(status)s (%(reason)s): the request was refused. "
            "Check the address and the options."
        )
    return SourceError(message, **params)


def _causes(error: BaseException) -> list[BaseException]:
    """`error` and everything it wraps (arguments, `reason`, cause and context)."""
    found: list[BaseException] = []
    todo: list[Any] = [error]
    while todo and len(found) < 50:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        todo.extend(item.args)
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
    return found


def _connection_error(
    error: requests.RequestException, url: str, timeout: tuple[float, float]
) -> SourceError:
    address = safe_url(url)
    causes = _causes(error)
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return SourceError(
            _(
                "Could not connect to %(address)s within %(seconds)s seconds. Check the address "
                "and the network, or raise the “timeout” option."
            ),
            address=address,
            seconds=f"{timeout[0]:g}",
        )
    if isinstance(error, requests.exceptions.ReadTimeout) or any(
        isinstance(c, (urllib3.exceptions.ReadTimeoutError, TimeoutError)) for c in causes
    ):
        return SourceError(
            _(
                "%(address)s did not answer within %(seconds)s seconds (timeout). Try again "
                "later, or raise the “timeout” option."
            ),
            address=address,
            seconds=f"{timeout[1]:g}",
        )
    if isinstance(error, requests.exceptions.SSLError):
        return SourceError(
            _(
                "The secure connection (HTTPS) to %(address)s failed: its certificate could "
                "not be verified."
            ),
            address=address,
        )
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return SourceError(
            _(
                "Could not connect to %(address)s: the connection was refused. Check the "
                "address and the port, and that the service is running."
            ),
            address=address,
        )
    if any(
        isinstance(c, (socket.gaierror, urllib3.exceptions.NameResolutionError)) for c in causes
    ):
        return SourceError(
            _("Could not connect to %(address)s: the host name “%(host)s” is unknown."),
            address=address,
            host=origin(url)[1],
        )
    if isinstance(
        error,
        (
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL,
        ),
    ):
        return SourceError(
            _("“%(address)s” is not a valid web address: it must start with http:// or https://."),
            address=address,
        )
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return SourceError(
            _("%(address)s redirects too many times: check the address."), address=address
        )
    return SourceError(
        _("Could not read %(address)s: the connection failed or was interrupted. Try again later."),
        address=address,
    )


class HttpClient:
    """GET with timeouts, a size cap per answer, and secrets kept to one origin.

    `headers` and `params` (which may hold secrets: tokens, API keys) are only sent to the origin
    (scheme, host, port) of `origin_url`, never to another host a next link or a resource points
    to; they never appear in messages, which show addresses without their query string.
    """

    def __init__(
        self,
        origin_url: str,
        *,
        timeout: tuple[float, float] = (DEFAULT_TIMEOUT, DEFAULT_TIMEOUT),
        max_bytes: int = int(DEFAULT_MAX_PAGE_MB * 1_000_000),
        max_option: str = "max_page_mb",
        verify: bool = True,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_option = max_option
        self.requests = 0
        self._origin = origin(origin_url)
        self._headers = dict(headers or {})
        self._params = dict(params or {})
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.verify = verify

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        origin_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        max_option: str = "max_page_mb",
        default_mb: float = DEFAULT_MAX_PAGE_MB,
    ) -> HttpClient:
        return cls(
            origin_url,
            timeout=timeout_option(config),
            max_bytes=int(option_number(config, max_option, default_mb) * 1_000_000),
            max_option=max_option,
            verify=option_bool(config, "verify_tls", True),
            headers=headers,
            params=params,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def same_origin(self, url: str) -> bool:
        return origin(url) == self._origin

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        *,
        accept: str = "application/json",
        check_status: bool = True,
    ) -> HttpReply:
        """The whole answer in memory (at most `max_bytes`)."""
        chunks: list[bytes] = []
        reply = self._fetch(url, params, accept, check_status, chunks.append)
        if chunks:  # (an error answer keeps the start of its body, read by `_fetch`)
            reply.body = b"".join(chunks)
        return reply

    def download(
        self, url: str, sink: IO[bytes], *, accept: str = "*/*", check_status: bool = True
    ) -> HttpReply:
        """The answer written to `sink` (at most `max_bytes`); the reply keeps its first 4 KB."""
        head: list[bytes] = []

        def write(chunk: bytes) -> None:
            if not head:
                head.append(chunk[:4096])
            sink.write(chunk)

        reply = self._fetch(url, params=None, accept=accept, check_status=check_status, write=write)
        if head:
            reply.body = head[0]
        return reply

    def _send(self, url: str, params: Mapping[str, str] | None, accept: str) -> requests.Response:
        """The answer's headers, redirects followed by hand: the origin's secrets only go to
        the origin (requests would forward custom headers such as X-API-KEY to another host)."""
        sent: dict[str, str] = dict(params or {})
        for _hop in range(MAX_REDIRECTS + 1):
            headers = {"Accept": accept}
            if self.same_origin(url):
                present = {key for key, _value in parse_qsl(urlsplit(url).query)}
                for key, value in self._params.items():
                    if key not in present:
                        sent.setdefault(key, value)
                headers.update(self._headers)
            self.requests += 1
            try:
                response = self._session.get(
                    url,
                    params=sent,
                    headers=headers,
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.RequestException as error:
                raise _connection_error(error, url, self.timeout) from None
            location = response.headers.get("Location")
            if not (response.is_redirect and location):
                return response
            response.close()
            url, sent = urljoin(response.url or url, location), {}
        raise SourceError(
            _("%(address)s redirects too many times: check the address."), address=safe_url(url)
        )

    def _fetch(
        self,
        url: str,
        params: Mapping[str, str] | None,
        accept: str,
        check_status: bool,
        write: Any,
    ) -> HttpReply:
        response = self._send(url, params, accept)
        with response:
            reply = HttpReply(
                url=response.url or url,
                status=response.status_code,
                reason=response.reason or "",
                headers=response.headers,
                links={str(k): dict(v) for k, v in response.links.items()},
            )
            if reply.status >= 400:
                # Read a little of the error body: callers may find the server's explanation.
                with contextlib.suppress(
                    requests.RequestException, urllib3.exceptions.HTTPError, OSError
                ):
                    reply.body = response.raw.read(16_384, decode_content=True) or b""
                if check_status:
                    raise http_error(reply)
                return reply
            too_big = SourceError(
                _(
                    "The answer of %(address)s is larger than %(limit)s MB, the limit: ask for "
                    "less at a time (smaller pages), or raise the “%(option)s” option."
                ),
                address=reply.address,
                limit=_megabytes(self.max_bytes),
                option=self.max_option,
            )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise too_big
            size = 0
            try:
                for chunk in response.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise too_big
                    write(chunk)
            except requests.RequestException as error:
                raise _connection_error(error, url, self.timeout) from None
        return reply

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> tuple[Any, HttpReply]:
        reply = self.get(url, params)
        return parse_json(reply), reply


# --- JSON --------------------------------------------------------------------------------------


class JsonNumber(str):
    """A JSON number kept as the exact text the source wrote (no float rounding noise)."""

    __slots__ = ()


_UTF8 = {"utf-8", "utf8", "utf_8"}
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body")


def looks_like_html(body: bytes) -> bool:
    start = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_START) or (start.startswith(b"<") and b"<html" in start)


def loads(data: bytes | str) -> Any:
    """JSON with numbers kept as `JsonNumber` text."""
    return json.loads(data, parse_float=JsonNumber, parse_int=JsonNumber, parse_constant=JsonNumber)


def parse_json(reply: HttpReply) -> Any:
    """The JSON document of `reply`, or a `SourceError` saying why it is not one."""
    body = reply.body
    if looks_like_html(body):
        raise SourceError(
            _(
                "The address %(address)s returned a web page, not JSON: check the URL or the "
                "authentication."
            ),
            address=reply.address,
        )
    if not body.strip():
        raise SourceError(
            _("The address %(address)s returned an empty answer instead of JSON."),
            address=reply.address,
        )
    charset = (reply.charset or "").lower()
    try:
        return loads(body.decode(charset) if charset and charset not in _UTF8 else body)
    except json.JSONDecodeError as error:
        problem = f"{error.msg}, line {error.lineno} column {error.colno}"
    except (UnicodeDecodeError, LookupError):
        problem = "not readable as text"
    except RecursionError:
        problem = "nested too deeply"
    raise SourceError(
        _("The address %(address)s did not return valid JSON (%(error)s)."),
        address=reply.address,
        error=problem,
    )


def dump_json(value: Any) -> str:
    """Compact JSON text of a parsed value, numbers written as the source wrote them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, JsonNumber):
        return str.__str__(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump_json(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{"
            + ",".join(
                json.dumps(str(k), ensure_ascii=False) + ":" + dump_json(v)
                for k, v in value.items()
            )
            + "}"
        )
    return json.dumps(str(value), ensure_ascii=False)


def number_text(value: int | float) -> str:
    """A number as text, floats in their shortest exact form ("0.1", not "0.10000000000000001")."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def json_text(value: Any) -> str | None:
    """One JSON value as the text of a cell (None for null)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is JsonNumber:
        return str.__str__(value)
    if value is None:
        return None
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return dump_json(value)


def flatten(record: Any) -> dict[str, str | None]:
    """A record as {column: text}: nested objects as "parent.child", lists as JSON text.

    A record that is not an object (a bare value in the list) becomes one column, "value"."""
    row: dict[str, str | None] = {}
    if isinstance(record, Mapping):
        _flatten_into(row, "", record)
    else:
        row["value"] = json_text(record)
    return row


_LEAVES = (str, JsonNumber, bool, type(None), list, int, float)


def _flatten_into(row: dict[str, str | None], prefix: str, record: Mapping[str, Any]) -> None:
    for key, value in record.items():
        kind = type(value)
        if kind is str:
            row[f"{prefix}{key}"] = value
        elif kind is dict or (kind not in _LEAVES and isinstance(value, Mapping)):
            _flatten_into(row, f"{prefix}{key}.", value)
        else:
            row[f"{prefix}{key}"] = json_text(value)


def get_path(data: Any, path: str) -> Any:
    """The value at dotted `path` ("links.next", "data.0.items"), or `_MISSING`."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _shape(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return "a number or a boolean"


def _record_lists(data: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, list[Any]]]:
    """The lists of objects (or empty lists) found in `data`, three levels deep at most."""
    found: list[tuple[str, list[Any]]] = []
    if not isinstance(data, Mapping):
        return found
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            found.append((path, value))
        elif isinstance(value, Mapping) and depth < 2:
            found.extend(_record_lists(value, f"{path}.", depth + 1))
    return found


def _keys(data: Any) -> str:
    return ", ".join(list(map(str, data))[:20]) if isinstance(data, Mapping) else "-"


def find_records(data: Any, address: str, path: str | None) -> tuple[list[Any], str | None]:
    """The records of a first page, and the path where they are (None: the page is the list).

    With `path` given, the list must be there; without, the single non-empty list of objects is
    taken (a page with no such list but empty ones holds no records)."""
    if path:
        found = get_path(data, path)
        if found is _MISSING:
            raise SourceError(
                _(
                    "The answer of %(address)s has nothing at “%(path)s” (the “records_path” "
                    "option). Keys found: %(keys)s."
                ),
                address=address,
                path=path,
                keys=_keys(data),
            )
        return records_at(found, address, path), path
    if isinstance(data, list):
        return data, None
    if not isinstance(data, Mapping):
        raise SourceError(
            _(
                "The answer of %(address)s is %(found)s, not a list of records nor an object "
                "holding one."
            ),
            address=address,
            found=_shape(data),
        )
    lists = _record_lists(data)
    full = [(p, items) for p, items in lists if items]
    if len(full) == 1:
        return full[0][1], full[0][0]
    if len(full) > 1:
        raise SourceError(
            _(
                "The answer of %(address)s holds several lists of records (%(paths)s): set the "
                "“records_path” option to the one to read."
            ),
            address=address,
            paths=", ".join(p for p, _items in full),
        )
    if lists:
        return [], lists[0][0] if len(lists) == 1 else None
    raise SourceError(
        _(
            "The answer of %(address)s holds no list of records. Set the “records_path” option "
            "to where they are. Keys found: %(keys)s."
        ),
        address=address,
        keys=_keys(data),
    )


def records_at(found: Any, address: str, path: str) -> list[Any]:
    if found is None or found is _MISSING:
        return []
    if not isinstance(found, list):
        raise SourceError(
            _("At “%(path)s”, the answer of %(address)s holds %(found)s, not a list of records."),
            address=address,
            path=path,
            found=_shape(found),
        )
    return found


# --- spool -------------------------------------------------------------------------------------

_ISO_PATTERNS = [
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,6}(?:Z|[+-]\d\d:?\d\d)", "%Y-%m-%dT%H:%M:%S.%f%z"),
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d)", "%Y-%m-%dT%H:%M:%S%z"),
    (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d)", "%Y-%m-%d %H:%M:%S%z"),
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,6}", "%Y-%m-%dT%H:%M:%S.%f"),
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "%Y-%m-%dT%H:%M:%S"),
    (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,6}", "%Y-%m-%d %H:%M:%S.%f"),
    (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "%Y-%m-%d %H:%M:%S"),
    (r"\d{4}-\d\d-\d\d", "%Y-%m-%d"),
]
ISO_FORMATS = [(re.compile(pattern), fmt) for pattern, fmt in _ISO_PATTERNS]
# Formats that come together: an API writing "…:27.5+01:00" also writes "…:27+01:00".
_SIBLINGS = {
    "%Y-%m-%dT%H:%M:%S.%f%z": "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S%z": "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S.%f": "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S": "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f": "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S": "%Y-%m-%d %H:%M:%S.%f",
}


def iso_date_formats(samples: Mapping[str, Iterable[str]]) -> list[str]:
    """The strptime formats of the columns whose sampled values are all ISO 8601 dates."""
    seen: set[str] = set()
    for values in samples.values():
        formats: set[str] = set()
        for value in values:
            fmt = next((f for regex, f in ISO_FORMATS if regex.fullmatch(value)), None)
            if fmt is None or not _parses(value, fmt):
                break
            formats.add(fmt)
        else:
            seen |= formats
    seen |= {_SIBLINGS[f] for f in seen if f in _SIBLINGS}
    return [fmt for _regex, fmt in ISO_FORMATS if fmt in seen]


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


class RecordSpool:
    """Rows of text written to a temporary NDJSON file, columns learnt in first-seen order.

    Each line is a JSON list aligned on `columns` as they were when the row came (later columns
    are missing from earlier lines and read as null)."""

    SAMPLES = 50
    _encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode

    def __init__(self, prefix: str, columns: Iterable[str] = ()) -> None:
        fd, self.path = tempfile.mkstemp(prefix=f"pilotis-{prefix}-", suffix=".ndjson")
        self._out: IO[str] | None = os.fdopen(fd, "w", encoding="utf-8")
        self.columns: list[str] = []
        self._index: dict[str, int] = {}
        self.rows = 0
        self.samples: dict[str, list[str]] = {}
        for name in columns:
            self._position(name)

    def _position(self, key: str) -> int:
        position = self._index.get(key)
        if position is None:
            # A source column may not take the name of the row-number column.
            name = f"{key} (source)" if key == SOURCE_ROW else key
            position = self._index[key] = len(self.columns)
            self.columns.append(name)
        return position

    def add(self, row: Mapping[str, str | None]) -> None:
        assert self._out is not None  # noqa: S101 - not after finish()
        index = self._index
        positions = [
            (index[key] if key in index else self._position(key), value)
            for key, value in row.items()
        ]
        line: list[str | None] = [None] * (max((p for p, _v in positions), default=-1) + 1)
        for position, value in positions:
            line[position] = value
        if self.rows < 10_000:
            for position, value in positions:
                if value:
                    sample = self.samples.setdefault(self.columns[position], [])
                    if len(sample) < self.SAMPLES:
                        sample.append(value)
        self._out.write(self._encode(line))
        self._out.write("\n")
        self.rows += 1

    def finish(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def remove(self) -> None:
        self.finish()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)

    def schema(self) -> pa.Schema:
        return pa.schema([(c, pa.string()) for c in self.columns] + [(SOURCE_ROW, pa.int64())])

    def batches(self) -> Iterator[pa.RecordBatch]:
        schema = self.schema()
        width = len(self.columns)
        done = 0
        chunk: list[list[str | None]] = []
        with open(self.path, encoding="utf-8") as lines:
            for line in lines:
                values = json.loads(line)
                if len(values) < width:
                    values.extend([None] * (width - len(values)))
                chunk.append(values)
                if len(chunk) == BATCH_ROWS:
                    yield self._batch(schema, chunk, done)
                    done += len(chunk)
                    chunk = []
        if chunk:
            yield self._batch(schema, chunk, done)

    @staticmethod
    def _batch(schema: pa.Schema, chunk: list[list[str | None]], done: int) -> pa.RecordBatch:
        arrays = [pa.array(column, pa.string()) for column in zip(*chunk, strict=True)]
        arrays.append(pa.array(range(done + 1, done + len(chunk) + 1), pa.int64()))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def raw_input(self, description: str, next_state: dict[str, Any] | None = None) -> RawInput:
        self.finish()
        return RawInput(
            columns=list(self.columns),
            hints=ReadHints(date_formats=iso_date_formats(self.samples)),
            batches=self.batches,
            estimated_rows=self.rows,
            next_state=next_state or {},
            description=description,
            cleanup=self.remove,
        )


# --- the http_json kind ------------------------------------------------------------------------

PAGINATIONS = ("none", "page", "offset", "cursor", "next_link")


@dataclass
class _Pages:
    """What reading the pages of an API found."""

    pages: int = 0
    records_path: str | None = None
    notes: list[str] = field(default_factory=list)


@register
class HttpJsonKind(SourceKind):
    name = "http_json"
    label = _("JSON web API")
    options: ClassVar[dict[str, str | Promise]] = {
        "url": _("Address of the API (first page)."),
        "params": _('Query parameters added to every call, e.g. {"format": "json"}.'),
        "headers": _("HTTP headers sent with every call (kept to the API's own host)."),
        "auth_header": _("Header carrying the secret (default “Authorization”)."),
        "auth_prefix": _("Word put before the secret in that header, e.g. “Bearer”."),
        "auth_param": _("Query parameter carrying the secret instead of a header."),
        "auth_value_env": _("Name of the server environment variable holding the secret."),
        "records_path": _(
            "Dotted path to the list of records in each page, e.g. “data.items” (found "
            "automatically when the page holds a single list)."
        ),
        "pagination": _("none, page, offset, cursor or next_link (default none)."),
        "page_param": _("page: parameter of the page number (default “page”)."),
        "start_page": _("page: number of the first page (default 1)."),
        "page_size_param": _("page: parameter of the page size (none by default)."),
        "page_size": _("page: records asked per page (default 100)."),
        "offset_param": _("offset: parameter of the offset (default “offset”)."),
        "limit_param": _("offset: parameter of the page size (default “limit”)."),
        "limit": _("offset: records asked per page (default 100)."),
        "cursor_path": _("cursor: dotted path of the next cursor in the answer."),
        "cursor_param": _("cursor: parameter carrying the cursor (default “cursor”)."),
        "next_path": _(
            "next_link: dotted path of the next page's address in the answer, e.g. “links.next” "
            '(else the HTTP header Link: rel="next").'
        ),
        "timeout": _("Seconds to wait for the server (default 30)."),
        "max_pages": _("Most pages read (default 10,000)."),
        "max_page_mb": _("Largest page accepted, in MB (default 200)."),
        "verify_tls": _("Check the HTTPS certificate (default true)."),
    }

    def open(self) -> RawInput:
        config = self.config
        url = required_str(config, "url")
        style, pagination = self._pagination()
        headers = option_dict(config, "headers")
        params = option_dict(config, "params")
        secret_params: dict[str, str] = {}
        secret = secret_from_env(config, "auth_value_env")
        if secret is not None:
            auth_param = option_str(config, "auth_param")
            if auth_param:
                secret_params[auth_param] = secret
            else:
                header = option_str(config, "auth_header", "Authorization") or "Authorization"
                prefix = option_str(config, "auth_prefix")  # "Bearer" → "Bearer <secret>"
                headers[header] = f"{prefix} {secret}" if prefix else secret
        spool = RecordSpool("http-json")
        try:
            with HttpClient.from_config(
                config, url, headers=headers, params=secret_params
            ) as client:
                found = self._read(client, spool, url, params, style, pagination)
            spool.finish()
        except BaseException:
            spool.remove()
            raise
        where = f", records at “{found.records_path}”" if found.records_path else ""
        description = (
            f"JSON API {safe_url(url)}, pagination {style}, {found.pages} page(s), "
            f"{spool.rows} record(s){where}" + "".join(f"; {note}" for note in found.notes)
        )
        return spool.raw_input(description)

    def _pagination(self) -> tuple[str, dict[str, Any]]:
        value = self.config.get("pagination")
        if isinstance(value, Mapping):
            options = {**self.config, **value}
            style = option_str(value, "type") or option_str(value, "style") or "none"
        else:
            options = dict(self.config)
            style = option_str(self.config, "pagination", "none") or "none"
        if style not in PAGINATIONS:
            raise SourceError(
                _("The option “%(option)s” must be one of: %(choices)s."),
                option="pagination",
                choices=", ".join(PAGINATIONS),
            )
        if style == "cursor" and not option_str(options, "cursor_path"):
            raise SourceError(_("The option “%(option)s” is required."), option="cursor_path")
        return style, options

    def _read(
        self,
        client: HttpClient,
        spool: RecordSpool,
        url: str,
        base_params: dict[str, str],
        style: str,
        options: Mapping[str, Any],
    ) -> _Pages:
        found = _Pages()
        max_pages = option_int(self.config, "max_pages", DEFAULT_MAX_PAGES)
        path = option_str(self.config, "records_path")
        page_param = option_str(options, "page_param", "page") or "page"
        page = option_int(options, "start_page", 1, minimum=0)
        size_param = option_str(options, "page_size_param")
        offset_param = option_str(options, "offset_param", "offset") or "offset"
        limit_param = option_str(options, "limit_param", "limit") or "limit"
        offset = option_int(options, "start_offset", 0, minimum=0)
        cursor_path = option_str(options, "cursor_path") or ""
        cursor_param = option_str(options, "cursor_param", "cursor") or "cursor"
        next_path = option_str(options, "next_path")
        params = dict(base_params)
        if style == "page" and size_param:
            params[size_param] = str(option_int(options, "page_size", 100))
        if style == "offset":
            params[limit_param] = str(option_int(options, "limit", 100))
        previous_digest = b""
        seen_urls = {url}
        while True:
            if found.pages >= max_pages:
                raise SourceError(
                    _(
                        "The API %(address)s still had pages after %(pages)s pages: reading "
                        "stopped. Check the pagination options, or raise the “max_pages” option."
                    ),
                    address=safe_url(url),
                    pages=max_pages,
                )
            if style == "page":
                params[page_param] = str(page)
            elif style == "offset":
                params[offset_param] = str(offset)
            reply = client.get(url, params, check_status=False)
            if reply.status == 404 and found.pages and style in ("page", "offset"):
                break  # past the last page, for APIs that answer "not found" there
            if reply.status >= 400:
                raise http_error(reply)
            data = parse_json(reply)
            found.pages += 1
            if found.pages == 1:
                records, path = find_records(data, reply.address, path)
                found.records_path = path
            else:
                records = records_at(
                    data if path is None else get_path(data, path), reply.address, path or "."
                )
            for record in records:
                spool.add(flatten(record))
            if not records:
                break
            digest = hashlib.sha256(reply.body).digest()
            if digest == previous_digest:
                raise SourceError(
                    _(
                        "The API %(address)s returned the same page twice: it probably ignores "
                        "the pagination parameters. Check the pagination options."
                    ),
                    address=reply.address,
                )
            previous_digest = digest
            if style == "none":
                if "next" in reply.links or isinstance(get_path(data, "next"), str):
                    found.notes.append("the API offers more pages: set “pagination”")
                break
            if style == "page":
                page += 1
            elif style == "offset":
                offset += len(records)
            elif style == "cursor":
                cursor = get_path(data, cursor_path)
                if cursor is _MISSING or cursor in (None, "", False):
                    break
                params[cursor_param] = json_text(cursor) or ""
            else:
                link = _next_link(data, reply, next_path)
                if not link:
                    break
                next_url = urljoin(reply.url, link)
                if next_url in seen_urls:
                    raise SourceError(
                        _(
                            "The API %(address)s links back to a page already read: reading "
                            "stopped to avoid a loop."
                        ),
                        address=reply.address,
                    )
                seen_urls.add(next_url)
                url = next_url
                # The next link carries its own query; configured parameters it lacks are kept,
                # for the API's own host only.
                present = {key for key, _value in parse_qsl(urlsplit(url).query)}
                params = (
                    {k: v for k, v in base_params.items() if k not in present}
                    if client.same_origin(url)
                    else {}
                )
        return found


def _next_link(data: Any, reply: HttpReply, next_path: str | None) -> str | None:
    """The next page's address: in the body at `next_path`, else in the `Link` header."""
    if next_path:
        value = get_path(data, next_path)
        if isinstance(value, Mapping):  # HAL: {"next": {"href": "…"}}
            value = value.get("href")
        if isinstance(value, str) and value.strip():
            return value.strip()
    link = reply.links.get("next", {}).get("url")
    return link or None
