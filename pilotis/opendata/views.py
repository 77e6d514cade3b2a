"""The collectivité's side of open data: its publications, their runs and reports, the check of
a file against a national schema, and the obligations tracker."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.audit.log import record
from pilotis.audit.models import AuditEvent
from pilotis.errors import PilotisError
from pilotis.opendata import obligations
from pilotis.opendata.forms import CheckFileForm, PublicationForm
from pilotis.opendata.models import Publication, PublicationVersion, SourceKind
from pilotis.opendata.publish import publish
from pilotis.tenants.access import TenantAccess, tenant_view
from pilotis.tenants.roles import Perm


def _audit(request: HttpRequest, access: TenantAccess, pub: Publication, operation: str) -> None:
    record(
        AuditEvent.Action.DATA_OPERATION,
        actor=request.user,
        tenant=access.tenant,
        target=f"opendata.publication:{pub.pk}",
        details={"operation": operation, "slug": pub.slug},
        request=request,
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    pubs = []
    for pub in Publication.objects.filter(tenant=access.tenant).order_by("title"):
        pubs.append({"pub": pub, "current": pub.current(), "last": pub.versions.first()})
    return render(
        request,
        "opendata/manage_index.html",
        {
            "access": access,
            "pubs": pubs,
            "can_manage": access.can(Perm.MANAGE_DATA),
            "tracker": obligations.track(access.tenant),
        },
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.MANAGE_DATA)
def edit(
    request: HttpRequest, access: TenantAccess, publication_id: int | None = None
) -> HttpResponse:
    instance = (
        get_object_or_404(Publication, pk=publication_id, tenant=access.tenant)
        if publication_id is not None
        else Publication(
            tenant=access.tenant,
            source_table=request.GET.get("table", ""),
            national_schema=request.GET.get("schema", ""),
            source_kind=SourceKind.FILE if request.GET.get("kind") == "file" else SourceKind.TABLE,
        )
    )
    data = request.POST if request.method == "POST" else None
    form = PublicationForm(data, request.FILES or None, instance=instance, tenant=access.tenant)
    if data is not None and form.is_valid():
        try:
            pub = form.save()
        except PilotisError as error:
            form.add_error(None, str(error))
        else:
            _audit(
                request,
                access,
                pub,
                "opendata.create" if publication_id is None else "opendata.update",
            )
            messages.success(request, _("Publication “%(title)s” saved.") % {"title": pub.title})
            return redirect("opendata_manage:detail", access.tenant.code, pub.pk)
    return render(
        request,
        "opendata/manage_edit.html",
        {"access": access, "form": form, "pub": instance if publication_id else None},
    )


@require_GET
@tenant_view(Perm.VIEW_DASHBOARDS)
def detail(request: HttpRequest, access: TenantAccess, publication_id: int) -> HttpResponse:
    pub = get_object_or_404(Publication, pk=publication_id, tenant=access.tenant)
    return render(
        request,
        "opendata/manage_detail.html",
        {
            "access": access,
            "pub": pub,
            "current": pub.current(),
            "versions": pub.versions.all()[:30],
            "can_manage": access.can(Perm.MANAGE_DATA),
        },
    )


@require_POST
@tenant_view(Perm.MANAGE_DATA)
def run(request: HttpRequest, access: TenantAccess, publication_id: int) -> HttpResponse:
    pub = get_object_or_404(Publication, pk=publication_id, tenant=access.tenant)
    before = pub.current()
    version = publish(pub, note=request.POST.get("note", ""))
    _audit(request, access, pub, "opendata.publish")
    if version.status == PublicationVersion.Status.FAILED:
        messages.error(
            request,
            _("The publication failed; the previous version stays online. %(error)s")
            % {"error": version.error.split("\n")[0]},
        )
    elif before is not None and version.pk == before.pk:
        messages.info(request, _("Nothing changed since version %(n)s.") % {"n": version.number})
    else:
        messages.success(request, _("Version %(n)s is online.") % {"n": version.number})
    return redirect("opendata_manage:detail", access.tenant.code, pub.pk)


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.MANAGE_DATA)
def check_file(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    """Check a file against a national schema: the report, the fixes Pilotis can make, and what
    remains after them."""
    from pilotis.opendata import national

    form = CheckFileForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"access": access, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix or ".csv"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"fichier{suffix}"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                report, fixes, after = national.check_file(path, form.cleaned_data["schema"])
            except PilotisError as error:
                form.add_error("file", str(error))
            else:
                context.update(
                    {"report": report, "fixes": fixes, "after": after, "name": upload.name}
                )
    return render(request, "opendata/check_file.html", context)
