"""Pages of the shell: instance home, tenant home, capability pages, accessibility, theme."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pilotis.referential.models import Epci
from pilotis.shell import theming
from pilotis.shell.accessibility import statement_for
from pilotis.shell.capabilities import Capability
from pilotis.tenants.access import TenantAccess, tenant_view, tenants_for
from pilotis.tenants.models import Tenant
from pilotis.tenants.roles import Perm


def home(request: HttpRequest) -> HttpResponse:
    """The instance's front page: the collectivités it serves, yours first."""
    mine = tenants_for(request.user, Perm.VIEW_DASHBOARDS) if request.user.is_authenticated else []
    territories = Tenant.objects.filter(parent__isnull=True).prefetch_related("members")
    return render(
        request,
        "shell/home.html",
        {"my_tenants": mine, "territories": territories, "statement": statement_for(None)},
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "shell/accessibility.html", {"statement": statement_for(None)})


@tenant_view(Perm.VIEW_PUBLIC)
def tenant_home(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    tenant = access.tenant
    epci = Epci.objects.filter(siren=tenant.epci_code).first() if tenant.epci_code else None
    return render(
        request,
        "shell/tenant_home.html",
        {
            "access": access,
            "tenant": tenant,
            "epci": epci,
            "statement": statement_for(tenant),
        },
    )


@tenant_view(Perm.VIEW_PUBLIC)
def tenant_accessibility(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    return render(
        request,
        "shell/accessibility.html",
        {"access": access, "tenant": access.tenant, "statement": statement_for(access.tenant)},
    )


@tenant_view(Perm.VIEW_PUBLIC)
def theme_css(request: HttpRequest, access: TenantAccess) -> HttpResponse:
    """The tenant's colours as CSS custom properties (no inline style: the CSP forbids it)."""
    response = HttpResponse(theming.stylesheet(access.tenant), content_type="text/css")
    response["Cache-Control"] = "public, max-age=300"
    return response


def capability_page(capability: Capability) -> Callable[..., HttpResponse]:
    """The page of a capability whose app has not landed: says what will come."""

    @tenant_view(capability.perm)
    def view(request: HttpRequest, access: TenantAccess) -> HttpResponse:
        return render(
            request,
            "shell/capability.html",
            {"access": access, "tenant": access.tenant, "capability": capability},
        )

    view.__name__ = f"capability_{capability.slug.replace('-', '_')}"
    return view


def switch(request: HttpRequest) -> HttpResponse:
    """The tenant switcher's target: go to the chosen collectivité's home."""
    code = request.GET.get("code", "")
    if not Tenant.objects.filter(code=code).exists():
        return redirect("shell:home")
    return redirect("shell:tenant_home", tenant_code=code)
