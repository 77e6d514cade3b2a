"""The digital-maturity self-assessment and the sharing between authorities (pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.exports import workbook_xlsx
from pilotis.metrics.downloads import chart_contexts
from pilotis.pdf import chart_svg, pdf_response, render_pdf
from pilotis.portfolio import maturity, maturity_page, sharing
from pilotis.portfolio.maturity_forms import (
    AssessmentForm,
    NoteDeleteForm,
    NoteForm,
    SharingForm,
)
from pilotis.portfolio.models import ExperienceNote, Sharing
from pilotis.tenants.access import TenantAccess, tenant_view
from pilotis.tenants.roles import Perm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def maturity_index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    report = maturity_page.build(access.tenant)
    return render(
        request,
        "portfolio/maturity.html",
        {
            "access": access,
            "report": report,
            "radar": report.radar(),
            "chart": chart_contexts([report.chart])[0],
            "can_assess": access.can(Perm.EDIT_DASHBOARDS),
        },
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.EDIT_DASHBOARDS)
def maturity_assess(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    measured = maturity.measure_all(access.tenant)
    last = maturity.latest(access.tenant)
    form = AssessmentForm(
        request.POST or None, measured=measured, previous=None if last is None else last.answers
    )
    if request.method == "POST" and form.is_valid():
        maturity.assess(access.tenant, form.answers(), request.user, measured=measured)
        messages.success(request, _("Assessment recorded."))
        return redirect("portfolio:maturity", access.tenant.code)
    return render(
        request,
        "portfolio/maturity_form.html",
        {"access": access, "form": form, "sections": form.sections(), "previous": last},
        status=400 if form.is_bound else 200,
    )


def _download_name(access: TenantAccess, extension: str) -> str:
    return f"maturite-{access.tenant.code}-{datetime.now().strftime('%Y-%m-%d')}.{extension}"


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def maturity_pdf(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    report = maturity_page.build(access.tenant)
    context: dict[str, Any] = {
        "report": report,
        "radar": report.radar(size=400),
        "history_svg": None if report.chart.empty else chart_svg(report.chart.spec),
    }
    content = render_pdf("portfolio/maturity_pdf.html", context, access.tenant)
    return pdf_response(content, f"maturite-{access.tenant.code}")


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def maturity_xlsx(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    report = maturity_page.build(access.tenant)
    response = HttpResponse(workbook_xlsx(maturity_page.sheets(report)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_download_name(access, "xlsx")}"'
    return response


# --- sharing ----------------------------------------------------------------------------------


def _sharing_page(
    request: HttpRequest,
    access: TenantAccess,
    *,
    settings_form: SharingForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tenant = access.tenant
    setting = sharing.sharing_of(tenant)
    latest = maturity.latest(tenant)
    members, hidden_members = sharing.members_side_by_side(tenant)
    can_manage = access.can(Perm.MANAGE_TENANT)
    can_note = access.can(Perm.EDIT_DASHBOARDS)
    context = {
        "access": access,
        "setting": setting,
        "shared_indicator_labels": [
            label for slug, label in sharing.shareable_choices() if slug in setting.indicators
        ],
        "shown_as": sharing.shown_name(tenant),
        "band": sharing.band_label(sharing.band_of(tenant), tenant.kind),
        "has_band": sharing.band_of(tenant) is not None,
        "latest": latest,
        "positions": sharing.positions(tenant, latest),
        "peer_scores": sharing.peer_scores(tenant),
        "indicators": sharing.shared_indicators(tenant),
        "shared_notes": sharing.shared_notes(tenant),
        "own_notes": ExperienceNote.objects.filter(tenant=tenant).select_related("project"),
        "dimensions": maturity.DIMENSIONS,
        "members": members,
        "hidden_members": hidden_members,
        "parent": tenant.parent if tenant.parent_id and tenant.shares_with_parent else None,
        "can_manage": can_manage,
        "can_note": can_note,
        "settings_form": settings_form or (SharingForm(instance=setting) if can_manage else None),
        "note_form": note_form or (NoteForm(tenant=tenant) if can_note else None),
    }
    return render(request, "portfolio/sharing.html", context, status=status)


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def sharing_index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    return _sharing_page(request, access)


@require_POST
@tenant_view(Perm.MANAGE_TENANT)
def sharing_settings(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    setting = Sharing.objects.filter(tenant=access.tenant).first() or Sharing(tenant=access.tenant)
    form = SharingForm(request.POST, instance=setting)
    if not form.is_valid():
        return _sharing_page(request, access, settings_form=form, status=400)
    form.save()
    messages.success(request, _("Sharing settings saved."))
    return redirect("portfolio:sharing", access.tenant.code)


@require_POST
@tenant_view(Perm.EDIT_DASHBOARDS)
def note_create(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form = NoteForm(request.POST, tenant=access.tenant)
    if not form.is_valid():
        return _sharing_page(request, access, note_form=form, status=400)
    note = form.save(commit=False)
    note.tenant = access.tenant
    note.save()
    messages.success(request, _("Experience note “%(title)s” saved.") % {"title": note.title})
    return redirect("portfolio:sharing", access.tenant.code)


@require_POST
@tenant_view(Perm.EDIT_DASHBOARDS)
def note_delete(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form = NoteDeleteForm(request.POST, tenant=access.tenant)
    if form.is_valid():
        note = form.cleaned_data["note"]
        note.delete()
        messages.success(request, _("Experience note “%(title)s” deleted.") % {"title": note.title})
    else:
        messages.error(request, _("This note does not exist or was already deleted."))
    return redirect("portfolio:sharing", access.tenant.code)


urlpatterns: list[URLPattern] = [
    path("maturite/", maturity_index, name="maturity"),
    path("maturite/evaluer/", maturity_assess, name="maturity-assess"),
    path("maturite/export.pdf", maturity_pdf, name="maturity-pdf"),
    path("maturite/export.xlsx", maturity_xlsx, name="maturity-xlsx"),
    path("partage/", sharing_index, name="sharing"),
    path("partage/reglages/", sharing_settings, name="sharing-settings"),
    path("partage/notes/", note_create, name="sharing-note"),
    path("partage/notes/supprimer/", note_delete, name="sharing-note-delete"),
]
