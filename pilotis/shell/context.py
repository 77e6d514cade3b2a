"""What every page's shell needs: the theme, the navigation and the tenant switcher."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from pilotis.shell.capabilities import CAPABILITIES, capability_url
from pilotis.tenants.access import tenants_for
from pilotis.tenants.roles import Perm


def shell(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "tenant_access", None)
    nav = []
    if access is not None:
        nav = [
            {"label": cap.label, "url": capability_url(cap, access.tenant.code), "slug": cap.slug}
            for cap in CAPABILITIES
            if access.can(cap.perm)
        ]
    user = getattr(request, "user", None)
    switcher = (
        list(tenants_for(user, Perm.VIEW_DASHBOARDS)[:200])
        if user is not None and user.is_authenticated
        else []
    )
    return {
        "theme": settings.THEME,
        "state_entity_name": settings.STATE_ENTITY_NAME,
        "tenant_access": access,
        "current_tenant": access.tenant if access is not None else None,
        "nav": nav,
        "can_manage_tenant": access is not None and access.can(Perm.MANAGE_TENANT),
        "can_manage_data": access is not None and access.can(Perm.MANAGE_DATA),
        "switcher_tenants": switcher,
    }
