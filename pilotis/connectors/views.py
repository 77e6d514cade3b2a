"""Pages of the connectors: sources, loads with their quarantine, upload with a proposed mapping.

Every view goes through `tenant_view`; every query through `scope` or the tenant in `access`.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.audit.log import record
from pilotis.connectors import pipeline, tasks
from pilotis.connectors.forms import MappingForm, UploadForm
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import LoadRun, Source
from pilotis.connectors.proposals import propose_for_file
from pilotis.connectors.reasons import quarantine_csv, reasons_of
from pilotis.errors import PilotisError
from pilotis.tenants.access import TenantAccess, scope, tenant_view
from pilotis.tenants.roles import Perm
from pilotis.warehouse.schemas import canonical_tables

SECRET_WORDS = ("key", "token", "password", "secret", "authorization", "auth_value")
QUARANTINE_SHOWN = 100


def masked(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration with secret values hidden."""
    out: dict[str, Any] = {}
    for name, value in config.items():
        if isinstance(value, dict):
            out[name] = masked(value)
        elif any(word in name.lower() for word in SECRET_WORDS) and not name.endswith("_env"):
            out[name] = "••••••"
        else:
            out[name] = value
    return out


@require_GET
@tenant_view(Perm.VIEW_DATA)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    sources = scope(Source.objects.all(), access).order_by("name")
    runs = scope(LoadRun.objects.all(), access).select_related("source")[:20]
    return render(
        request,
        "connectors/index.html",
        {
            "access": access,
            "sources": sources,
            "runs": runs,
            "can_manage": access.can(Perm.MANAGE_DATA),
            "tables": canonical_tables(),
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DATA)
def source_detail(request: HttpRequest, access: TenantAccess, source_name: str) -> HttpResponse:
    source = get_object_or_404(scope(Source.objects.all(), access), name=source_name)
    return render(
        request,
        "connectors/source.html",
        {
            "access": access,
            "source": source,
            "config": json.dumps(masked(source.config), ensure_ascii=False, indent=2),
            "runs": source.runs.all()[:30],
            "can_manage": access.can(Perm.MANAGE_DATA),
        },
    )


@require_POST
@tenant_view(Perm.MANAGE_DATA)
def source_run(request: HttpRequest, access: TenantAccess, source_name: str) -> HttpResponse:
    source = get_object_or_404(scope(Source.objects.all(), access), name=source_name)
    try:
        run = tasks.enqueue(source, user=request.user)
    except PilotisError as error:
        messages.error(request, str(error))
        return redirect("connectors:source", access.tenant.code, source.name)
    messages.success(request, _("The load is queued: this page follows its progress."))
    return redirect("connectors:run", access.tenant.code, run.load_id)


def _run_of(access: TenantAccess, load_id: uuid.UUID) -> LoadRun:
    return get_object_or_404(scope(LoadRun.objects.all(), access), pk=load_id)


@require_GET
@tenant_view(Perm.VIEW_DATA)
def run_detail(request: HttpRequest, access: TenantAccess, load_id: uuid.UUID) -> HttpResponse:
    run = _run_of(access, load_id)
    rows = pipeline.quarantine_rows(run, limit=QUARANTINE_SHOWN) if run.rows_quarantined else []
    for row in rows:
        row["reasons_list"] = reasons_of(row)
        row["record_dict"] = json.loads(row["record"])
    return render(
        request,
        "connectors/run.html",
        {
            "access": access,
            "run": run,
            "quarantine": rows,
            "summary": pipeline.quarantine_summary(run) if run.rows_quarantined else [],
            "shown": QUARANTINE_SHOWN,
            "can_manage": access.can(Perm.MANAGE_DATA),
            "replays": run.replays.all(),
            "active": run.status in ("queued", "running"),
        },
    )


@require_GET
@tenant_view(Perm.VIEW_DATA)
def run_status(request: HttpRequest, access: TenantAccess, load_id: uuid.UUID) -> JsonResponse:
    run = _run_of(access, load_id)
    return JsonResponse(
        {
            "status": run.status,
            "status_label": run.get_status_display(),
            "progress": round(run.progress, 3),
            "read": run.rows_read,
            "loaded": run.rows_loaded,
            "quarantined": run.rows_quarantined,
            "version": run.version,
        }
    )


@require_GET
@tenant_view(Perm.VIEW_DATA)
def quarantine_download(
    request: HttpRequest, access: TenantAccess, load_id: uuid.UUID
) -> HttpResponse:
    run = _run_of(access, load_id)
    rows = pipeline.quarantine_rows(run)
    record(
        "data_export",
        actor=request.user,
        tenant=access.tenant,
        target=f"quarantine:{run.load_id}",
        request=request,
    )
    response: HttpResponse = StreamingHttpResponse(  # type: ignore[assignment]
        quarantine_csv(run, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="quarantaine-{run.table}-{run.load_id[:8]}.csv"'
    )
    return response


@require_POST
@tenant_view(Perm.MANAGE_DATA)
def run_rollback(request: HttpRequest, access: TenantAccess, load_id: uuid.UUID) -> HttpResponse:
    run = _run_of(access, load_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the rollback."))
        return redirect("connectors:run", access.tenant.code, run.load_id)
    try:
        undo = pipeline.rollback(run, user=request.user)
    except PilotisError as error:
        messages.error(request, str(error))
        return redirect("connectors:run", access.tenant.code, run.load_id)
    messages.success(
        request,
        _("Load rolled back: %(deleted)s rows removed, %(restored)s rows restored.")
        % {"deleted": undo.rows_deleted, "restored": undo.rows_updated},
    )
    return redirect("connectors:run", access.tenant.code, undo.load_id)


@require_POST
@tenant_view(Perm.MANAGE_DATA)
def run_replay(request: HttpRequest, access: TenantAccess, load_id: uuid.UUID) -> HttpResponse:
    run = _run_of(access, load_id)
    try:
        again = pipeline.replay(run, user=request.user)
    except PilotisError as error:
        messages.error(request, str(error))
        return redirect("connectors:run", access.tenant.code, run.load_id)
    messages.success(
        request,
        _("%(read)s rows re-played: %(loaded)s loaded, %(left)s still in quarantine.")
        % {"read": again.rows_read, "loaded": again.rows_loaded, "left": again.rows_quarantined},
    )
    return redirect("connectors:run", access.tenant.code, again.load_id)


def uploads_dir(access: TenantAccess) -> Path:
    return Path(settings.VAR_DIR) / "uploads" / access.tenant.code


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.MANAGE_DATA)
def upload(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = uuid.uuid4().hex
        folder = uploads_dir(access) / token
        folder.mkdir(parents=True)
        incoming = form.cleaned_data["file"]
        name = Path(incoming.name).name or "fichier"
        with open(folder / name, "wb") as out:
            for chunk in incoming.chunks():
                out.write(chunk)
        (folder / ".table").write_text(form.cleaned_data["table"], encoding="utf-8")
        return redirect("connectors:upload_mapping", access.tenant.code, token)
    return render(
        request,
        "connectors/upload.html",
        {"access": access, "form": form},
        status=400 if form.errors else 200,
    )


def _uploaded(access: TenantAccess, token: str) -> tuple[Path, str]:
    if not token.isalnum():
        raise Http404
    folder = uploads_dir(access) / token
    files = [p for p in folder.glob("*") if p.is_file() and not p.name.startswith(".")]
    if not files:
        raise Http404
    return files[0], (folder / ".table").read_text(encoding="utf-8")


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.MANAGE_DATA)
def upload_mapping(request: HttpRequest, access: TenantAccess, token: str) -> HttpResponse:
    path, table = _uploaded(access, token)
    try:
        preview = propose_for_file(access.tenant, table, path)
    except PilotisError as error:
        return render(
            request,
            "connectors/upload.html",
            {"access": access, "form": UploadForm(), "error": str(error), "file_name": path.name},
            status=400,
        )
    proposal = preview.proposal
    initial: dict[str, Any] = {f"field_{n}": fm.column for n, fm in proposal.fields.items()}
    draft = Mapping(table=table, fields=proposal.fields)
    initial["yaml"] = draft.to_yaml()
    form = MappingForm(request.POST or None, initial=initial, columns=preview.columns, table=table)
    if request.method == "POST" and form.is_valid():
        try:
            mapping = form.mapping()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _start_upload_load(request, access, path, mapping, form.cleaned_data["save_as"])
    schema = canonical_tables()[table]
    return render(
        request,
        "connectors/mapping.html",
        {
            "access": access,
            "form": form,
            "preview": preview,
            "schema": schema,
            "file_name": path.name,
            "rows": preview.rows[:10],
            "confidence": proposal.confidence,
            "unmatched": proposal.unmatched_required,
            "field_rows": [(f, form[f"field_{f.name}"]) for f in schema.mappable_fields],
        },
        status=400 if form.errors else 200,
    )


def _start_upload_load(
    request: HttpRequest, access: TenantAccess, path: Path, mapping: Mapping, save_as: str
) -> HttpResponse:
    source = None
    if save_as:
        source, _created = Source.objects.update_or_create(
            tenant=access.tenant,
            name=save_as,
            defaults={"kind": "file", "mapping": mapping.to_yaml(), "title": path.name},
        )
        record(
            "data_operation",
            actor=request.user,
            tenant=access.tenant,
            target=f"source:{save_as}",
            details={"operation": "save_mapping"},
            request=request,
        )
    run = pipeline.start_run(
        access.tenant,
        mapping,
        kind="file",
        config={"path": str(path), **mapping.read},
        source_name=save_as or path.name,
        source=source,
        user=request.user,
        queued=True,
    )
    tasks.enqueue_run(run)
    messages.success(request, _("The load is queued: this page follows its progress."))
    return redirect("connectors:run", access.tenant.code, run.load_id)
