"""The tabular API's views (/api/donnees/): rows, profile, OpenAPI document and a plain HTML
page describing it. Public (no login), read-only, open to every origin (CORS `*`), rate
limited per client (pilotis.opendata.throttle). Only a publication online (public, with a
version that succeeded) is served; anything else answers 404. docs/opendata-api.md tells how
to query it."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from pilotis.opendata import tabular, throttle
from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.public import public_view
from pilotis.opendata.publish import resource_path
from pilotis.tenants.models import Tenant

JSON = "application/json"
VERSION_MAX_AGE = 86400  # a numbered version never changes
CURRENT_MAX_AGE = 60  # the current version may be replaced or go offline
ONLINE_TTL = 1.0  # seconds a process trusts what it read of a publication (see _online)
ONLINE_CACHE_SIZE = 10_000
EXPOSED = "Retry-After, Content-Disposition, X-RateLimit-Limit, X-RateLimit-Remaining"

View = Callable[..., HttpResponse]


class NotFound(Exception):
    pass


def _json(payload: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(tabular.to_json(payload), content_type=JSON, status=status)


def error(code: str, message: str, status: int = 400) -> HttpResponse:
    response = _json({"error": {"code": code, "message": message}}, status)
    # A client's mistake in a public API is not the server's: Django would log each one as a
    # warning (a flood under a misbehaving client). The body says what went wrong.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _cors(response: HttpResponse | StreamingHttpResponse) -> None:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = EXPOSED


def api_view(view: View) -> View:
    """GET (and HEAD, OPTIONS) only, CORS, rate limit, errors as JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "*"
            response["Access-Control-Max-Age"] = "86400"
            _cors(response)
            return response
        if request.method not in ("GET", "HEAD"):
            response = error(
                "method_not_allowed", _("This API only answers GET requests."), status=405
            )
            response["Allow"] = "GET, HEAD, OPTIONS"
            _cors(response)
            return response
        decision = throttle.take(request)
        if not decision.allowed:
            response = error(
                "rate_limited",
                _("Too many requests: try again in %(seconds)s seconds.")
                % {"seconds": decision.retry_after},
                status=429,
            )
            response["Retry-After"] = str(decision.retry_after)
        else:
            try:
                response = view(request, *args, **kwargs)
            except tabular.TabularError as refused:
                response = error(refused.code, str(refused))
            except NotFound:
                response = error("not_found", _("No such dataset is online here."), status=404)
        if decision.limit:
            response["X-RateLimit-Limit"] = str(decision.limit)
            response["X-RateLimit-Remaining"] = str(decision.remaining)
        _cors(response)
        return response

    return wrapper


ONLINE_FIELDS = (
    "number",
    "resources",
    "publication__identifier",
    "publication__slug",
    "publication__title",
    "publication__tenant__code",
)


_online_cache: dict[tuple[str, str, int | None], tuple[float, PublicationVersion | None]] = {}


def _online(tenant_code: str, slug: str, number: int | None) -> PublicationVersion:
    """The version served: `number`, or the current one (the last that succeeded).

    Each process remembers the answer for ONLINE_TTL seconds: a dataset taken offline or
    republished is seen within that delay (the responses themselves may be cached a minute,
    see CURRENT_MAX_AGE). Without it, each request would open a database connection (SQLite)
    and query three tables, which costs more than answering most queries."""
    key = (tenant_code, slug, number)
    now = time.monotonic()
    known = _online_cache.get(key)
    if known is None or known[0] < now:
        if len(_online_cache) > ONLINE_CACHE_SIZE:
            _online_cache.clear()
        known = (now + ONLINE_TTL, _lookup(tenant_code, slug, number))
        _online_cache[key] = known
    if known[1] is None:
        raise NotFound
    return known[1]


def forget_online(*args: Any, **kwargs: Any) -> None:
    """Forget what this process read of publications (also on each save in this process)."""
    _online_cache.clear()


for _model in (Tenant, Publication, PublicationVersion):
    post_save.connect(forget_online, sender=_model, dispatch_uid=f"opendata-api-{_model.__name__}")
    post_delete.connect(
        forget_online, sender=_model, dispatch_uid=f"opendata-api-d-{_model.__name__}"
    )


def _lookup(tenant_code: str, slug: str, number: int | None) -> PublicationVersion | None:
    """Only the fields the API needs (loading the three objects costs more than the query)."""
    versions = PublicationVersion.objects.filter(
        publication__tenant__code=tenant_code,
        publication__slug=slug,
        publication__public=True,
        status=PublicationVersion.Status.OK,
    )
    if number is not None:
        versions = versions.filter(number=number)
    found = versions.order_by("-number").values_list(*ONLINE_FIELDS).first()
    if found is None:
        return None
    number, resources, identifier, slug, title, code = found
    pub = Publication(identifier=identifier, slug=slug, title=title, tenant=Tenant(code=code))
    return PublicationVersion(publication=pub, number=number, resources=resources)


def _table(version: PublicationVersion) -> tabular.Table:
    path = resource_path(version, "parquet")
    if path is None or not path.exists():
        raise NotFound
    return tabular.open_table(path)


def _link(request: HttpRequest, changes: dict[str, str]) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    query = params.urlencode()
    return request.build_absolute_uri(request.path + (f"?{query}" if query else ""))


def _routes(version: PublicationVersion, pinned: bool) -> tuple[str, str]:
    pub = version.publication
    args: list[Any] = [pub.tenant.code, pub.slug]
    if pinned:
        args.append(version.number)
        return (
            reverse("opendata_api:rows_version", args=args),
            reverse("opendata_api:profile_version", args=args),
        )
    return reverse("opendata_api:rows", args=args), reverse("opendata_api:profile", args=args)


def _cache(response: HttpResponse | StreamingHttpResponse, pinned: bool) -> None:
    age = VERSION_MAX_AGE if pinned else CURRENT_MAX_AGE
    response["Cache-Control"] = f"public, max-age={age}"


@public_view
@api_view
def rows(
    request: HttpRequest, tenant_code: str, slug: str, number: int | None = None
) -> HttpResponse:
    """The rows of the current version (or of version `number`), filtered, sorted, paged."""
    token = request.GET.get("cursor", "")
    pinned = number
    if token and number is None:
        pinned = tabular.cursor_version(token)  # a walk stays on the version it started on
    try:
        version = _online(tenant_code, slug, pinned)
    except NotFound:
        if pinned is not None and number is None:
            raise tabular.TabularError(
                "bad_cursor",
                _("The version this cursor walks is no longer online: start again."),
            ) from None
        raise
    table = _table(version)
    query = tabular.parse(table, request.GET.lists())
    if query.cursor is not None and query.cursor["v"] != version.number:
        raise tabular.TabularError(
            "bad_cursor", _("This cursor belongs to another version of the dataset.")
        )
    profile_url = _routes(version, number is not None)[1]
    if query.format == "csv":
        return _csv(table, query, version, number is not None)  # type: ignore[return-value]
    page = tabular.run(table, query, version.number)
    meta: dict[str, Any] = {
        "page_size": page.page_size,
        "total": page.total,
        "total_is_approximate": page.approximate,
        "version": version.number,
    }
    if page.page is not None:
        meta["page"] = page.page
    links: dict[str, Any] = {
        "profile": request.build_absolute_uri(profile_url),
        "openapi": request.build_absolute_uri(reverse("opendata_api:openapi")),
        "next": _link(request, page.next) if page.next else None,
        "prev": _link(request, page.prev) if page.prev else None,
    }
    response = _json({"data": page.rows, "meta": meta, "links": links})
    _cache(response, number is not None)
    return response


def _csv(
    table: tabular.Table, query: tabular.Query, version: PublicationVersion, pinned: bool
) -> StreamingHttpResponse:
    pub = version.publication
    response = StreamingHttpResponse(
        tabular.csv_chunks(table, query), content_type="text/csv; charset=utf-8"
    )
    name = f"{pub.slug}-v{version.number}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    _cache(response, pinned)
    return response


@public_view
@api_view
def profile(
    request: HttpRequest, tenant_code: str, slug: str, number: int | None = None
) -> HttpResponse:
    """The columns (type, nulls, distinct values, bounds, operators) and the row count."""
    version = _online(tenant_code, slug, number)
    table = _table(version)
    rows_url, _profile = _routes(version, number is not None)
    pub = version.publication
    payload = {
        "title": pub.title,
        "version": version.number,
        **tabular.profile(table),
        "links": {
            "data": request.build_absolute_uri(rows_url),
            "openapi": request.build_absolute_uri(reverse("opendata_api:openapi")),
        },
    }
    response = _json(payload)
    _cache(response, number is not None)
    return response


@api_view
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 document of the whole API."""
    response = _json(openapi_document(request.build_absolute_uri("/").rstrip("/")))
    response["Cache-Control"] = f"public, max-age={CURRENT_MAX_AGE}"
    return response


@api_view
def docs(request: HttpRequest) -> HttpResponse:
    """The OpenAPI document as a plain page: no script, nothing fetched elsewhere."""
    doc = openapi_document(request.build_absolute_uri("/").rstrip("/"))
    sections = []
    for route, item in doc["paths"].items():
        operation = item["get"]
        params = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            (
                (p["name"], p["in"], p.get("description", ""))
                for p in operation.get("parameters", [])
            ),
        )
        sections.append(
            format_html(
                "<section><h2><code>GET {}</code></h2><p>{}</p><table><thead><tr><th>{}</th>"
                "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table></section>",
                route,
                operation.get("description", operation.get("summary", "")),
                _("Parameter"),
                _("In"),
                _("Description"),
                params,
            )
        )
    body = format_html(
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{}</title></head>'
        '<body><main><h1>{}</h1><p>{}</p><p><a href="{}">openapi.json</a></p>{}</main>'
        "</body></html>",
        doc["info"]["title"],
        doc["info"]["title"],
        doc["info"]["description"],
        reverse("opendata_api:openapi"),
        format_html_join("", "{}", ((s,) for s in sections)),
    )
    return HttpResponse(body, content_type="text/html; charset=utf-8")


# --- the OpenAPI document -------------------------------------------------------------------

FILTER_PATTERN = (
    "^.+__(exact|differs|in|notin|less|greater|strictly_less|strictly_greater|contains"
    "|isnull|isnotnull|sort|groupby|count|sum|avg|min|max)$"
)


def _param(
    name: str, where: str, description: str, schema: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "schema": schema, **extra}


def _error_response(description: str, code: str, message: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            JSON: {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": {"code": code, "message": message}},
            }
        },
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every route, parameter and response."""
    path_params = [
        _param(
            "tenant_code",
            "path",
            "The publisher's official code (INSEE code of a commune, SIREN of an EPCI).",
            {"type": "string"},
            required=True,
            example="35238",
        ),
        _param(
            "slug",
            "path",
            "The dataset's address.",
            {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
            required=True,
            example="subventions",
        ),
    ]
    number = _param(
        "number",
        "path",
        "A version number (v1, v2…): its rows never change.",
        {"type": "integer", "minimum": 1},
        required=True,
        example=3,
    )
    query_params = [
        _param(
            "filters",
            "query",
            "Filters, sorts, group-bys and aggregates as `<column>__<operator>=<value>`: "
            "exact, differs, in (a,b), notin, less (≤), greater (≥), strictly_less, "
            "strictly_greater, contains (case and accents aside), isnull, isnotnull; "
            "sort=asc|desc (several, in order); groupby; count, sum, avg, min, max. "
            "Filters are combined with AND. A comparison never matches an empty cell.",
            {
                "type": "object",
                "patternProperties": {FILTER_PATTERN: {"type": "string"}},
                "additionalProperties": False,
            },
            style="form",
            explode=True,
            examples={
                "filter": {"value": {"categorie__exact": "Voirie", "montant__greater": "300"}},
                "sort": {"value": {"date__sort": "desc"}},
                "group": {"value": {"commune__groupby": "", "montant__sum": ""}},
            },
        ),
        _param(
            "or",
            "query",
            "A group of alternatives: `column__operator:value|column__operator:value` (a row "
            "matches one at least). Repeat it for several groups; each group is combined with "
            "the other filters by AND. A backslash escapes | , and itself.",
            {"type": "string"},
            example="commune__exact:Rennes|categorie__contains:eclairage",
        ),
        _param(
            "q",
            "query",
            "Full-text search: every word appears in a text column (case and accents aside).",
            {"type": "string"},
            example="eglise",
        ),
        _param(
            "columns",
            "query",
            "The columns to return, separated by commas (default: all).",
            {"type": "string"},
            example="commune,montant",
        ),
        _param(
            "page_size",
            "query",
            f"Rows per page (default {tabular.DEFAULT_PAGE_SIZE}).",
            {"type": "integer", "minimum": 1, "maximum": tabular.MAX_PAGE_SIZE},
        ),
        _param(
            "cursor",
            "query",
            "The opaque position given by links.next or links.prev (deep pages stay fast).",
            {"type": "string"},
        ),
        _param(
            "page",
            "query",
            "A page number (offset pagination, for compatibility; prefer the cursor).",
            {"type": "integer", "minimum": 1},
        ),
        _param(
            "format",
            "query",
            "csv: the whole result (every page) streamed as CSV in UTF-8.",
            {"type": "string", "enum": list(tabular.FORMATS)},
        ),
    ]
    rate_limited = _error_response(
        "Too many requests for this client; Retry-After says when to come back.",
        "rate_limited",
        "Trop de requêtes : réessayez dans 3 secondes.",
    )
    rate_limited["headers"] = {
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
    }
    not_found = _error_response(
        "No such dataset online.", "not_found", "Aucun jeu de données de ce nom n'est en ligne."
    )
    rows_responses = {
        "200": {
            "description": "A page of rows (JSON), or the whole result (CSV).",
            "content": {
                JSON: {
                    "schema": {"$ref": "#/components/schemas/Page"},
                    "example": {
                        "data": [{"commune": "Rennes", "categorie": "Voirie", "montant": 412.5}],
                        "meta": {
                            "page_size": 50,
                            "total": 1284,
                            "total_is_approximate": False,
                            "version": 3,
                        },
                        "links": {
                            "profile": f"{base_url}/api/donnees/35238/subventions/profile/",
                            "openapi": f"{base_url}/api/donnees/openapi.json",
                            "next": f"{base_url}/api/donnees/35238/subventions/?cursor=…",
                            "prev": None,
                        },
                    },
                },
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        "400": _error_response(
            "The query is not valid: unknown column, operator or parameter, bad value, bad cursor.",
            "unknown_column",
            "Colonne « montnt » inconnue. Les colonnes sont : commune, categorie, montant.",
        ),
        "404": not_found,
        "429": rate_limited,
    }
    profile_responses = {
        "200": {
            "description": "The columns and the row count.",
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Profile"}}},
        },
        "404": not_found,
        "429": rate_limited,
    }
    rows_op = {
        "summary": "Rows of the current version",
        "description": "Filtered, sorted, grouped and paged rows of the dataset.",
        "operationId": "rows",
        "parameters": path_params + query_params,
        "responses": rows_responses,
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Pilotis — API tabulaire des données ouvertes",
            "version": "1.0.0",
            "description": (
                "The rows of every dataset published here, queried like data.gouv.fr's "
                "tabular API: filters, full-text search, sorts, group-bys, cursor "
                f"pagination (up to {tabular.MAX_PAGE_SIZE} rows a page) and CSV exports. "
                "Public, no key; rate limited per client."
            ),
            "license": {"name": "Licence Ouverte / Open Licence 2.0", "identifier": "etalab-2.0"},
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/donnees/{tenant_code}/{slug}/": {"get": rows_op},
            "/api/donnees/{tenant_code}/{slug}/v{number}/": {
                "get": {
                    **rows_op,
                    "summary": "Rows of one version",
                    "operationId": "rows_version",
                    "parameters": [*path_params, number, *query_params],
                }
            },
            "/api/donnees/{tenant_code}/{slug}/profile/": {
                "get": {
                    "summary": "Profile of the current version",
                    "description": "Columns with their type, nulls, distinct values and "
                    "bounds; the row count.",
                    "operationId": "profile",
                    "parameters": path_params,
                    "responses": profile_responses,
                }
            },
            "/api/donnees/{tenant_code}/{slug}/v{number}/profile/": {
                "get": {
                    "summary": "Profile of one version",
                    "operationId": "profile_version",
                    "parameters": [*path_params, number],
                    "responses": profile_responses,
                }
            },
            "/api/donnees/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {JSON: {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": [
                            "unknown_column",
                            "unknown_parameter",
                            "bad_operator",
                            "bad_value",
                            "bad_parameter",
                            "bad_cursor",
                            "not_found",
                            "rate_limited",
                            "method_not_allowed",
                        ],
                    },
                    "message": {"type": "string"},
                },
            }
        },
    },
    "Page": {
        "type": "object",
        "required": ["data", "meta", "links"],
        "properties": {
            "data": {"type": "array", "items": {"type": "object"}},
            "meta": {
                "type": "object",
                "required": ["page_size", "total", "total_is_approximate", "version"],
                "properties": {
                    "page_size": {"type": "integer", "minimum": 1},
                    "total": {"type": "integer", "minimum": 0},
                    "total_is_approximate": {"type": "boolean"},
                    "version": {"type": "integer", "minimum": 1},
                    "page": {"type": "integer", "minimum": 1},
                },
            },
            "links": {
                "type": "object",
                "required": ["profile", "next", "prev"],
                "properties": {
                    "profile": {"type": "string", "format": "uri"},
                    "openapi": {"type": "string", "format": "uri"},
                    "next": {"type": ["string", "null"], "format": "uri"},
                    "prev": {"type": ["string", "null"], "format": "uri"},
                },
            },
        },
    },
    "Profile": {
        "type": "object",
        "required": ["rows", "columns", "version"],
        "properties": {
            "title": {"type": "string"},
            "version": {"type": "integer"},
            "rows": {"type": "integer", "minimum": 0},
            "columns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "type", "operators"],
                    "properties": {
                        "name": {"type": "string"},
                        "type": {
                            "type": "string",
                            "enum": [
                                "string",
                                "integer",
                                "number",
                                "boolean",
                                "date",
                                "datetime",
                                "time",
                                "other",
                            ],
                        },
                        "format": {"type": "string"},
                        "nulls": {"type": ["integer", "null"]},
                        "distinct": {"type": ["integer", "null"]},
                        "distinct_is_approximate": {"type": "boolean"},
                        "min": {},
                        "max": {},
                        "operators": {"type": "array", "items": {"type": "string"}},
                        "aggregates": {"type": "array", "items": {"type": "string"}},
                        "sortable": {"type": "boolean"},
                    },
                },
            },
            "links": {"type": "object"},
        },
    },
}
