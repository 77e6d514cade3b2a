"""Every tenant URL × every role × someone else's tenant: no leak, no privilege escalation.

The URL list is read from the URL configuration, so a page added later is covered without
touching this file; a tenant page that does not declare its required right fails here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from pilotis.tenants.models import Membership
from pilotis.tenants.roles import ROLE_PERMS, VIA_PARENT_PERMS, Perm, Role
from tests.tenants.conftest import tenant_objects


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes.extend(_patterns(entry, route))
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


TENANT_ROUTES = sorted(r for r in _patterns(get_resolver()) if "<str:tenant_code>" in r)


def _url(route: str, tenant_code: str, membership_id: int) -> str:
    path = route.replace("<str:tenant_code>", tenant_code).replace(
        "<int:membership_id>", str(membership_id)
    )
    # Objects the `world` fixture creates in every tenant, under the same names.
    for parameter, value in tenant_objects(tenant_code, route).items():
        path = path.replace(parameter, value)
    assert "<" not in path, f"add a value for the parameters of {route}"
    return "/" + path


def _call(client, url: str):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def _outcome(response) -> str:
    if response.status_code == 302 and "/connexion/" in response["Location"]:
        return "login"
    if response.status_code in (403, 404):
        return str(response.status_code)
    assert response.status_code < 500, response.content[:500]
    return "ok"


def test_tenant_routes_found():
    """The matrix covers the shell, administration and referential pages at least."""
    assert len(TENANT_ROUTES) >= 10
    assert any("administration" in r for r in TENANT_ROUTES)


@pytest.mark.parametrize("route", TENANT_ROUTES)
def test_every_tenant_view_declares_its_right(route, world):
    """A tenant page must go through the single scoping decorator, which records its right."""
    member = world["member"]
    membership = Membership.objects.filter(tenant=member).first()
    match = resolve(_url(route, member.code, membership.pk))
    assert isinstance(getattr(match.func, "required_perm", None), Perm), route


@pytest.mark.parametrize("route", TENANT_ROUTES)
@pytest.mark.parametrize("role", [None, *Role.values])
def test_role_matrix_on_own_tenant(route, role, world, client):
    """Each role reaches exactly the pages its rights allow in its own tenant."""
    member = world["member"]
    membership = Membership.objects.filter(tenant=member, role=Role.ELECTED).get()
    url = _url(route, member.code, membership.pk)
    perm = resolve(url).func.required_perm
    if role is not None:
        client.force_login(world["users"][role])
    outcome = _outcome(_call(client, url))
    if perm in ROLE_PERMS[role]:
        assert outcome == "ok", (route, role)
    elif role is None:
        assert outcome == "login", (route, role)
    else:
        assert outcome == "403", (route, role)


@pytest.mark.parametrize("route", TENANT_ROUTES)
@pytest.mark.parametrize("role", Role.values)
def test_role_matrix_on_someone_elses_tenant(route, role, world, client):
    """A member of one tenant sees nothing but public pages of another: 404, never 200 or 403."""
    other = world["other"]
    membership = Membership.objects.get(tenant=other)
    url = _url(route, other.code, membership.pk)
    perm = resolve(url).func.required_perm
    client.force_login(world["users"][role])
    outcome = _outcome(_call(client, url))
    assert outcome == ("ok" if perm == Perm.VIEW_PUBLIC else "404"), (route, role)


@pytest.mark.parametrize("route", TENANT_ROUTES)
@pytest.mark.parametrize("member_key", ["member", "private"])
def test_intercommunality_admin_reads_only_sharing_members(route, member_key, world, client):
    """The EPCI's administrator reads a member that shares with it, never one that does not,
    and never manages a member's settings."""
    tenant = world[member_key]
    membership = (
        Membership.objects.filter(tenant=tenant).first()
        or Membership.objects.filter(tenant=world["member"]).first()
    )
    url = _url(route, tenant.code, membership.pk)
    perm = resolve(url).func.required_perm
    client.force_login(world["epci_admin"])
    outcome = _outcome(_call(client, url))
    if perm == Perm.VIEW_PUBLIC:
        assert outcome == "ok"
    elif member_key == "member" and perm in VIA_PARENT_PERMS:
        assert outcome == "ok", route
    elif member_key == "member":
        assert outcome == "403", route
    else:
        assert outcome == "404", route


def test_admin_cannot_change_a_membership_of_another_tenant(world, client):
    """Posting another tenant's membership id to one's own admin page changes nothing."""
    member, other = world["member"], world["other"]
    foreign = Membership.objects.get(tenant=other)
    client.force_login(world["users"][Role.ADMIN])
    response = client.post(
        f"/t/{member.code}/administration/membres/{foreign.pk}/role/", {"role": "elected"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.ADMIN


def test_admin_cannot_grant_himself_a_role_elsewhere(world, client):
    """Adding oneself through one's own tenant only ever grants a role in that tenant."""
    member, other = world["member"], world["other"]
    admin = world["users"][Role.ADMIN]
    client.force_login(admin)
    client.post(
        f"/t/{member.code}/administration/membres/ajouter/", {"email": admin.email, "role": "admin"}
    )
    response = client.post(
        f"/t/{other.code}/administration/membres/ajouter/", {"email": admin.email, "role": "admin"}
    )
    assert response.status_code == 404
    assert not Membership.objects.filter(user=admin, tenant=other).exists()


def test_analyst_cannot_promote_himself(world, client):
    """Only administrators manage roles: an analyst posting a role change gets 403."""
    member = world["member"]
    analyst = world["users"][Role.ANALYST]
    own = Membership.objects.get(user=analyst, tenant=member)
    client.force_login(analyst)
    response = client.post(
        f"/t/{member.code}/administration/membres/{own.pk}/role/", {"role": "admin"}
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.role == Role.ANALYST


def test_admin_page_lists_only_own_members(world, client):
    """The members table of a tenant never shows people of another tenant."""
    client.force_login(world["users"][Role.ADMIN])
    page = client.get(f"/t/{world['member'].code}/administration/").content.decode()
    assert "analyst@membre.fr" in page
    assert "admin@ailleurs.fr" not in page
    assert "admin@epci.fr" not in page


def test_last_administrator_cannot_be_demoted_or_removed(world, client):
    """A tenant always keeps an administrator: the refusal is explained, nothing changes."""
    member = world["member"]
    admin = world["users"][Role.ADMIN]
    own = Membership.objects.get(user=admin, tenant=member)
    client.force_login(admin)
    base = f"/t/{member.code}/administration/membres/{own.pk}"
    response = client.post(f"{base}/role/", {"role": "elected"}, follow=True)
    assert "aucun administrateur" in response.content.decode()
    client.post(f"{base}/retirer/")
    own.refresh_from_db()
    assert own.role == Role.ADMIN
