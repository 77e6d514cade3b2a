"""Who sees which dashboard page, in one place, and a page as plain values: its panels as
`panels.Spec`, computed for the page, the workbook and the PDF, and its definition as JSON
(indicator names and settings, never data) that another tenant can import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.dashboards.models import Dashboard, Panel, Visibility
from pilotis.dashboards.panels import PanelError, Shown, Spec, compute, errors_of, normalised
from pilotis.tenants.access import TenantAccess, data_scope, scope
from pilotis.tenants.roles import Perm

FORMAT = "pilotis-dashboard"
VERSION = 1
MAX_PANELS = 40


def visible(access: TenantAccess, user: Any) -> QuerySet[Dashboard]:
    """The pages of the tenant `user` may read: the shared ones and their own."""
    pages = scope(Dashboard.objects.select_related("owner"), access)
    if getattr(user, "is_superuser", False):
        return pages
    mine = Q(owner_id=user.pk) if user.is_authenticated else Q(pk__in=[])
    return pages.filter(mine | Q(visibility=Visibility.SHARED))


def page_for(access: TenantAccess, user: Any, dashboard_id: int, edit: bool = False) -> Dashboard:
    """The page `dashboard_id` of the tenant if `user` may read it (and change it with
    `edit`: a shared page is changed by every builder of the tenant, a private one by its
    owner); 404 otherwise, so that a private page's existence stays private."""
    found = visible(access, user).filter(pk=dashboard_id).first()
    if found is None or (edit and not access.can(Perm.EDIT_DASHBOARDS)):
        raise Http404
    return found


def spec_of(panel: Panel) -> Spec:
    return Spec(
        metric=panel.metric,
        chart=panel.chart,
        period=panel.period,
        by=panel.by,
        filters={k: list(v) for k, v in (panel.filters or {}).items()},
        start=panel.start,
        end=panel.end,
        title=panel.title,
    )


def apply(panel: Panel, spec: Spec) -> Panel:
    """Write `spec` (checked) onto `panel`, not saved."""
    spec = normalised(spec)
    panel.metric, panel.chart, panel.period = spec.metric, spec.chart, spec.period
    panel.by, panel.filters, panel.title = spec.by, spec.filters, spec.title
    panel.start, panel.end = spec.start, spec.end
    return panel


@dataclass
class Built:
    dashboard: Dashboard
    panels: list[tuple[Panel, Shown]]
    today: date


def build(dashboard: Dashboard, today: date | None = None) -> Built:
    """Every panel of the page computed over the tenant's data scope."""
    today = today or date.today()
    codes = data_scope(dashboard.tenant)
    found = []
    for index, panel in enumerate(dashboard.panels.all(), start=1):
        found.append((panel, compute(spec_of(panel), codes, today, f"panneau-{index}")))
    return Built(dashboard, found, today)


def renumber(dashboard: Dashboard) -> None:
    for index, panel in enumerate(dashboard.panels.all()):
        if panel.position != index:
            Panel.objects.filter(pk=panel.pk).update(position=index)


def move(dashboard: Dashboard, panel: Panel, step: int) -> None:
    """Move `panel` one place up (-1) or down (+1)."""
    ordered = list(dashboard.panels.all())
    index = next(i for i, p in enumerate(ordered) if p.pk == panel.pk)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            Panel.objects.filter(pk=item.pk).update(position=position)
    dashboard.save(update_fields=["updated_at"])


@transaction.atomic
def duplicate(dashboard: Dashboard, owner: Any) -> Dashboard:
    """A private copy of `dashboard` for `owner`, panels included."""
    copy = Dashboard.objects.create(
        tenant=dashboard.tenant,
        title=_("Copy of %(title)s") % {"title": dashboard.title},
        description=dashboard.description,
        owner=owner,
        visibility=Visibility.PRIVATE,
    )
    for panel in dashboard.panels.all():
        panel.pk = None
        panel.dashboard = copy
        panel.save()
    return copy


# --- the definition as JSON ---------------------------------------------------------------------


def definition(dashboard: Dashboard) -> dict[str, Any]:
    """The page's definition: title, description and each panel's settings; no data, no
    tenant, no person."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": dashboard.title,
        "description": dashboard.description,
        "panels": [spec_of(panel).as_dict() for panel in dashboard.panels.all()],
    }


def _date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PanelError(
            gettext_lazy("%(where)s: “%(value)s” is not a date in yyyy-mm-dd form."),
            where=where,
            value=value,
        ) from None


def _panel_spec(raw: Any, number: int) -> Spec:
    where = _("Panel %(n)s") % {"n": number}
    if not isinstance(raw, dict) or not isinstance(raw.get("metric"), str):
        raise PanelError(gettext_lazy("%(where)s: no indicator given."), where=where)
    filters = raw.get("filters") or {}
    if not isinstance(filters, dict) or not all(isinstance(v, list) for v in filters.values()):
        raise PanelError(
            gettext_lazy("%(where)s: filters must be lists of values by dimension."), where=where
        )
    spec = Spec(
        metric=raw["metric"],
        chart=str(raw.get("chart") or "number"),
        period=str(raw.get("period") or "rolling_year"),
        by=str(raw.get("by") or ""),
        filters={str(k): [str(x) for x in v] for k, v in filters.items()},
        start=_date(raw.get("start"), where),
        end=_date(raw.get("end"), where),
        title=str(raw.get("title") or "")[:200],
    )
    errors = errors_of(spec)
    if errors:
        raise PanelError(
            gettext_lazy("%(where)s: %(errors)s"), where=where, errors=" ".join(errors.values())
        )
    return spec


def read_definition(data: Any) -> tuple[str, str, list[Spec]]:
    """(title, description, panels) of a definition, every panel checked against this
    instance's registry; PanelError says what is wrong and where."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PanelError(gettext_lazy("This file is not the definition of a Pilotis dashboard."))
    if data.get("version") != VERSION:
        raise PanelError(
            gettext_lazy("Unknown version %(version)s of the dashboard definition."),
            version=data.get("version"),
        )
    raw_panels = data.get("panels")
    if not isinstance(raw_panels, list) or len(raw_panels) > MAX_PANELS:
        raise PanelError(
            gettext_lazy("A dashboard holds a list of at most %(n)s panels."), n=MAX_PANELS
        )
    title = str(data.get("title") or "").strip()[:200] or _("Imported dashboard")
    specs = [_panel_spec(raw, n) for n, raw in enumerate(raw_panels, start=1)]
    return title, str(data.get("description") or ""), specs


@transaction.atomic
def import_definition(access: TenantAccess, owner: Any, data: Any) -> Dashboard:
    """A new private page of the tenant from a definition."""
    title, description, specs = read_definition(data)
    dashboard = Dashboard.objects.create(
        tenant=access.tenant, title=title, description=description, owner=owner
    )
    for position, spec in enumerate(specs):
        apply(Panel(dashboard=dashboard, position=position), spec).save()
    return dashboard
