"""The finance page and the downloads of its charts' data. Thin: `page` computes; a scope's
data is read once per version of its tables and kept in the cache."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from pilotis.finance import data as finance_data
from pilotis.finance import page
from pilotis.metrics.charts import Chart
from pilotis.metrics.downloads import chart_contexts, chart_download
from pilotis.tenants.access import TenantAccess, data_scope, tenant_view
from pilotis.tenants.roles import Perm
from pilotis.warehouse import storage

CACHE_SECONDS = 3600


class ExerciseForm(forms.Form):
    exercise = forms.TypedChoiceField(label=_("Exercise"), coerce=int, required=False)

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["exercise"].choices = [("", _("latest"))] + [(y, str(y)) for y in years]  # type: ignore[attr-defined]


def scope_data(codes: tuple[str, ...]) -> finance_data.Data:
    versions = ",".join(
        f"{c}:{t}:{storage.current_version(c, t)}"
        for c in codes + tuple(finance_data.parent_codes(codes))
        for t in finance_data.TABLES
    )
    key = (
        "finance-data:"
        + hashlib.sha256(f"{storage.warehouse_root()}|{versions}".encode()).hexdigest()
    )
    found = cache.get(key)
    if found is None:
        found = finance_data.load(codes)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _built(access: TenantAccess, request: HttpRequest) -> tuple[ExerciseForm, page.Page | None]:
    data = scope_data(data_scope(access.tenant))
    form = ExerciseForm(request.GET or None, years=page.exercises(data))
    exercise = None
    if form.is_bound and form.is_valid():
        exercise = form.cleaned_data.get("exercise") or None
    return form, page.build(data, exercise, access.tenant.code)


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form, built = _built(access, request)
    return render(
        request,
        "finance/index.html",
        {
            "access": access,
            "tenant_name": access.tenant.name,
            "form": form,
            "page": built,
            "charts": [] if built is None else chart_contexts(built.charts),
            "query_string": urlencode({k: v for k, v in request.GET.items() if v}),
            "can_manage_data": access.can(Perm.MANAGE_DATA),
            "export_csv": "finance:export-csv",
            "export_xlsx": "finance:export-xlsx",
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export(request: HttpRequest, access: TenantAccess, chart: str, fmt: str) -> HttpResponse:
    if chart not in page.CHART_SLUGS:
        raise Http404
    _form, built = _built(access, request)
    found = None if built is None else next((c for c in built.charts if c.slug == chart), None)
    if found is None:  # a known chart without data: an empty table, not an error
        found = Chart(chart, str(_("No data")), "", [str(_("No data"))], [])
    return chart_download(found, f"finances-{access.tenant.code}-{chart}", fmt)
