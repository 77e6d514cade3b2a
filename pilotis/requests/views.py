"""The citizen-requests page and the downloads of its charts' data. Thin: `page.build` computes."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from pilotis.metrics.downloads import chart_contexts, chart_download
from pilotis.referential.models import Commune, OrgUnit, Theme
from pilotis.requests import page, topics
from pilotis.requests.data import Period, Scope
from pilotis.requests.forms import FiltersForm
from pilotis.requests.metrics import targets_for
from pilotis.tenants.access import TenantAccess, data_scope, tenant_view
from pilotis.tenants.models import Tenant
from pilotis.tenants.roles import Perm
from pilotis.warehouse import storage

CACHE_SECONDS = 3600


def labels_for(codes: tuple[str, ...]) -> page.Labels:
    tenants = list(Tenant.objects.filter(code__in=codes))
    themes = Theme.objects.filter(tenant__in=tenants).order_by("label")
    units = OrgUnit.objects.filter(tenant__in=tenants).exclude(code="").order_by("name")
    commune_codes = {t.code for t in tenants if t.kind == "commune"}
    communes = Commune.objects.filter(code_insee__in=commune_codes) | Commune.objects.filter(
        epci__siren__in=[t.code for t in tenants if t.kind == "epci"]
    )
    return page.Labels(
        categories={t.code: t.label for t in themes},
        services={u.code: u.name for u in units},
        communes={c.code_insee: c.name for c in communes.order_by("name")},
        populations={c.code_insee: c.population for c in communes if c.population},
    )


def _versions(codes: tuple[str, ...]) -> str:
    return ",".join(f"{c}:{storage.current_version(c, 'requests')}" for c in codes)


def _page(access: TenantAccess, request: HttpRequest) -> tuple[FiltersForm, Any, str]:
    codes = data_scope(access.tenant)
    labels = labels_for(codes)
    form = FiltersForm(
        request.GET or None,
        communes=sorted(labels.communes.items(), key=lambda kv: kv[1]),
        services=sorted(labels.services.items(), key=lambda kv: kv[1]),
        categories=sorted(labels.categories.items(), key=lambda kv: kv[1]),
    )
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    elif form.is_bound:
        filters = {}
    scope = Scope(
        codes,
        communes=(filters["commune"],) if "commune" in filters else (),
        services=(filters["service"],) if "service" in filters else (),
        categories=(filters["category"],) if "category" in filters else (),
        channels=(filters["channel"],) if "channel" in filters else (),
    )
    period = None
    if "start" in filters or "end" in filters:
        today = timezone.localdate()
        end = filters.get("end") or today
        start = filters.get("start") or end.replace(year=end.year - 1)
        period = Period(start, end)
    as_of = timezone.now().replace(minute=0, second=0, microsecond=0)
    versions = _versions(codes)
    key = (
        "requests-page:"
        + hashlib.sha256(
            repr((scope, period, versions, as_of.isoformat(), translation.get_language())).encode()
        ).hexdigest()
    )
    built = cache.get(key)
    if built is None:
        built = page.build(
            scope,
            labels,
            period=period,
            as_of=as_of,
            targets=targets_for(codes),
            topic_cache=lambda _db: topics.trained(codes),
        )
        cache.set(key, built or "empty", CACHE_SECONDS)
    if built == "empty":
        built = None
    query = urlencode({k: v for k, v in request.GET.items() if v})
    return form, built, query


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form, built, query = _page(access, request)
    charts = [] if built is None else chart_contexts(built.charts, page.SHOWN_ROWS)
    return render(
        request,
        "requests/index.html",
        {
            "access": access,
            "tenant_name": access.tenant.name,
            "form": form,
            "page": None
            if built is None
            else {
                "period": built.period,
                "answers": built.answers,
                "kpis": built.kpis,
                "charts": charts,
                "notes": built.notes,
            },
            "query_string": query,
            "can_manage_data": access.can(Perm.MANAGE_DATA),
            "export_csv": "requests:export-csv",
            "export_xlsx": "requests:export-xlsx",
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export(request: HttpRequest, access: TenantAccess, chart: str, fmt: str) -> HttpResponse:
    _form, built, _query = _page(access, request)
    found = None if built is None else next((c for c in built.charts if c.slug == chart), None)
    return chart_download(found, f"demandes-{access.tenant.code}-{chart}", fmt)
