"""Dashboard pages for other tests (the access matrix's world)."""

from __future__ import annotations

from pilotis.dashboards.models import ChartKind, Dashboard, Panel, Visibility


def shared_page(tenant, id: int, owner=None) -> Dashboard:
    """A shared page with one panel (number of requests by category), both with id `id`."""
    page = Dashboard.objects.create(
        id=id, tenant=tenant, title="Demandes", owner=owner, visibility=Visibility.SHARED
    )
    Panel.objects.create(
        id=id, dashboard=page, metric="requests.volume", by="category", chart=ChartKind.HBAR
    )
    return page
