"""Pages where data stewards keep their organisation's units and themes.

Every query goes through `pilotis.tenants.access.scope`; every change is written to the audit log.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pilotis.audit.log import record
from pilotis.referential.forms import OrgUnitForm, OrgUnitRenameForm, ThemeForm, ThemeRenameForm
from pilotis.referential.models import OrgUnit, Theme
from pilotis.tenants.access import TenantAccess, scope, tenant_view
from pilotis.tenants.roles import Perm


@dataclass(frozen=True)
class _Editable:
    """What differs between org units and themes on this page."""

    what: str  # "orgunit" or "theme": prefix of URLs, form prefixes and audit targets
    model: type[OrgUnit] | type[Theme]
    form: type[OrgUnitForm] | type[ThemeForm]
    rename_form: type[OrgUnitRenameForm] | type[ThemeRenameForm]
    label_field: str

    def rows(self, access: TenantAccess) -> QuerySet[Any]:
        return scope(self.model.objects.all(), access)

    def label(self, row: models.Model) -> str:
        return str(getattr(row, self.label_field))

    def rename_prefix(self, row: models.Model) -> str:
        return f"{self.what}-{row.pk}"


EDITABLES = {
    "orgunit": _Editable("orgunit", OrgUnit, OrgUnitForm, OrgUnitRenameForm, "name"),
    "theme": _Editable("theme", Theme, ThemeForm, ThemeRenameForm, "label"),
}


@require_GET
@tenant_view(Perm.MANAGE_DATA)
def index(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    return _render_index(request, access)


@require_POST
@tenant_view(Perm.MANAGE_DATA)
def add(request: HttpRequest, access: TenantAccess, what: str) -> HttpResponse:
    editable = EDITABLES[what]
    form = editable.form(request.POST, prefix=f"new-{what}", existing=editable.rows(access))
    form.instance.tenant = access.tenant
    if not form.is_valid():
        return _render_index(request, access, form, status=400)
    row = form.save()
    _audit(request, access, editable, row, "add")
    messages.success(request, _("“%(label)s” added.") % {"label": editable.label(row)})
    return redirect("referential:index", access.tenant.code)


@require_POST
@tenant_view(Perm.MANAGE_DATA)
def rename(request: HttpRequest, access: TenantAccess, what: str) -> HttpResponse:
    editable = EDITABLES[what]
    row = _posted_row(editable, access, request)
    if row is None:
        return _gone(request, access)
    before = editable.label(row)
    form = editable.rename_form(request.POST, instance=row, prefix=editable.rename_prefix(row))
    if not form.is_valid():
        return _render_index(request, access, form, status=400)
    form.save()
    _audit(request, access, editable, row, "rename", before=before)
    messages.success(
        request, _("“%(old)s” renamed “%(new)s”.") % {"old": before, "new": editable.label(row)}
    )
    return redirect("referential:index", access.tenant.code)


@require_POST
@tenant_view(Perm.MANAGE_DATA)
def delete(request: HttpRequest, access: TenantAccess, what: str) -> HttpResponse:
    editable = EDITABLES[what]
    row = _posted_row(editable, access, request)
    if row is None:
        return _gone(request, access)
    label = editable.label(row)
    if editable.rows(access).filter(parent=row).exists():
        messages.error(
            request,
            _("“%(label)s” still contains other entries: move or delete them first.")
            % {"label": label},
        )
        return redirect("referential:index", access.tenant.code)
    _audit(request, access, editable, row, "delete")
    row.delete()
    messages.success(request, _("“%(label)s” deleted.") % {"label": label})
    return redirect("referential:index", access.tenant.code)


def _posted_row(editable: _Editable, access: TenantAccess, request: HttpRequest) -> Any:
    """The tenant's row whose id was posted, or None (unknown, or another tenant's)."""
    try:
        pk = int(request.POST.get("id", ""))
    except ValueError:
        return None
    return editable.rows(access).filter(pk=pk).first()


def _gone(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    messages.error(request, _("This entry does not exist any more: the page was out of date."))
    return redirect("referential:index", access.tenant.code)


def _audit(
    request: HttpRequest,
    access: TenantAccess,
    editable: _Editable,
    row: models.Model,
    operation: str,
    **details: str,
) -> None:
    record(
        "data_operation",
        actor=request.user,
        tenant=access.tenant,
        target=f"referential.{editable.what}:{row.pk}",
        details={
            "operation": f"{editable.what}.{operation}",
            "label": editable.label(row),
            **details,
        },
        request=request,
    )


def _render_index(
    request: HttpRequest, access: TenantAccess, bound: ModelForm | None = None, status: int = 200
) -> HttpResponse:
    """The page, with `bound` (a form that failed validation) in place of its blank twin."""

    def form(prefix: str, make: Callable[[], ModelForm]) -> ModelForm:
        return bound if bound is not None and bound.prefix == prefix else make()

    context: dict[str, Any] = {"tenant": access.tenant}
    for what, editable in EDITABLES.items():
        context[what] = _section(editable, access, form)
    return render(request, "referential/index.html", context, status=status)


def _section(
    editable: _Editable,
    access: TenantAccess,
    form: Callable[[str, Callable[[], ModelForm]], ModelForm],
) -> dict[str, Any]:
    """The tree of one kind of rows, each with its rename form, and the form to add one."""
    rows = list(editable.rows(access).order_by(editable.label_field, "pk"))
    code = access.tenant.code
    nodes: dict[int, dict[str, Any]] = {}
    for row in rows:
        prefix = editable.rename_prefix(row)
        rename_form = form(prefix, partial(editable.rename_form, instance=row, prefix=prefix))
        nodes[row.pk] = {
            "row": row,
            "label": editable.label(row),
            "rename_form": rename_form,
            "children": [],
        }
    roots: list[dict[str, Any]] = []
    for row in rows:
        parent = nodes.get(row.parent_id)
        (parent["children"] if parent is not None else roots).append(nodes[row.pk])
    add_prefix = f"new-{editable.what}"
    make_add_form = partial(editable.form, prefix=add_prefix, existing=editable.rows(access))
    return {
        "tree": roots,
        "add_form": form(add_prefix, make_add_form),
        "add_url": reverse(f"referential:{editable.what}_add", args=[code]),
        "rename_url": reverse(f"referential:{editable.what}_rename", args=[code]),
        "delete_url": reverse(f"referential:{editable.what}_delete", args=[code]),
    }
