"""A read-only CKAN Action API (/api/3/action/, and /api/action/ where ckanapi looks by
default) over what is online, for the tools that speak CKAN: ckanapi, data.gouv.fr's CKAN
harvester, ckanext-harvest, DKAN/CKAN federations.

Actions: status_show, help_show, package_list, package_show, package_search, organization_list,
organization_show, resource_show. Responses and errors as CKAN 2.10 shapes them:
{"help", "success": true, "result"}; a missing object answers 404 "Not Found Error", a bad
parameter 409 "Validation Error", a bad query 400 "Search Query Error", a write action 403
"Authorization Error", an unknown action 400 with a bare JSON string, as CKAN does.

Identifiers: a package's id is the publication's identifier (the DCAT dct:identifier), its name
`<code>-<slug>` (code in lower case); an organization is a tenant that publishes, named by its
code in lower case; a resource's id is stable per publication and format
(pilotis.opendata.dcat.resource_id). Search runs in Python over what is online, as the portal's
does: fine for the few thousand datasets of an instance."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from pilotis.catalog.models import Licence
from pilotis.opendata import dcat, vocab
from pilotis.opendata.dcat import Entry
from pilotis.opendata.page import fold
from pilotis.opendata.resources import FORMATS
from pilotis.tenants.models import Tenant

CKAN_VERSION = "2.10.0"  # the API this module follows
ORG_NAMESPACE = uuid.UUID("a3f21e9b-a2d8-4550-9cd0-1a0196844373")  # organization and tag ids
ROWS_DEFAULT = 10
ROWS_MAX = 1000
FACET_LIMIT = 50
OPEN_LICENCES = {Licence.ETALAB, Licence.ODBL}
# Pilotis formats → CKAN resource formats (res_format).
CKAN_FORMATS = {
    "csv": "CSV",
    "csv-excel": "CSV",
    "json": "JSON",
    "parquet": "Parquet",
    "xlsx": "XLSX",
    "geojson": "GeoJSON",
}
DEFAULT_SORT = "score desc, metadata_modified desc"
WRITE_SUFFIXES = ("_create", "_update", "_patch", "_delete", "_purge", "_revise")


# --- errors, as CKAN's action view reports them ---------------------------------------------


class ActionError(Exception):
    status = 500

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError


class NotFound(ActionError):
    status = 404

    def __init__(self, detail: str = ""):
        super().__init__(detail)
        self.detail = detail

    def payload(self) -> dict[str, Any]:
        message = _("Not found")
        return {
            "__type": "Not Found Error",
            "message": f"{message}: {self.detail}" if self.detail else message,
        }


class Invalid(ActionError):
    """CKAN's ValidationError: field → messages."""

    status = 409

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    def payload(self) -> dict[str, Any]:
        return {**self.errors, "__type": "Validation Error"}


class BadQuery(ActionError):
    status = 400

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail

    def payload(self) -> dict[str, Any]:
        return {
            "__type": "Search Query Error",
            "message": f"Search Query is invalid: {self.detail}",
        }


class Denied(ActionError):
    status = 403

    def payload(self) -> dict[str, Any]:
        return {
            "__type": "Authorization Error",
            "message": _("Access denied: %(reason)s")
            % {"reason": _("this CKAN API is read-only.")},
        }


# --- parameters ----------------------------------------------------------------------------


def _required(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid({key: [_("Missing value")]})
    return str(value).strip()


def _natural(data: dict[str, Any], key: str, default: int, maximum: int | None = None) -> int:
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid({key: [_("Invalid integer")]}) from None
    if number < 0:
        raise Invalid({key: [_("Must be a natural number")]})
    return min(number, maximum) if maximum is not None else number


def _boolean(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "on", "y", "t", "1")


def _str_list(data: dict[str, Any], key: str) -> list[str]:
    """A list parameter: a JSON list, a list, or one value (CKAN accepts all three)."""
    value = data.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise Invalid({key: [_("Not a list")]})
    return [str(v) for v in value]


# --- dictionaries --------------------------------------------------------------------------


def _ckan_time(value: Any) -> str | None:
    """CKAN's timestamps: ISO 8601 in UTC, without a time zone."""
    if value is None:
        return None
    return str(value.astimezone(dt.UTC).replace(tzinfo=None).isoformat())


def org_name(tenant: Tenant) -> str:
    return tenant.code.lower()


def org_id(tenant: Tenant) -> str:
    return str(uuid.uuid5(ORG_NAMESPACE, f"tenant:{tenant.code}"))


def package_name(item: Entry) -> str:
    return f"{org_name(item.pub.tenant)}-{item.pub.slug}"


def organization_dict(tenant: Tenant, package_count: int | None = None) -> dict[str, Any]:
    image = ""
    if tenant.logo:
        image = dcat.base_url() + tenant.logo.url
    out: dict[str, Any] = {
        "id": org_id(tenant),
        "name": org_name(tenant),
        "title": tenant.name,
        "display_name": tenant.name,
        "type": "organization",
        "description": "",
        "image_url": image,
        "image_display_url": image,
        "created": _ckan_time(tenant.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        # Gone from CKAN 2.9+, still required by data.gouv.fr's CKAN harvester.
        "revision_id": "",
        "revision_timestamp": _ckan_time(tenant.created_at),
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def resource_dict(item: Entry, fmt: str, position: int) -> dict[str, Any]:
    info = item.current.resources[fmt]
    return {
        "id": dcat.resource_id(item.pub, fmt),
        "package_id": str(item.pub.identifier),
        "name": FORMATS[fmt].label,
        "description": "",
        "format": CKAN_FORMATS.get(fmt, fmt.upper()),
        "mimetype": dcat.media_type(fmt),
        "mimetype_inner": None,
        "size": int(info["bytes"]),
        "hash": str(info["sha256"]),
        "url": dcat.download_url(item.pub, fmt),
        "url_type": None,
        "resource_type": "file",
        "created": _ckan_time(item.issued),
        "last_modified": _ckan_time(item.modified),
        "metadata_modified": _ckan_time(item.modified),
        "position": position,
        "state": "active",
        "datastore_active": False,
        "cache_url": None,
        "cache_last_updated": None,
    }


def _resource_formats(item: Entry) -> list[str]:
    return [fmt for fmt in item.current.resources if fmt in FORMATS]


def _licence_title(pub: Any) -> str:
    title = vocab.LICENCE_TITLE.get(pub.licence, "")
    if title:
        return title
    return str(Licence(pub.licence).label) if pub.licence in Licence.values else pub.licence


def package_dict(item: Entry) -> dict[str, Any]:
    pub = item.pub
    tags = [
        {
            "id": str(uuid.uuid5(ORG_NAMESPACE, f"tag:{kw}")),
            "name": kw,
            "display_name": kw,
            "state": "active",
            "vocabulary_id": None,
        }
        for kw in pub.keyword_list
    ]
    resources = [resource_dict(item, fmt, i) for i, fmt in enumerate(_resource_formats(item))]
    extras = [
        {"key": "identifier", "value": str(pub.identifier)},
        {"key": "uri", "value": str(dcat.dataset_uri(pub))},
        {"key": "frequency", "value": vocab.FREQUENCY_URI.get(pub.frequency, pub.frequency)},
        {"key": "theme", "value": vocab.theme_uri(pub.theme)},
        {"key": "api_url", "value": dcat.api_url(pub)},
    ]
    if pub.national_schema:
        extras.append({"key": "schema", "value": pub.national_schema})
        if pub.national_schema_version:
            extras.append({"key": "schema_version", "value": pub.national_schema_version})
        extras.append({"key": "schema_url", "value": dcat.schema_url(pub)})
    if pub.hvd_category:
        extras.append({"key": "hvd_category", "value": vocab.hvd_uri(pub.hvd_category)})
        extras.append({"key": "applicable_legislation", "value": vocab.HVD_LEGISLATION})
    return {
        "id": str(pub.identifier),
        "name": package_name(item),
        "title": pub.title,
        "notes": pub.description,
        "url": dcat.landing_page(pub),
        "version": str(item.current.number),
        "type": "dataset",
        "state": "active",
        "private": False,
        "author": None,
        "author_email": None,
        "maintainer": pub.tenant.name,
        "maintainer_email": None,
        "creator_user_id": None,
        "license_id": pub.licence,
        "license_title": _licence_title(pub),
        "license_url": vocab.LICENCE_URI.get(pub.licence, ""),
        "isopen": pub.licence in OPEN_LICENCES,
        "metadata_created": _ckan_time(item.issued),
        "metadata_modified": _ckan_time(item.modified),
        "organization": organization_dict(pub.tenant),
        "owner_org": org_id(pub.tenant),
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "groups": [],
        "extras": extras,
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# --- lookups -------------------------------------------------------------------------------


def _all() -> list[Entry]:
    return dcat.entries(dcat.online())


def _package(ref: str) -> Entry:
    """A package by id (the identifier) or name (<code>-<slug>)."""
    found: list[Entry] = []
    try:
        found = dcat.entries(dcat.online(identifier=uuid.UUID(ref)))
    except ValueError:
        code, _sep, slug = ref.partition("-")
        if slug:
            found = dcat.entries(dcat.online(tenant__code__iexact=code, slug=slug))
    if not found:
        raise NotFound()
    return found[0]


def _publishers() -> dict[int, int]:
    """Tenants that publish something → how many datasets."""
    return dict(Counter(dcat.online().values_list("tenant_id", flat=True)))


def _organization(ref: str) -> Tenant:
    counts = _publishers()
    for tenant in Tenant.objects.filter(pk__in=counts):
        if ref in (org_id(tenant), org_name(tenant), tenant.code):
            return tenant
    raise NotFound(_("Organization was not found."))


# --- search --------------------------------------------------------------------------------


@dataclass
class Query:
    words: list[str] = field(default_factory=list)
    required: list[tuple[str, str]] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)


SEARCH_FIELDS = (
    "organization",
    "owner_org",
    "tags",
    "res_format",
    "license_id",
    "name",
    "id",
    "identifier",
    "title",
    "dataset_type",
    "type",
    "state",
    "capacity",
    "private",
)


def _field_values(item: Entry, name: str) -> list[str] | None:
    """The values a package has for a search field (lower case); None: an unknown field."""
    pub = item.pub
    values: dict[str, list[str]] = {
        "organization": [org_name(pub.tenant)],
        "owner_org": [org_id(pub.tenant)],
        "tags": [k.lower() for k in pub.keyword_list],
        "res_format": [CKAN_FORMATS.get(f, f).lower() for f in _resource_formats(item)],
        "license_id": [pub.licence.lower()],
        "name": [package_name(item)],
        "id": [str(pub.identifier)],
        "identifier": [str(pub.identifier)],
        "title": [fold(pub.title)],
        "dataset_type": ["dataset"],
        "type": ["dataset"],
        "state": ["active"],
        "capacity": ["public"],
        "private": ["false"],
    }
    return values.get(name)


def _parse(text: str, into: Query) -> None:
    """The Solr syntax clients send: words, field:value, field:"a value", +field:…, -field:…,
    joined by spaces or AND (*:* for everything)."""
    try:
        tokens = shlex.split(text)
    except ValueError as error:
        raise BadQuery(str(error)) from None
    for token in tokens:
        if token in ("AND", "&&", "*:*", "*", "+", ""):
            continue
        if token in ("OR", "||", "NOT"):
            raise BadQuery(_("only AND is supported, not %(operator)s") % {"operator": token})
        excluded = token.startswith("-")
        bare = token.lstrip("+-")
        name, sep, value = bare.partition(":")
        if not sep:
            into.words.extend(fold(bare).split())
            continue
        if name not in SEARCH_FIELDS:
            raise BadQuery(_("unknown field %(field)s") % {"field": name})
        pair = (name, fold(value) if name == "title" else value.lower())
        (into.excluded if excluded else into.required).append(pair)


def _haystack(item: Entry) -> str:
    pub = item.pub
    return fold(" ".join([pub.title, pub.description, pub.keywords, pub.tenant.name]))


def _matches(item: Entry, query: Query) -> bool:
    text = _haystack(item)
    if not all(word in text for word in query.words):
        return False
    for name, value in query.required:
        values = _field_values(item, name) or []
        if name == "title":
            if value not in values[0]:
                return False
        elif value != "*" and value not in values:
            return False
    for name, value in query.excluded:
        if value in (_field_values(item, name) or []):
            return False
    return True


def _score(item: Entry, words: list[str]) -> int:
    title = fold(item.pub.title)
    text = _haystack(item)
    return sum(3 * title.count(w) + text.count(w) for w in words)


SORT_KEYS: dict[str, Callable[[Entry, list[str]], Any]] = {
    "score": _score,
    "metadata_modified": lambda item, _w: item.modified,
    "metadata_created": lambda item, _w: item.issued,
    "title_string": lambda item, _w: fold(item.pub.title),
    "title": lambda item, _w: fold(item.pub.title),
    "name": lambda item, _w: package_name(item),
}


def _sort(found: list[Entry], sort: str, words: list[str]) -> list[Entry]:
    keys = []
    for part in sort.split(","):
        bits = part.split()
        if not bits:
            continue
        name, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if name not in SORT_KEYS or direction not in ("asc", "desc") or len(bits) > 2:
            raise BadQuery(_("cannot sort on %(sort)s") % {"sort": part.strip()})
        keys.append((SORT_KEYS[name], direction == "desc"))
    ordered = sorted(found, key=lambda item: str(item.pub.identifier))  # ties: stable
    for key, reverse in reversed(keys):
        ordered.sort(key=lambda item, key=key: key(item, words), reverse=reverse)  # type: ignore[misc]
    return ordered


FACET_FIELDS = ("organization", "tags", "res_format", "license_id", "groups")


def _facet_values(item: Entry, name: str) -> list[str]:
    pub = item.pub
    if name == "organization":
        return [org_name(pub.tenant)]
    if name == "tags":
        return pub.keyword_list
    if name == "res_format":
        return sorted({CKAN_FORMATS.get(f, f) for f in _resource_formats(item)})
    if name == "license_id":
        return [pub.licence]
    return []


def _display(name: str, value: str, found: list[Entry]) -> str:
    if name == "organization":
        for item in found:
            if org_name(item.pub.tenant) == value:
                return item.pub.tenant.name
    if name == "license_id":
        for item in found:
            if item.pub.licence == value:
                return _licence_title(item.pub)
    return value


# --- actions -------------------------------------------------------------------------------


def status_show(data: dict[str, Any]) -> dict[str, Any]:
    """Return the site's status: its URL, the CKAN API version followed and its language."""
    return {
        "site_title": _("Open data of %(host)s") % {"host": urlsplit(dcat.base_url()).netloc},
        "site_description": "",
        "site_url": dcat.base_url(),
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": settings.LANGUAGE_CODE,
        "extensions": [],
    }


def help_show(data: dict[str, Any]) -> str:
    """Return the help of an action. :param name: the action's name"""
    name = _required(data, "name")
    if name not in ACTIONS:
        raise NotFound(_("Action function not found"))
    return (ACTIONS[name].__doc__ or "").strip()


def package_list(data: dict[str, Any]) -> list[str]:
    """Return the names of every dataset online. :param limit: (all by default) :param offset:"""
    pairs = dcat.online().values_list("tenant__code", "slug")
    names = sorted(f"{code.lower()}-{slug}" for code, slug in pairs)
    offset = _natural(data, "offset", 0)
    limit = _natural(data, "limit", len(names))
    return names[offset : offset + limit]


def package_show(data: dict[str, Any]) -> dict[str, Any]:
    """Return a dataset. :param id: its identifier (UUID) or its name (<code>-<slug>)"""
    return package_dict(_package(_required(data, "id")))


def package_search(data: dict[str, Any]) -> dict[str, Any]:
    """Search the datasets. :param q: words (title, description, keywords, publisher) and
    field:value filters; :param fq: filters (organization:, tags:, res_format:, license_id:,
    name:, id:); :param rows: (10, at most 1000); :param start:; :param sort: e.g.
    "metadata_modified desc", "title_string asc"; :param facet.field: a list of fields
    (organization, tags, res_format, license_id); :param facet.limit:"""
    rows = _natural(data, "rows", ROWS_DEFAULT, ROWS_MAX)
    start = _natural(data, "start", 0)
    sort = str(data.get("sort") or DEFAULT_SORT)
    try:
        facet_limit = int(data.get("facet.limit") or FACET_LIMIT)  # -1: no limit
    except (TypeError, ValueError):
        raise Invalid({"facet.limit": [_("Invalid integer")]}) from None
    query = Query()
    _parse(str(data.get("q") or ""), query)
    fq = data.get("fq") or ""
    for text in fq if isinstance(fq, list) else [fq]:
        _parse(str(text), query)
    found = [item for item in _all() if _matches(item, query)]
    ordered = _sort(found, sort, query.words)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    for name in _str_list(data, "facet.field"):
        counts: Counter[str] = Counter()
        for item in found:
            counts.update(_facet_values(item, name))
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if facet_limit >= 0:
            top = top[:facet_limit]
        facets[name] = dict(top)
        search_facets[name] = {
            "title": name,
            "items": [
                {"name": value, "display_name": _display(name, value, found), "count": n}
                for value, n in top
            ],
        }
    return {
        "count": len(found),
        "sort": sort,
        "results": [package_dict(item) for item in ordered[start : start + rows]],
        "facets": facets,
        "search_facets": search_facets,
    }


def organization_list(data: dict[str, Any]) -> list[Any]:
    """Return the publishers (organizations with datasets online). :param all_fields: dicts
    instead of names; :param sort: "title asc" (default), "name", "package_count";
    :param limit:; :param offset:; :param organizations: names to keep"""
    counts = _publishers()
    tenants = list(Tenant.objects.filter(pk__in=counts))
    wanted = _str_list(data, "organizations")
    if wanted:
        tenants = [t for t in tenants if org_name(t) in wanted]
    sort = str(data.get("sort") or "title asc").split()
    name, reverse = sort[0], len(sort) > 1 and sort[1].lower() == "desc"
    keys: dict[str, Callable[[Tenant], Any]] = {
        "title": lambda t: fold(t.name),
        "name": org_name,
        "package_count": lambda t: counts[t.pk],
    }
    if name not in keys:
        raise Invalid({"sort": [_("Cannot sort by field `%(field)s`") % {"field": name}]})
    tenants.sort(key=keys[name], reverse=reverse)
    offset = _natural(data, "offset", 0)
    limit = _natural(data, "limit", ROWS_MAX)
    tenants = tenants[offset : offset + limit]
    if _boolean(data, "all_fields"):
        return [organization_dict(t, counts[t.pk]) for t in tenants]
    return [org_name(t) for t in tenants]


def organization_show(data: dict[str, Any]) -> dict[str, Any]:
    """Return a publisher. :param id: its id or name (its code); :param include_datasets:
    its datasets online too (at most 1000)"""
    tenant = _organization(_required(data, "id"))
    items = dcat.entries(dcat.online(tenant=tenant))
    out = organization_dict(tenant, len(items))
    out.update({"users": [], "extras": [], "groups": [], "tags": [], "num_followers": 0})
    if _boolean(data, "include_datasets"):
        out["packages"] = [package_dict(item) for item in items[:ROWS_MAX]]
    return out


def resource_show(data: dict[str, Any]) -> dict[str, Any]:
    """Return a resource (a file of a dataset). :param id: the resource's id"""
    ref = _required(data, "id")
    for pk, identifier in dcat.online().values_list("pk", "identifier"):
        for fmt in FORMATS:
            if str(uuid.uuid5(identifier, fmt)) == ref:
                items = dcat.entries(dcat.online(pk=pk))
                formats = _resource_formats(items[0]) if items else []
                if fmt in formats:
                    return resource_dict(items[0], fmt, formats.index(fmt))
    raise NotFound(_("Resource was not found."))


ACTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "status_show": status_show,
    "help_show": help_show,
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "resource_show": resource_show,
}


# --- the view ------------------------------------------------------------------------------


def _mixed(params: QueryDict) -> dict[str, Any]:
    """Parameters as CKAN reads them: a list when repeated, else the value."""
    return {k: v[0] if len(v) == 1 else v for k, v in params.lists()}


def _request_data(request: HttpRequest) -> dict[str, Any]:
    """The action's parameters: the query string, then a form or a JSON body (ckanapi POSTs
    JSON). Raises ValueError on a body that is not a JSON object."""
    data = _mixed(request.GET)
    if request.method != "POST":
        return data
    form = request.POST if request.content_type != "application/json" else QueryDict()
    if form:
        values = list(form.values())
        if len(values) == 1 and values[0] in ("1", ""):
            body: Any = json.loads(next(iter(form.keys())))  # a JSON key, as CKAN accepts
        else:
            body = _mixed(form)
    elif request.body.strip():
        body = json.loads(request.body)
    else:
        body = {}
    if not isinstance(body, dict):
        raise ValueError(f"Request data JSON decoded to {body!r} but it needs to be a dictionary.")
    data.update(body)
    return data


def _json(payload: Any, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        content_type="application/json;charset=utf-8",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
def action(request: HttpRequest, action: str) -> HttpResponse:
    """One CKAN action, by GET (query string) or POST (JSON body)."""
    if request.method not in ("GET", "POST"):
        response = _json(_("Bad request") + " - " + _("use GET or POST"), 405)
        response["Allow"] = "GET, POST"
        return response
    function = ACTIONS.get(action)
    envelope: dict[str, Any] = {
        "help": f"{dcat.base_url()}/api/3/action/help_show?name={action}",
    }
    if function is None:
        if action.endswith(WRITE_SUFFIXES):
            return _json({**envelope, "success": False, "error": Denied().payload()}, 403)
        message = _("Action name not known: %(name)s") % {"name": action}
        return _json(_("Bad request") + " - " + message, 400)
    try:
        data = _request_data(request)
    except ValueError as error:
        message = _("JSON Error: %(error)s") % {"error": error}
        return _json(_("Bad request") + " - " + message, 400)
    data.pop("callback", None)
    try:
        result = function(data)
    except ActionError as error:
        return _json({**envelope, "success": False, "error": error.payload()}, error.status)
    return _json({**envelope, "success": True, "result": result})
