"""The portfolio pages: the register (table and Gantt), a project (value, usages, milestones,
risks, change management), its edition, the comparison of projects, the prioritisation with
its what-if, the yearly budgets, the value grid; their exports. Thin: `page` computes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pilotis.audit.log import record
from pilotis.audit.models import AuditEvent
from pilotis.exports import workbook_xlsx
from pilotis.metrics.downloads import chart_contexts, chart_download
from pilotis.pdf import chart_svg, pdf_response, render_pdf
from pilotis.portfolio import forms as pf
from pilotis.portfolio import page
from pilotis.portfolio import value as value_mod
from pilotis.portfolio.models import Project, Status, ValueGrid, YearBudget
from pilotis.portfolio.prioritise import WhatIf
from pilotis.portfolio.radar import radar_svg
from pilotis.tenants.access import TenantAccess, tenant_view
from pilotis.tenants.roles import Perm


def _audit(
    request: HttpRequest, access: TenantAccess, target: str, operation: str, **details: Any
) -> None:
    """One audit event per change; the portfolio's operations share the data-operation kind."""
    record(
        AuditEvent.Action.DATA_OPERATION,
        actor=request.user,
        tenant=access.tenant,
        target=target,
        details={"operation": operation, **details},
        request=request,
    )


def _common(access: TenantAccess, **extra: Any) -> dict[str, Any]:
    return {
        "access": access,
        "can_edit": access.can(Perm.EDIT_DASHBOARDS),
        "export_csv": "portfolio:export-csv",
        "export_xlsx": "portfolio:export-xlsx",
        **extra,
    }


def _kpis(views: list[page.ProjectView]) -> list[dict[str, str]]:
    open_views = [v for v in views if v.project.status not in (Status.DONE, Status.ABANDONED)]
    usage = [a for v in views for a in v.adoptions]
    summary = page.adoption_mod.summary(usage)
    return [
        {"label": _("Projects under way or planned"), "value": str(len(open_views))},
        {"label": _("Late"), "value": str(sum(1 for v in views if v.late))},
        {
            "label": _("Budget of the open projects"),
            "value": page.euros(sum(float(v.total_budget) for v in open_views)),
        },
        {
            "label": _("Measured usages reached"),
            "value": f"{summary['reached']} / {summary['measured']}",
            "note": _("%(n)s on track, %(m)s behind")
            % {"n": summary["on_track"], "m": summary["behind"]},
        },
    ]


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    views = page.projects_of(access.tenant)
    status = request.GET.get("statut", "")
    shown = [v for v in views if not status or v.project.status == status]
    columns, rows = page.action_plan(shown)
    charts = [page.gantt_chart(shown), page.value_chart(shown)] if shown else []
    return render(
        request,
        "portfolio/index.html",
        _common(
            access,
            views=shown,
            every=views,
            kpis=_kpis(views),
            charts=chart_contexts(charts),
            plan_columns=columns,
            plan_rows=rows,
            statuses=Status.choices,
            status=status,
            query_string=urlencode({"statut": status} if status else {}),
        ),
    )


def _project(access: TenantAccess, project_id: int) -> page.ProjectView:
    found = [v for v in page.projects_of(access.tenant) if v.project.pk == project_id]
    if not found:
        raise Http404
    return found[0]


def _radar(values: list[tuple[str, value_mod.Value]]) -> Any:
    labels = [a.label for a in values[0][1].axes]
    return radar_svg(
        labels,
        [(name, [value_mod.POINTS.get(a.mark or "D", 0) for a in v.axes]) for name, v in values],
        maximum=3,
        title=_("Value analysis: %(names)s") % {"names": ", ".join(n for n, _v in values)},
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def project(request: HttpRequest, access: TenantAccess, project_id: int) -> HttpResponse:
    view = _project(access, project_id)
    charts = [page.adoption_chart(a, f"usage-{a.usage.pk}") for a in view.adoptions if a.points]
    return render(
        request,
        "portfolio/project.html",
        _common(
            access,
            view=view,
            p=view.project,
            radar=_radar([(view.project.number, view.value)]),
            adoptions=[
                (
                    a,
                    page.state_label(a.state),
                    page.figure(a.latest, a.unit),
                    page.figure(a.expected_now, a.unit),
                    page.figure(a.usage.target, a.unit),
                )
                for a in view.adoptions
            ],
            charts=chart_contexts(charts),
            query_string="",
            needed_by=view.project.needed_by.all(),
        ),
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def edit(request: HttpRequest, access: TenantAccess, project_id: int | None = None) -> HttpResponse:
    instance = (
        get_object_or_404(Project, pk=project_id, tenant=access.tenant)
        if project_id is not None
        else Project(tenant=access.tenant, status=Status.IDEA)
    )
    data = request.POST if request.method == "POST" else None
    form = pf.ProjectForm(data, instance=instance, tenant=access.tenant)
    formsets = [
        (
            _("Costs and staff-days by year"),
            pf.YearFormSet(data, instance=instance, prefix="years"),
        ),
        (_("Target usages"), pf.UsageFormSet(data, instance=instance, prefix="usages")),
        (_("Milestones"), pf.MilestoneFormSet(data, instance=instance, prefix="milestones")),
        (_("Risks"), pf.RiskFormSet(data, instance=instance, prefix="risks")),
        (
            _("Change management (workshops, training, communication)"),
            pf.ActionFormSet(data, instance=instance, prefix="actions"),
        ),
    ]
    if data is not None and form.is_valid() and all(fs.is_valid() for _t, fs in formsets):
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.tenant = access.tenant
            saved.save()
            form.save_m2m()
            for _title, formset in formsets:
                formset.instance = saved
                formset.save()
            _audit(
                request,
                access,
                f"portfolio.project:{saved.pk}",
                "portfolio.project.create" if project_id is None else "portfolio.project.update",
                number=saved.number,
            )
        messages.success(request, _("Project “%(title)s” saved.") % {"title": saved.title})
        return redirect("portfolio:project", access.tenant.code, saved.pk)
    return render(
        request,
        "portfolio/edit.html",
        _common(access, form=form, formsets=formsets, p=instance if project_id else None),
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def value(request: HttpRequest, access: TenantAccess, project_id: int) -> HttpResponse:
    found = get_object_or_404(Project, pk=project_id, tenant=access.tenant)
    grid = value_mod.grid_of(access.tenant.pk)
    form = pf.ValueForm(
        request.POST if request.method == "POST" else None, grid=grid, project=found
    )
    if request.method == "POST" and form.is_valid():
        found.value_marks, found.value_notes = form.marks()
        found.save(update_fields=["value_marks", "value_notes", "updated_at"])
        _audit(
            request,
            access,
            f"portfolio.project:{found.pk}",
            "portfolio.project.value",
            number=found.number,
            marks=found.value_marks,
        )
        messages.success(request, _("Value analysis saved."))
        return redirect("portfolio:project", access.tenant.code, found.pk)
    measured = [a for a in value_mod.value_of(found, grid).axes if a.computed]
    return render(
        request, "portfolio/value.html", _common(access, form=form, p=found, measured=measured)
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def compare(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    views = page.projects_of(access.tenant, measure=False)
    wanted = {int(x) for x in request.GET.getlist("p") if x.isdigit()}
    chosen = [v for v in views if v.project.pk in wanted] or sorted(
        views, key=lambda v: -v.value.index
    )[:3]
    chosen.sort(key=lambda v: -v.value.index)
    return render(
        request,
        "portfolio/compare.html",
        _common(
            access,
            every=views,
            chosen=chosen,
            chosen_ids={v.project.pk for v in chosen},
            radar=_radar([(v.project.number, v.value) for v in chosen]) if chosen else None,
            axes=chosen[0].value.axes if chosen else [],
        ),
    )


def _what_if(request: HttpRequest, views: list[page.ProjectView]) -> tuple[pf.WhatIfForm, WhatIf]:
    choices = [
        (str(v.project.pk), f"{v.project.number} {v.project.title}")
        for v in views
        if v.project.status not in (Status.DONE, Status.ABANDONED)
    ]
    form = pf.WhatIfForm(request.GET or None, projects=choices)
    what_if = WhatIf()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        what_if = WhatIf(
            float(d.get("budget_percent") or 0),
            float(d.get("staff_percent") or 0),
            frozenset(int(x) for x in d.get("force") or ()),
            frozenset(int(x) for x in d.get("exclude") or ()),
        )
    return form, what_if


def _prioritised(
    access: TenantAccess, request: HttpRequest
) -> tuple[pf.WhatIfForm, page.Prioritised]:
    views = page.projects_of(access.tenant, measure=False)
    form, what_if = _what_if(request, views)
    return form, page.prioritise(access.tenant, views, what_if)


def _priority_charts(found: page.Prioritised) -> list[page.Chart]:
    kept = found.selection.chosen if found.selection.feasible else frozenset()
    return [page.gantt_chart(found.views, kept), page.budget_chart(found)]


def _blocking_text(found: page.Prioritised) -> list[str]:
    out = []
    for kind, year in found.selection.blocking:
        if kind == "budget":
            out.append(
                _("The mandatory or kept projects alone exceed the budget of %(year)s.")
                % {"year": year}
            )
        elif kind == "staff":
            out.append(
                _(
                    "The mandatory or kept projects alone need more staff-days than available "
                    "in %(year)s."
                )
                % {"year": year}
            )
        else:
            out.append(_("A project to keep is left out, or needs a project that is left out."))
    return out


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def prioritisation(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form, found = _prioritised(access, request)
    charts = _priority_charts(found) if found.capacities else []
    return render(
        request,
        "portfolio/prioritisation.html",
        _common(
            access,
            form=form,
            found=found,
            blocking=_blocking_text(found),
            charts=chart_contexts(charts),
            query_string=request.GET.urlencode(),
            euros=page.euros,
        ),
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def budgets(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    queryset = YearBudget.objects.filter(tenant=access.tenant)
    formset = pf.BudgetFormSet(
        request.POST if request.method == "POST" else None, queryset=queryset, prefix="budgets"
    )
    if request.method == "POST" and formset.is_valid():
        years = [
            f.cleaned_data["year"]
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if len(years) != len(set(years)):
            messages.error(request, _("Each year may have one budget only."))
        else:
            with transaction.atomic():
                for budget in formset.save(commit=False):
                    budget.tenant = access.tenant
                    budget.save()
                for gone in formset.deleted_objects:
                    gone.delete()
            _audit(request, access, "portfolio.budgets", "portfolio.budgets")
            messages.success(request, _("Budgets saved."))
            return redirect("portfolio:prioritisation", access.tenant.code)
    return render(request, "portfolio/budgets.html", _common(access, formset=formset))


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.VIEW_DASHBOARDS)
def grid(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    """The value method explained, and the tenant's grid (editable by analysts and admins)."""
    current = value_mod.grid_of(access.tenant.pk)
    can_edit = access.can(Perm.EDIT_DASHBOARDS)
    if request.method == "POST" and not can_edit:
        raise Http404
    form = pf.GridForm(request.POST if request.method == "POST" else None, grid=current)
    if request.method == "POST":
        if "reset" in request.POST:
            ValueGrid.objects.filter(tenant=access.tenant).delete()
            messages.success(request, _("The default grid is back."))
            return redirect("portfolio:grid", access.tenant.code)
        if form.is_valid():
            ValueGrid.objects.update_or_create(
                tenant=access.tenant, defaults={"grid": form.new_grid()}
            )
            _audit(request, access, "portfolio.grid", "portfolio.grid")
            messages.success(request, _("Value grid saved."))
            return redirect("portfolio:grid", access.tenant.code)
    total = sum(float(a["weight"]) for a in current["axes"]) or 1.0
    axes = [{**a, "share": round(100 * float(a["weight"]) / total)} for a in current["axes"]]
    return render(
        request,
        "portfolio/grid.html",
        _common(
            access,
            form=form,
            axes=axes,
            custom=ValueGrid.objects.filter(tenant=access.tenant).exists(),
            payback=value_mod.PAYBACK_YEARS,
        ),
    )


# --- downloads -----------------------------------------------------------------------------


def _charts_for(access: TenantAccess, request: HttpRequest, slug: str) -> list[page.Chart]:
    if slug in ("feuille-de-route", "budget"):
        _form, found = _prioritised(access, request)
        return _priority_charts(found)
    views = page.projects_of(access.tenant, measure=slug.startswith("usage-"))
    if slug.startswith("usage-"):
        return [
            page.adoption_chart(a, f"usage-{a.usage.pk}")
            for v in views
            for a in v.adoptions
            if a.points
        ]
    return [page.gantt_chart(views), page.value_chart(views)]


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def export(request: HttpRequest, access: TenantAccess, chart: str, fmt: str) -> HttpResponse:
    found = next((c for c in _charts_for(access, request, chart) if c.slug == chart), None)
    return chart_download(found, chart, fmt)


def _portfolio_sheets(views: list[page.ProjectView]) -> list[Any]:
    columns, rows = page.action_plan(views)
    value_chart = page.value_chart(views)
    years = [
        [v.project.number, v.project.title, y.year, float(y.cost), y.staff_days]
        for v in views
        for y in v.years
    ]
    usages = [
        [
            v.project.number,
            a.usage.sentence,
            a.usage.metric,
            a.usage.target,
            a.usage.target_on,
            a.latest,
            page.state_label(a.state),
        ]
        for v in views
        for a in v.adoptions
    ]
    return [
        (_("Action plan"), columns, rows),
        (_("Value analysis"), value_chart.columns, value_chart.rows),
        (
            _("Costs by year"),
            [_("Number"), _("Title"), _("Year"), _("Cost (€)"), _("Staff-days")],
            years,
        ),
        (
            _("Target usages"),
            [
                _("Number"),
                _("Usage"),
                _("Indicator"),
                _("Target"),
                _("Target date"),
                _("Last value"),
                _("State"),
            ],
            usages,
        ),
    ]


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def portfolio_xlsx(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    views = page.projects_of(access.tenant)
    return _xlsx(workbook_xlsx(_portfolio_sheets(views)), "portefeuille")


def _xlsx(content: bytes, name: str) -> HttpResponse:
    from datetime import date

    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{date.today():%Y-%m-%d}.xlsx"'
    return response


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def portfolio_pdf(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    views = page.projects_of(access.tenant)
    columns, rows = page.action_plan(views)
    gantt, ranking = page.gantt_chart(views), page.value_chart(views)
    content = render_pdf(
        "portfolio/portfolio_pdf.html",
        {
            "kpis": _kpis(views),
            "views": views,
            "gantt": None if gantt.empty else chart_svg(gantt.spec),
            "ranking": None if ranking.empty else chart_svg(ranking.spec),
            "ranking_chart": ranking,
            "radars": [(v, _radar([(v.project.number, v.value)])) for v in views],
            "states": {a.usage.pk: page.state_label(a.state) for v in views for a in v.adoptions},
            "figure": page.figure,
        },
        access.tenant,
    )
    return pdf_response(content, "portefeuille")


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def roadmap_xlsx(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    _form, found = _prioritised(access, request)
    gantt, budget = _priority_charts(found)
    kept = [
        [v.project.number, v.project.title, v.value.index, float(v.total_budget)]
        for v in found.chosen_views()
    ]
    sheets = [
        (
            _("Kept projects"),
            [_("Number"), _("Title"), _("Value index"), _("Total budget (€)")],
            kept,
        ),
        (_("Roadmap"), gantt.columns, gantt.rows),
        (_("Budget by year"), budget.columns, budget.rows),
        (_("What-if"), [_("Setting"), _("Value")], _what_if_rows(found)),
    ]
    return _xlsx(workbook_xlsx(sheets), "feuille-de-route")


def _what_if_rows(found: page.Prioritised) -> list[list[Any]]:
    names = {v.project.pk: f"{v.project.number} {v.project.title}" for v in found.views}
    w = found.what_if
    return [
        [_("Change of the budget (%)"), w.budget_percent],
        [_("Change of the staff-days available (%)"), w.staff_percent],
        [_("Kept whatever happens"), ", ".join(names[i] for i in sorted(w.force)) or "—"],
        [_("Left out"), ", ".join(names[i] for i in sorted(w.exclude)) or "—"],
        [_("Total value kept"), found.selection.value],
    ]


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def roadmap_pdf(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    _form, found = _prioritised(access, request)
    gantt, budget = _priority_charts(found)
    content = render_pdf(
        "portfolio/roadmap_pdf.html",
        {
            "found": found,
            "blocking": _blocking_text(found),
            "what_if": _what_if_rows(found),
            "gantt": None if gantt.empty else chart_svg(gantt.spec),
            "budget": None if budget.empty else chart_svg(budget.spec),
            "budget_chart": budget,
            "euros": page.euros,
        },
        access.tenant,
    )
    return pdf_response(content, "feuille-de-route")
