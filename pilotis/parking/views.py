"""The parking pages (figures; what-if) and the downloads of their charts' data. Thin: `page`
computes; the data of a scope is read once per table version and kept in the cache."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pilotis.metrics.downloads import chart_contexts, chart_download
from pilotis.parking import data as parking_data
from pilotis.parking import optimise, page, simulate
from pilotis.parking.forms import AimsForm, FiltersForm, PolicyForm
from pilotis.parking.indicators import Period
from pilotis.parking.models import Scenario
from pilotis.tenants.access import TenantAccess, data_scope, tenant_view
from pilotis.tenants.roles import Perm
from pilotis.warehouse import storage

CACHE_SECONDS = 3600


def _versions(codes: tuple[str, ...]) -> str:
    """What the cached data depends on: the warehouse and each table's version."""
    tables = ",".join(
        f"{c}:{t}:{storage.current_version(c, t)}" for c in codes for t in parking_data.TABLES
    )
    return f"{storage.warehouse_root()}|{tables}"


def scope_data(codes: tuple[str, ...]) -> parking_data.Data:
    """The scope's parking data, read once per version of its tables."""
    key = "parking-data:" + hashlib.sha256(_versions(codes).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = parking_data.load(codes)
        cache.set(key, found, CACHE_SECONDS)
    return found


def prepared(
    codes: tuple[str, ...], data: parking_data.Data, aims: tuple[float, float, float, float]
) -> page.Prepared | None:
    """Today's baseline, the optimiser's proposal and SFpark's rule: once per data version and
    optimiser's aims (target band, income floor, price step)."""
    low, high, floor, step = aims
    key = "parking-prepared:" + hashlib.sha256(f"{_versions(codes)}|{aims}".encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = page.prepare(data, floor=floor, target=(low, high), step=step) or "none"
        cache.set(key, found, CACHE_SECONDS)
    return None if found == "none" else found


def _figures(access: TenantAccess, request: HttpRequest) -> tuple[FiltersForm, page.Page | None]:
    data = scope_data(data_scope(access.tenant))
    zones = sorted(((c, z.name) for c, z in data.zones.items()), key=lambda kv: kv[1])
    form = FiltersForm(request.GET or None, zones=zones)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    period = None
    default = None if data.empty else page.indicators.default_period(data)
    if default is not None and ("start" in filters or "end" in filters):
        end = filters.get("end") or default.end
        start = filters.get("start") or default.start
        period = Period(start, end) if start <= end else default
    zone = (filters["zone"],) if "zone" in filters else ()
    return form, page.build(data, period, zone)


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form, built = _figures(access, request)
    return render(
        request,
        "parking/index.html",
        {
            "access": access,
            "tenant_name": access.tenant.name,
            "form": form,
            "page": built,
            "charts": [] if built is None else chart_contexts(built.charts),
            "query_string": urlencode({k: v for k, v in request.GET.items() if v}),
            "can_manage_data": access.can(Perm.MANAGE_DATA),
            "export_csv": "parking:export-csv",
            "export_xlsx": "parking:export-xlsx",
        },
    )


def _bands(ready: page.Prepared | None) -> list[tuple[str, str, float, str, int]]:
    """(field name, label, today's price, zone, band start) of every priced band today."""
    if ready is None:
        return []
    base, data = ready.base, ready.base.data
    out = []
    for group in optimise.groups(base):
        label = _("%(zone)s, %(start)s h–%(end)s h (€ per hour)") % {
            "zone": page.zone_label(data, group.zone),
            "start": group.start,
            "end": group.end,
        }
        name = f"rate__{group.zone}__{group.start}"
        out.append((name, label, group.rate, group.zone, group.start))
    return out


def policy_of(form: PolicyForm, bands: list[tuple[str, str, float, str, int]]) -> simulate.Policy:
    """The form's choices as a policy: the grid's prices first, then the shortcuts."""
    d = form.cleaned_data
    changes = []
    for name, _label, price, zone, start in bands:
        value = d.get(name)
        if value is not None and abs(float(value) - price) > 1e-9:
            changes.append(simulate.Change("set_rate", float(value), zones=(zone,), bands=(start,)))

    def kinds(key: str) -> tuple[str, ...]:
        return (d[key],) if d.get(key) else ()

    if d.get("add_rate"):
        changes.append(
            simulate.Change("add_rate", float(d["add_rate"]), kinds=kinds("add_rate_kind"))
        )
    if d.get("free_minutes"):
        changes.append(
            simulate.Change(
                "free_minutes", float(d["free_minutes"]), kinds=kinds("free_minutes_kind")
            )
        )
    if d.get("free_from") is not None:
        changes.append(simulate.Change("free_from", float(d["free_from"])))
    if d.get("fps") is not None:
        changes.append(simulate.Change("fps", float(d["fps"]), kinds=kinds("fps_kind")))
    return simulate.Policy(tuple(changes))


def _simulation(access: TenantAccess, request: HttpRequest) -> dict[str, Any]:
    codes = data_scope(access.tenant)
    data = scope_data(codes)
    aims_form = AimsForm(request.GET or None)
    aims = aims_form.aims()
    ready = prepared(codes, data, aims)
    bands = _bands(ready)
    form = PolicyForm(
        request.POST or request.GET or None, bands=[(b[0], b[1], b[2]) for b in bands]
    )
    policy = simulate.Policy()
    error = ""
    if form.is_bound and form.is_valid():
        policy = policy_of(form, bands)
    saved = list(Scenario.objects.filter(tenant=access.tenant)[:10])
    result = None
    try:
        result = page.simulation(data, policy, saved, ready)
    except simulate.PolicyError as refused:
        error = str(refused)
        result = page.simulation(data, simulate.Policy(), saved, ready)
    return {
        "data": data,
        "form": form,
        "bands": bands,
        "policy": policy,
        "result": result,
        "error": error,
        "saved": saved,
        "aims_form": aims_form,
        "aims": aims,
    }


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.VIEW_DASHBOARDS)
def simulation(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    context = _simulation(access, request)
    result = context["result"]
    if request.method == "POST":
        if not access.can(Perm.EDIT_DASHBOARDS):
            raise PermissionDenied
        form = context["form"]
        name = form.cleaned_data.get("name") if form.is_valid() else ""
        if result is not None and name and not context["error"]:
            Scenario.objects.create(
                tenant=access.tenant,
                name=name,
                policy=context["policy"].as_dict(),
                totals=result.prediction.totals,
                zones=parking_data.records(result.prediction.zones),
                created_by=request.user if request.user.is_authenticated else None,
            )
            messages.success(request, _("Scenario “%(name)s” saved.") % {"name": name})
            return redirect("parking:simulation", access.tenant.code)
        if not name:
            messages.error(request, _("Give the scenario a name to save it."))
    proposal_rows = []
    if result is not None:
        for group in result.proposal.groups:
            key = (group.zone, group.start)
            proposal_rows.append(
                {
                    "zone": page.zone_label(context["data"], group.zone),
                    "band": f"{group.start} h–{group.end} h",
                    "today": group.rate,
                    "proposal": result.proposal.rates.get(key, group.rate),
                    "sfpark": result.sfpark_rates.get(key, group.rate),
                }
            )
    return render(
        request,
        "parking/simulation.html",
        {
            "access": access,
            "tenant_name": access.tenant.name,
            "form": context["form"],
            "band_fields": [context["form"][b[0]] for b in context["bands"]],
            "aims_form": context["aims_form"],
            "settings": {
                "low": page.num(context["aims"][0] * 100),
                "high": page.num(context["aims"][1] * 100),
                "floor": page.num(context["aims"][2] * 100),
                "step": page.num(context["aims"][3], 2),
            },
            "result": result,
            "charts": [] if result is None else chart_contexts(result.charts),
            "proposal_rows": proposal_rows,
            "comparison": []
            if result is None
            else [
                {
                    "name": c["name"],
                    "revenue": page.num(c["revenue"]),
                    "fps": page.num(c["fps"]),
                    "income": page.num(c["income"]),
                    "occupancy": page.pct(c["occupancy"]),
                    "in_target": page.pct(c["in_target"]),
                    "saturated": page.pct(c["saturated"]),
                }
                for c in result.comparison
            ],
            "error": context["error"],
            "saved": context["saved"],
            "can_save": access.can(Perm.EDIT_DASHBOARDS),
            # The policy on the page travels with the form that saves it.
            "hidden_fields": [(k, v) for k, v in request.GET.items() if k != "name" and v],
            "query_string": urlencode({k: v for k, v in request.GET.items() if v}),
            "export_csv": "parking:simulation-export-csv",
            "export_xlsx": "parking:simulation-export-xlsx",
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export(request: HttpRequest, access: TenantAccess, chart: str, fmt: str) -> HttpResponse:
    _form, built = _figures(access, request)
    found = None if built is None else next((c for c in built.charts if c.slug == chart), None)
    return chart_download(found, f"stationnement-{access.tenant.code}-{chart}", fmt)


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def simulation_export(
    request: HttpRequest, access: TenantAccess, chart: str, fmt: str
) -> HttpResponse:
    result = _simulation(access, request)["result"]
    found = None if result is None else next((c for c in result.charts if c.slug == chart), None)
    return chart_download(found, f"stationnement-{access.tenant.code}-{chart}", fmt)
