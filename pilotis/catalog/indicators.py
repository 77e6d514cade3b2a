"""The indicators in the catalog: every metric of the registry with its definition, unit,
breakdowns, the warehouse tables it is computed from (linked to their catalog entries) and
where it is used — the home dashboard, its domain page, the tenant's self-service pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pilotis.catalog.models import Dataset, Kind
from pilotis.metrics import registry
from pilotis.tenants.access import TenantAccess


@dataclass
class Use:
    label: str
    url: str = ""


@dataclass
class Indicator:
    slug: str
    anchor: str
    label: str
    description: str
    unit: str
    dimensions: list[str]
    higher_is_better: bool | None
    sources: list[tuple[str, str]]  # (table, catalog URL or "")
    uses: list[Use] = field(default_factory=list)


def anchor(slug: str) -> str:
    """The id of an indicator's section on the catalog page."""
    return "indicateur-" + slugify(slug.replace(".", "-"))


def url(tenant_code: str, slug: str) -> str:
    return reverse("catalog:metrics", args=[tenant_code]) + "#" + anchor(slug)


def _reverse(name: str, tenant_code: str) -> str:
    try:
        return reverse(name, args=[tenant_code])
    except NoReverseMatch:
        return ""


def _dashboard_uses(access: TenantAccess, user: Any) -> dict[str, list[Use]]:
    """The self-service pages of the tenant `user` may read, by indicator they show."""
    if not apps.is_installed("pilotis.dashboards"):
        return {}
    from pilotis.dashboards.models import Panel
    from pilotis.dashboards.pages import visible

    found: dict[str, list[Use]] = {}
    panels = Panel.objects.filter(dashboard__in=visible(access, user)).select_related("dashboard")
    for panel in panels.order_by("dashboard__title", "position"):
        uses = found.setdefault(panel.metric, [])
        page = panel.dashboard
        if all(u.label != page.title for u in uses):
            target = reverse("dashboards:detail", args=[access.tenant.code, page.pk])
            uses.append(Use(_("Dashboard page “%(title)s”") % {"title": page.title}, target))
    return found


def indicators(
    access: TenantAccess, user: Any, can_view_data: bool
) -> list[tuple[str, list[Indicator]]]:
    """Every registered indicator, by domain, as the catalog shows it to `user`."""
    from pilotis.dashboards.panels import dimension_label, domain_label

    code = access.tenant.code
    entries = {
        d.name: d.slug
        for d in Dataset.objects.filter(tenant=access.tenant, kind=Kind.TABLE).only("name", "slug")
    }
    pages = _dashboard_uses(access, user)
    domains: dict[str, list[Indicator]] = {}
    for metric in registry.all_metrics():
        sources = [
            (
                table,
                reverse("catalog:dataset", args=[code, entries[table]])
                if can_view_data and table in entries
                else "",
            )
            for table in metric.source_tables
        ]
        uses: list[Use] = []
        headline = registry.HEADLINES.get(metric.slug)
        if headline is not None:
            uses.append(Use(_("Steering dashboard (key indicator)"), _reverse("home:index", code)))
            page = _reverse(headline.url_name, code)
            if page:
                uses.append(Use(_("Its domain's page"), page))
        uses += pages.get(metric.slug, [])
        domains.setdefault(domain_label(metric.domain), []).append(
            Indicator(
                slug=metric.slug,
                anchor=anchor(metric.slug),
                label=str(metric.label),
                description=str(metric.description),
                unit=metric.unit,
                dimensions=[dimension_label(d) for d in metric.dimensions],
                higher_is_better=metric.higher_is_better,
                sources=sources,
                uses=uses,
            )
        )
    return sorted(domains.items())
