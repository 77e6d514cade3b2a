"""The indicators' JSON API, described in OpenAPI at /api/v1/openapi.json (browsable at
/api/v1/docs). Same figures as the pages and `pilotis kpi`: everything goes through
`registry.evaluate`. Signed-in users only (session), with the same rights as the pages: an
indicator of a tenant needs the right to view its dashboards.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Query, Schema, Status
from ninja.security import django_auth

from pilotis.errors import PilotisError
from pilotis.metrics import registry
from pilotis.tenants.access import data_scope, resolve
from pilotis.tenants.roles import Perm

api = NinjaAPI(
    title="Pilotis",
    version="1",
    description=(
        "Indicators of a collectivité's data, as its Pilotis pages show them. Dates are local "
        "days (Europe/Paris), periods include both ends; without a period, the last twelve months."
    ),
    urls_namespace="api",
    auth=django_auth,
)


class MetricOut(Schema):
    slug: str
    domain: str
    label: str
    description: str
    unit: str
    dimensions: list[str]
    higher_is_better: bool | None


class ResultOut(Schema):
    metric: MetricOut
    tenants: list[str]
    start: date
    end: date
    by: str | None
    filters: dict[str, list[str]]
    as_of: datetime
    rows: list[dict[str, Any]]


class ErrorOut(Schema):
    code: int
    description: str


class KpiFilters(Schema):
    by: str | None = None
    start: date | None = None
    end: date | None = None
    commune: list[str] = []
    service: list[str] = []
    category: list[str] = []
    channel: list[str] = []


@api.get("/metrics", response=list[MetricOut], auth=None, summary="List the indicators")
def list_metrics(request: HttpRequest, domain: str | None = None) -> list[dict[str, Any]]:
    return [m.describe() for m in registry.all_metrics(domain)]


@api.get(
    "/tenants/{tenant_code}/metrics/{slug}",
    response={200: ResultOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Evaluate an indicator for a tenant",
    description=(
        "`start` and `end` bound the period (YYYY-MM-DD); `by` breaks the figure down by one of "
        "the indicator's dimensions; `commune`, `service`, `category`, `channel` (repeatable) "
        "narrow the data. Rows are `{key, total, value, …}`: first the total, then one per value."
    ),
)
def evaluate(
    request: HttpRequest, tenant_code: str, slug: str, filters: Query[KpiFilters]
) -> Status[dict[str, Any]]:
    try:
        access = resolve(request.user, tenant_code, Perm.VIEW_DASHBOARDS)
    except Http404:
        return Status(404, {"code": 404, "description": "Unknown tenant / Collectivité inconnue"})
    except PermissionDenied:
        return Status(403, {"code": 403, "description": "Not allowed / Accès refusé"})
    default_start, default_end = registry.default_period(filters.end)
    scoped = {
        "communes": tuple(filters.commune),
        "services": tuple(filters.service),
        "categories": tuple(filters.category),
        "channels": tuple(filters.channel),
    }
    try:
        query = registry.Query(
            tenant_codes=data_scope(access.tenant),
            start=filters.start or default_start,
            end=filters.end or default_end,
            by=filters.by,
            filters={k: v for k, v in scoped.items() if v},
        )
        result = registry.evaluate(slug, query)
    except registry.MetricError as error:
        status = 404 if slug not in registry.METRICS else 400
        return Status(
            status, {"code": status, "description": error.bilingual().replace("\n", " / ")}
        )
    except PilotisError as error:
        return Status(400, {"code": 400, "description": error.bilingual().replace("\n", " / ")})
    return Status(200, result.as_dict())
