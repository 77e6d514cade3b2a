"""Open-data portals: one resource (file) of a dataset published on a CKAN portal (`ckan`) or on a
udata portal such as data.gouv.fr (`udata`).

The kind asks the portal's API for the dataset (CKAN: `/api/3/action/package_show?id=…`; udata:
`/api/1/datasets/<id or slug>/`), chooses the resource (by `resource_id`, by `resource_name`, else
the first one in the preferred format: CSV, then XLSX, XLS, JSON; udata's "main" resources before
documentation), downloads it to a temporary file (streamed, at most `max_download_mb`) and hands
that file to the file kind, with the other options (`format`, `sheet`, `delimiter`…, or the same
in `file_options`).
The temporary file is removed by the returned input's `cleanup`, after the file kind's own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, urljoin, urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.connectors.files import FileKind
from pilotis.connectors.http_api import (
    HttpClient,
    HttpReply,
    http_error,
    loads,
    looks_like_html,
    option_list,
    option_str,
    parse_json,
    required_str,
    safe_url,
    secret_from_env,
)
from pilotis.connectors.kinds import RawInput, SourceError, SourceKind, register

DEFAULT_MAX_DOWNLOAD_MB = 500.0
FORMAT_PREFERENCE = ("csv", "xlsx", "xls", "json")
FORMATS = {
    "csv": "csv",
    "text/csv": "csv",
    "application/csv": "csv",
    "tsv": "tsv",
    "text/tab-separated-values": "tsv",
    "xlsx": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "xls": "xls",
    "excel": "xls",
    "application/vnd.ms-excel": "xls",
    "ods": "ods",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "json": "json",
    "application/json": "json",
    "geojson": "geojson",
    "application/geo+json": "geojson",
    "parquet": "parquet",
    "zip": "zip",
    "application/zip": "zip",
}
# The options of the portal kinds; any other option goes to the file kind.
PORTAL_OPTIONS = frozenset(
    {
        "portal",
        "dataset",
        "resource_id",
        "resource_name",
        "formats",
        "api_key",
        "api_key_env",
        "timeout",
        "connect_timeout",
        "read_timeout",
        "max_download_mb",
        "verify_tls",
        "file_options",
    }
)
_PORTAL_HELP: dict[str, str | Promise] = {
    "dataset": _("Identifier or name (slug) of the dataset, or the address of its page."),
    "resource_id": _("Identifier of the resource to read (else chosen by name or format)."),
    "resource_name": _("Name (title) of the resource to read."),
    "formats": _("Resource formats preferred, in order (default csv, xlsx, xls, json)."),
    "api_key_env": _("Name of the server environment variable holding an API key."),
    "max_download_mb": _("Largest file accepted, in MB (default 500)."),
    "timeout": _("Seconds to wait for the portal (default 30)."),
    "file_options": _("Options for reading the file (e.g. sheet, delimiter)."),
}


def normalize_format(declared: str, url: str = "") -> str:
    """ "CSV", ".csv", "text/csv" → "csv"; from the address's extension when not declared."""
    text = declared.strip().lower().lstrip(".").split(";")[0].strip()
    if text in FORMATS:
        return FORMATS[text]
    if not text:
        path = urlsplit(url).path.lower()
        extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
        return FORMATS.get(extension, "")
    return text


@dataclass
class Resource:
    id: str
    name: str
    format: str
    url: str
    main: bool = True

    def label(self) -> str:
        return f"“{self.name}” ({self.format.upper() or '?'}, id {self.id})"


def choose_resource(
    resources: list[Resource],
    dataset: str,
    resource_id: str | None = None,
    resource_name: str | None = None,
    preference: tuple[str, ...] | list[str] = FORMAT_PREFERENCE,
) -> Resource:
    """The resource asked for by id or name, else the first main one in the preferred format."""
    if not resources:
        raise SourceError(
            _("The dataset “%(dataset)s” has no resource (file) to read."), dataset=dataset
        )
    listing = ", ".join(r.label() for r in resources[:10])
    missing = SourceError(
        _(
            "The dataset “%(dataset)s” has no resource “%(resource)s”. Its resources: "
            "%(resources)s."
        ),
        dataset=dataset,
        resource=resource_id or resource_name,
        resources=listing,
    )
    if resource_id:
        found = next((r for r in resources if r.id == resource_id), None)
        if found is None:
            raise missing
        return found
    pool = resources
    if resource_name:
        wanted = resource_name.strip().casefold()
        pool = [r for r in resources if r.name.strip().casefold() == wanted]
        if not pool:
            raise missing
        if len(pool) == 1:
            return pool[0]
    ranked = [r for r in pool if r.main] or pool
    for fmt in preference:
        for resource in ranked:
            if resource.format == fmt:
                return resource
    if resource_name:
        return pool[0]
    raise SourceError(
        _(
            "The dataset “%(dataset)s” has no resource in a readable format (%(formats)s). Its "
            "resources: %(resources)s. Choose one with “resource_id”."
        ),
        dataset=dataset,
        formats=", ".join(f.upper() for f in preference),
        resources=listing,
    )


def _dataset_reference(value: str, marker: str) -> str:
    """A dataset given by the address of its page → its name: …/datasets/<slug>/ → <slug>."""
    if value.startswith(("http://", "https://")) and marker in value:
        return urlsplit(value).path.split(marker, 1)[1].strip("/").split("/")[0] or value
    return value


def _error_message(reply: HttpReply) -> str | None:
    """The message of a CKAN ({"error": {"message": …}}) or udata ({"message": …}) error."""
    try:
        data = loads(reply.body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, Mapping):
        return None
    error = data.get("error")
    found = error.get("message") if isinstance(error, Mapping) else error or data.get("message")
    return str(found)[:300] if isinstance(found, str) and found else None


class PortalKind(SourceKind):
    """What CKAN and udata share: choose, download, hand over to the file kind."""

    portal_name: ClassVar[str]
    default_portal: ClassVar[str | None] = None
    auth_header: ClassVar[str]
    dataset_marker: ClassVar[str]  # in the address of a dataset's page, before its name

    @abstractmethod
    def resources(self, client: HttpClient, portal: str, dataset: str) -> list[Resource]:
        """The resources of `dataset`, or a `SourceError`."""

    def not_found(self, portal: str, dataset: str) -> SourceError:
        return SourceError(
            _(
                "The dataset “%(dataset)s” was not found on the portal %(portal)s: check its "
                "identifier or name (and the API key if it is private)."
            ),
            dataset=dataset,
            portal=safe_url(portal),
        )

    def refused(self, portal: str, dataset: str) -> SourceError:
        return SourceError(
            _(
                "The portal %(portal)s refuses access to the dataset “%(dataset)s”: it may be "
                "private. Give an API key (“api_key_env”) that may read it."
            ),
            dataset=dataset,
            portal=safe_url(portal),
        )

    def open(self) -> RawInput:
        config = self.config
        portal = (option_str(config, "portal") or self.default_portal or "").rstrip("/")
        if not portal:
            raise SourceError(_("The option “%(option)s” is required."), option="portal")
        dataset = _dataset_reference(required_str(config, "dataset"), self.dataset_marker)
        preference = [normalize_format(f) for f in option_list(config, "formats")]
        key = secret_from_env(config, "api_key_env") or option_str(config, "api_key")
        with HttpClient.from_config(
            config,
            portal,
            headers={self.auth_header: key} if key else None,
            max_option="max_download_mb",
            default_mb=DEFAULT_MAX_DOWNLOAD_MB,
        ) as client:
            resource = choose_resource(
                self.resources(client, portal, dataset),
                dataset,
                option_str(config, "resource_id"),
                option_str(config, "resource_name"),
                tuple(preference) or FORMAT_PREFERENCE,
            )
            path = self._download(client, portal, resource)
        file_options = {k: v for k, v in config.items() if k not in PORTAL_OPTIONS}
        nested = config.get("file_options")
        if isinstance(nested, Mapping):
            file_options.update(nested)
        try:
            raw = FileKind({**file_options, "path": path}).open()
        except BaseException:
            _remove(path)
            raise
        raw.cleanup = _chain(raw.cleanup, path)
        raw.description = (
            f"{self.portal_name} {safe_url(portal)}, dataset “{dataset}”, resource "
            f"{resource.label()}; {raw.description}"
        )
        return raw

    def _download(self, client: HttpClient, portal: str, resource: Resource) -> str:
        url = urljoin(f"{portal}/", resource.url)
        if not resource.url:
            raise SourceError(
                _("The resource %(resource)s has no address to download it from."),
                resource=resource.label(),
            )
        fd, path = tempfile.mkstemp(
            prefix="pilotis-portal-", suffix=f".{resource.format or 'data'}"
        )
        try:
            with os.fdopen(fd, "wb") as sink:
                reply = client.download(url, sink)
            if looks_like_html(reply.body) and resource.format not in ("html", "htm"):
                raise SourceError(
                    _(
                        "The address of the resource %(resource)s (%(address)s) returned a web "
                        "page, not a data file: the portal may link to a page rather than to the "
                        "file. Choose another resource."
                    ),
                    resource=resource.label(),
                    address=reply.address,
                )
            if not reply.body:
                raise SourceError(
                    _("The resource %(resource)s is empty (%(address)s)."),
                    resource=resource.label(),
                    address=reply.address,
                )
            if not resource.format:
                fmt = normalize_format(reply.headers.get("Content-Type", ""), reply.url)
                if fmt:
                    renamed = f"{path.removesuffix('.data')}.{fmt}"
                    os.replace(path, renamed)
                    path = renamed
        except BaseException:
            _remove(path)
            raise
        return path


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _chain(cleanup: Any, path: str) -> Any:
    def both() -> None:
        try:
            if cleanup is not None:
                cleanup()
        finally:
            _remove(path)

    return both


@register
class CkanKind(PortalKind):
    name = "ckan"
    label = _("CKAN open-data portal")
    portal_name = "CKAN"
    auth_header = "Authorization"
    dataset_marker = "/dataset/"
    options: ClassVar[dict[str, str | Promise]] = {
        "portal": _("Address of the portal, e.g. https://demo.ckan.org"),
        **_PORTAL_HELP,
    }

    def resources(self, client: HttpClient, portal: str, dataset: str) -> list[Resource]:
        reply = client.get(
            f"{portal}/api/3/action/package_show", {"id": dataset}, check_status=False
        )
        if reply.status == 404:
            raise self.not_found(portal, dataset)
        if reply.status == 403:
            raise self.refused(portal, dataset)
        if reply.status >= 400:
            raise http_error(reply, _error_message(reply))
        data = parse_json(reply)
        result = data.get("result") if isinstance(data, Mapping) else None
        if not isinstance(data, Mapping) or data.get("success") is not True:
            message = _error_message(reply)
            if message:
                raise SourceError(
                    _("The portal %(portal)s answered with an error: %(detail)s"),
                    portal=safe_url(portal),
                    detail=message,
                )
        if not isinstance(result, Mapping) or not isinstance(result.get("resources"), list):
            raise SourceError(
                _(
                    "%(address)s did not answer like a CKAN portal: check the address of the "
                    "portal (its root, e.g. https://demo.ckan.org)."
                ),
                address=reply.address,
            )
        return [
            Resource(
                id=str(item.get("id") or ""),
                name=str(item.get("name") or item.get("id") or ""),
                format=normalize_format(str(item.get("format") or ""), str(item.get("url") or "")),
                url=str(item.get("url") or ""),
            )
            for item in result["resources"]
            if isinstance(item, Mapping)
        ]


@register
class UdataKind(PortalKind):
    name = "udata"
    label = _("udata open-data portal (data.gouv.fr)")
    portal_name = "udata"
    default_portal = "https://www.data.gouv.fr"
    auth_header = "X-API-KEY"
    dataset_marker = "/datasets/"
    options: ClassVar[dict[str, str | Promise]] = {
        "portal": _("Address of the portal (default https://www.data.gouv.fr)."),
        **_PORTAL_HELP,
    }

    def resources(self, client: HttpClient, portal: str, dataset: str) -> list[Resource]:
        reply = client.get(
            f"{portal}/api/1/datasets/{quote(dataset, safe='')}/", check_status=False
        )
        if reply.status == 404:
            raise self.not_found(portal, dataset)
        if reply.status == 410:
            raise SourceError(
                _("The dataset “%(dataset)s” was deleted from the portal %(portal)s."),
                dataset=dataset,
                portal=safe_url(portal),
            )
        if reply.status in (401, 403):
            raise self.refused(portal, dataset)
        if reply.status >= 400:
            raise http_error(reply, _error_message(reply))
        data = parse_json(reply)
        if not isinstance(data, Mapping) or not isinstance(data.get("resources"), list):
            raise SourceError(
                _(
                    "%(address)s did not answer like a udata portal: check the address of the "
                    "portal (its root, e.g. https://www.data.gouv.fr)."
                ),
                address=reply.address,
            )
        return [
            Resource(
                id=str(item.get("id") or ""),
                name=str(item.get("title") or item.get("id") or ""),
                format=normalize_format(str(item.get("format") or ""), str(item.get("url") or "")),
                url=str(item.get("url") or ""),
                main=item.get("type") in (None, "main"),
            )
            for item in data["resources"]
            if isinstance(item, Mapping)
        ]
