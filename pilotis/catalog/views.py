"""Pages of the data catalog: the catalog and its datasets, the RGPD register, access requests.

Every query goes through `pilotis.tenants.access.scope`; every change is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilotis.audit.log import record
from pilotis.catalog import lineage
from pilotis.catalog.access import can_decide, can_read
from pilotis.catalog.entries import sync_tables
from pilotis.catalog.explain import explain
from pilotis.catalog.forms import (
    AccessRequestForm,
    DatasetForm,
    DecisionForm,
    ProcessingRecordForm,
    SearchForm,
)
from pilotis.catalog.models import (
    AccessRequest,
    CheckName,
    Dataset,
    Kind,
    ProcessingRecord,
    stale_q,
)
from pilotis.catalog.register import XLSX_CONTENT_TYPE, sections, workbook
from pilotis.tenants.access import TenantAccess, scope, tenant_view
from pilotis.tenants.roles import Perm
from pilotis.warehouse.schemas import canonical_tables

HISTORY_LENGTH = 20  # results per check on the sparkline


def _audit(
    request: HttpRequest, access: TenantAccess, target: str, operation: str, **details: Any
) -> None:
    record(
        "data_operation",
        actor=request.user,
        tenant=access.tenant,
        target=target,
        details={"operation": operation, **details},
        request=request,
    )


def _render(
    request: HttpRequest,
    access: TenantAccess,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """Render a catalog page, with what its local menu needs to know."""
    context = {
        "access": access,
        "can_view_data": access.can(Perm.VIEW_DATA),
        "can_manage": access.can(Perm.MANAGE_DATA),
        **context,
    }
    return render(request, f"catalog/{template}.html", context, status=status)


def _datasets(access: TenantAccess) -> QuerySet[Dataset]:
    return scope(Dataset.objects.select_related("owner_unit", "referent"), access)


def _dataset(access: TenantAccess, slug: str) -> Dataset:
    return get_object_or_404(
        _datasets(access).select_related("processing_record", "tenant"), slug=slug
    )


# ---------------------------------------------------------------------------------------------
# Catalog


@require_GET
@tenant_view(Perm.VIEW_DATA)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    sync_tables(access.tenant)
    form = SearchForm(request.GET or None, tenant=access.tenant)
    datasets = _datasets(access)
    if form.is_valid():
        data = form.cleaned_data
        for word in data["q"].split():
            datasets = datasets.filter(
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(keywords__icontains=word)
                | Q(name__icontains=word)
            )
        if data["sensitivity"]:
            datasets = datasets.filter(sensitivity=data["sensitivity"])
        if data["owner"] is not None:
            datasets = datasets.filter(owner_unit=data["owner"])
        if data["open_data"]:
            datasets = datasets.filter(open_data=True)
        if data["stale"]:
            datasets = datasets.filter(stale_q())
    context = {
        "form": form,
        "datasets": list(datasets),
        "filtered": form.is_bound,
        "stale_count": _datasets(access).filter(stale_q()).count(),
        "pending_count": (
            scope(AccessRequest.objects.filter(status=AccessRequest.Status.PENDING), access).count()
            if access.can(Perm.MANAGE_DATA)
            else 0
        ),
    }
    return _render(request, access, "index", context)


@require_GET
@tenant_view(Perm.VIEW_DATA)
def dataset(request: HttpRequest, access: TenantAccess, slug: str) -> HttpResponse:
    entry = _dataset(access, slug)
    graph = lineage.lineage_graph(entry)
    decider = can_decide(request.user, access, entry)
    context = {
        "dataset": entry,
        "schema": _schema_of(entry),
        "checks": _checks(entry),
        "history": list(entry.checks.all()[:30]),
        "lineage_svg": lineage.svg(graph, element_id=f"lineage-{entry.pk}"),
        "lineage_list": lineage.text_list(graph),
        "graph": graph,
        "can_read": can_read(request.user, entry, access),
        "own_request": entry.access_requests.filter(requester_id=request.user.pk).first(),
        "request_form": AccessRequestForm(),
        "can_decide": decider,
        "pending": (
            list(
                entry.access_requests.filter(status=AccessRequest.Status.PENDING).select_related(
                    "requester"
                )
            )
            if decider
            else []
        ),
    }
    return _render(request, access, "dataset", context)


def _schema_of(entry: Dataset) -> Any:
    if entry.kind != Kind.TABLE:
        return None
    return canonical_tables().get(entry.schema_name) or canonical_tables().get(entry.name)


def _checks(entry: Dataset) -> list[dict[str, Any]]:
    """The latest result of each check, with the pass/fail of its last results, oldest first."""
    by_name = {
        name.value: list(entry.checks.filter(name=name)[:HISTORY_LENGTH]) for name in CheckName
    }
    rows = []
    for name in CheckName:
        results = by_name.get(name.value)
        if not results:
            continue
        passes = [c.passed for c in reversed(results)]
        failed = passes.count(False)
        label = _("%(check)s: last %(n)s results, %(failed)s failed") % {
            "check": name.label,
            "n": len(passes),
            "failed": failed,
        }
        rows.append(
            {
                "name": name.label,
                "latest": results[0],
                "explanation": explain(results[0]),
                "sparkline": lineage.sparkline(passes, label),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.MANAGE_DATA)
def dataset_edit(request: HttpRequest, access: TenantAccess, slug: str) -> HttpResponse:
    entry = _dataset(access, slug)
    form = DatasetForm(request.POST or None, instance=entry, tenant=access.tenant)
    if request.method == "POST" and form.is_valid():
        form.save()
        _audit(
            request,
            access,
            f"catalog.dataset:{entry.pk}",
            "dataset.update",
            fields=form.changed_data,
            title=entry.title,
        )
        messages.success(
            request, _("The description of “%(title)s” is saved.") % {"title": entry.title}
        )
        return redirect("catalog:dataset", access.tenant.code, entry.slug)
    status = 400 if form.is_bound else 200
    return _render(
        request,
        access,
        "dataset_form",
        {"dataset": entry, "form": form},
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Access requests


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.VIEW_DASHBOARDS)
def request_access(request: HttpRequest, access: TenantAccess, slug: str) -> HttpResponse:
    entry = _dataset(access, slug)
    readable = can_read(request.user, entry, access)
    pending = entry.access_requests.filter(
        requester_id=request.user.pk, status=AccessRequest.Status.PENDING
    ).first()
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and not readable and pending is None and form.is_valid():
        created = form.save(commit=False)
        created.tenant = access.tenant
        created.dataset = entry
        created.requester = request.user  # type: ignore[assignment]
        created.save()
        _audit(
            request,
            access,
            f"catalog.access_request:{created.pk}",
            "access_request.create",
            dataset=entry.name,
        )
        messages.success(
            request,
            _("Your request is sent. The referent of the dataset or a data steward will answer."),
        )
        if access.can(Perm.VIEW_DATA):
            return redirect("catalog:dataset", access.tenant.code, entry.slug)
        return redirect("catalog:request_access", access.tenant.code, entry.slug)
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {
        "dataset": entry,
        "form": form,
        "can_read": readable,
        "pending": pending,
        "decided": entry.access_requests.filter(requester_id=request.user.pk)
        .exclude(status=AccessRequest.Status.PENDING)
        .first(),
    }
    return _render(request, access, "request_access", context, status=status)


@require_GET
@tenant_view(Perm.MANAGE_DATA)
def requests(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    rows = scope(AccessRequest.objects.select_related("dataset", "requester", "decided_by"), access)
    context = {
        "pending": list(rows.filter(status=AccessRequest.Status.PENDING).order_by("created_at")),
        "decided": list(rows.exclude(status=AccessRequest.Status.PENDING)[:30]),
    }
    return _render(request, access, "requests", context)


@require_POST
@tenant_view(Perm.VIEW_DASHBOARDS)
def decide(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    """Approve or refuse a request: data stewards and administrators, or the dataset's referent
    (hence the low right of the URL; the check is here)."""
    form = DecisionForm(request.POST)
    row = None
    if form.is_valid():
        row = (
            scope(AccessRequest.objects.select_related("dataset", "requester"), access)
            .filter(pk=form.cleaned_data["id"])
            .first()
        )
    if row is None:
        messages.error(
            request, _("This request does not exist any more: the page was out of date.")
        )
        return _back(request, access)
    if not can_decide(request.user, access, row.dataset):
        raise PermissionDenied
    if row.requester_id == request.user.pk:
        messages.error(request, _("You cannot decide on your own request."))
        return _back(request, access, row.dataset)
    if row.status != AccessRequest.Status.PENDING:
        messages.error(request, _("This request was already decided."))
        return _back(request, access, row.dataset)
    decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"].strip()
    if decision == "refuse" and not comment:
        messages.error(
            request,
            _("Say why you refuse in the comment: the requester reads it with the answer."),
        )
        return _back(request, access, row.dataset)
    row.status = (
        AccessRequest.Status.APPROVED if decision == "approve" else AccessRequest.Status.REFUSED
    )
    row.decided_by = request.user  # type: ignore[assignment]
    row.decided_at = timezone.now()
    row.decision_comment = comment
    row.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    _audit(
        request,
        access,
        f"catalog.access_request:{row.pk}",
        f"access_request.{row.status}",
        dataset=row.dataset.name,
        requester=row.requester.get_username(),
    )
    text = (
        _("Access to “%(dataset)s” granted to %(user)s.")
        if row.status == AccessRequest.Status.APPROVED
        else _("Access to “%(dataset)s” refused to %(user)s.")
    )
    messages.success(
        request, text % {"dataset": row.dataset.title, "user": row.requester.get_username()}
    )
    return _back(request, access, row.dataset)


def _back(
    request: HttpRequest, access: TenantAccess, entry: Dataset | None = None
) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    code = access.tenant.code
    if access.can(Perm.MANAGE_DATA):
        return HttpResponseRedirect(reverse("catalog:requests", args=[code]))
    if entry is not None and access.can(Perm.VIEW_DATA):
        return HttpResponseRedirect(reverse("catalog:dataset", args=[code, entry.slug]))
    return HttpResponseRedirect(reverse("shell:tenant_home", args=[code]))


# ---------------------------------------------------------------------------------------------
# RGPD register


def _records(access: TenantAccess) -> QuerySet[ProcessingRecord]:
    return scope(ProcessingRecord.objects.prefetch_related("datasets"), access)


@require_GET
@tenant_view(Perm.VIEW_DATA)
def register(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    context = {
        "records": list(_records(access)),
    }
    return _render(request, access, "register", context)


@require_GET
@tenant_view(Perm.VIEW_DATA)
def record_detail(request: HttpRequest, access: TenantAccess, record_id: int) -> HttpResponse:
    row = get_object_or_404(_records(access), pk=record_id)
    context = {
        "record": row,
        "sections": sections(row),
    }
    return _render(request, access, "record", context)


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.MANAGE_DATA)
def record_create(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    initial = {"controller_name": access.tenant.name}
    form = ProcessingRecordForm(request.POST or None, initial=initial)
    return _save_record(request, access, form, "processing.create")


@require_http_methods(["GET", "POST"])
@tenant_view(Perm.MANAGE_DATA)
def record_edit(request: HttpRequest, access: TenantAccess, record_id: int) -> HttpResponse:
    row = get_object_or_404(_records(access), pk=record_id)
    form = ProcessingRecordForm(request.POST or None, instance=row)
    return _save_record(request, access, form, "processing.update")


def _save_record(
    request: HttpRequest, access: TenantAccess, form: ProcessingRecordForm, operation: str
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        form.instance.tenant = access.tenant
        row = form.save()
        _audit(
            request,
            access,
            f"catalog.processing:{row.pk}",
            operation,
            name=row.name,
            fields=form.changed_data,
        )
        if row.is_complete:
            messages.success(request, _("The record “%(name)s” is saved.") % {"name": row.name})
        else:
            messages.warning(
                request,
                _("The record “%(name)s” is saved, but still incomplete: %(missing)s.")
                % {"name": row.name, "missing": ", ".join(str(m) for m in row.missing_items)},
            )
        return redirect("catalog:record", access.tenant.code, row.pk)
    status = 400 if form.is_bound else 200
    return _render(request, access, "record_form", {"form": form}, status=status)


@require_GET
@tenant_view(Perm.VIEW_DATA)
def register_xlsx(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    content = workbook(access.tenant, scope(ProcessingRecord.objects.all(), access))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    filename = f"registre-rgpd-{access.tenant.code}-{timezone.localdate():%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@tenant_view(Perm.VIEW_DATA)
def register_print(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    rows = [{"record": row, "sections": sections(row)} for row in _records(access)]
    context = {"rows": rows, "now": timezone.now()}
    return _render(request, access, "register_print", context)
