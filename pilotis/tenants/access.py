"""Tenant scoping, in ONE place: who may do what in which tenant, and the querysets they see.

Every view of tenant data goes through `tenant_view` (or `resolve` for non-view code), and every
queryset of tenant-owned rows through `scope`. Non-members get a 404 (the data's very existence
stays private), members lacking a right get a 403, anonymous users are sent to log in.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from pilotis.tenants.models import Membership, Tenant, TenantKind
from pilotis.tenants.roles import ROLE_PERMS, VIA_PARENT_PERMS, Perm, Role

AnyUser = AbstractBaseUser | AnonymousUser
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class TenantAccess:
    """What one user may do in one tenant, resolved once per request."""

    tenant: Tenant
    role: str | None
    perms: frozenset[Perm]
    via_parent: bool = False

    def can(self, perm: Perm) -> bool:
        return perm in self.perms


def permissions_in(user: AnyUser, tenant: Tenant) -> TenantAccess:
    """The rights of `user` in `tenant`: its own role, or read rights through the EPCI."""
    if not user.is_authenticated:
        return TenantAccess(tenant, None, ROLE_PERMS[None])
    if getattr(user, "is_superuser", False):
        return TenantAccess(tenant, "superuser", frozenset(Perm))
    membership = Membership.objects.filter(user_id=user.pk, tenant=tenant).first()
    if membership is not None:
        return TenantAccess(tenant, membership.role, ROLE_PERMS[membership.role])
    if tenant.parent_id and tenant.shares_with_parent:
        if Membership.objects.filter(
            user_id=user.pk, tenant_id=tenant.parent_id, role=Role.ADMIN
        ).exists():
            return TenantAccess(tenant, None, VIA_PARENT_PERMS, via_parent=True)
    return TenantAccess(tenant, None, ROLE_PERMS[None])


def resolve(user: AnyUser, tenant_code: str, perm: Perm) -> TenantAccess:
    """The access of `user` to the tenant `tenant_code` if it grants `perm`.

    Raises Http404 when the tenant is unknown or the user has no right at all there beyond the
    public one and asks for more, PermissionDenied when a member lacks `perm`.
    """
    tenant = Tenant.objects.filter(code=tenant_code).select_related("parent").first()
    if tenant is None:
        raise Http404
    access = permissions_in(user, tenant)
    if access.can(perm):
        return access
    if access.perms == ROLE_PERMS[None]:
        raise Http404
    raise PermissionDenied


def tenants_for(user: AnyUser, perm: Perm = Perm.VIEW_DASHBOARDS) -> QuerySet[Tenant]:
    """The tenants in which `user` holds `perm` (for switchers and listings)."""
    if not user.is_authenticated:
        return Tenant.objects.none() if perm != Perm.VIEW_PUBLIC else Tenant.objects.all()
    if getattr(user, "is_superuser", False) or perm == Perm.VIEW_PUBLIC:
        return Tenant.objects.all()
    roles = [role for role, perms in ROLE_PERMS.items() if role and perm in perms]
    direct = Q(memberships__user=user, memberships__role__in=roles)
    if perm in VIA_PARENT_PERMS:
        direct |= Q(
            shares_with_parent=True,
            parent__memberships__user=user,
            parent__memberships__role=Role.ADMIN,
        )
    return Tenant.objects.filter(direct).distinct()


def scope(queryset: QuerySet[M], access: TenantAccess) -> QuerySet[M]:
    """Rows of `queryset` owned by the tenant of `access` (models carry a `tenant` field)."""
    return queryset.filter(tenant=access.tenant)


View = TypeVar("View", bound=Callable[..., HttpResponse])


def tenant_view(perm: Perm) -> Callable[[View], View]:
    """Decorate a view taking `tenant_code`: it receives `access` instead, or never runs."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, tenant_code: str, **kwargs: Any) -> HttpResponse:
            try:
                access = resolve(request.user, tenant_code, perm)
            except Http404:
                if (
                    not request.user.is_authenticated
                    and Tenant.objects.filter(code=tenant_code).exists()
                ):
                    return redirect_to_login(request.get_full_path())
                raise
            request.tenant_access = access  # type: ignore[attr-defined]
            return view(request, access, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def data_scope(tenant: Tenant) -> tuple[str, ...]:
    """The tenants whose warehouse tables a page of `tenant` aggregates: its own, and for an
    intercommunality those of its members that share their data with it."""
    codes = [tenant.code]
    if tenant.kind == TenantKind.EPCI:
        codes += list(
            tenant.members.filter(shares_with_parent=True)
            .order_by("code")
            .values_list("code", flat=True)
        )
    return tuple(codes)


def readers_of(tenant: Tenant) -> list[Tenant]:
    """The tenants whose pages aggregate `tenant`'s data (the inverse of `data_scope`): itself,
    and its intercommunality when it shares its data with it."""
    readers = [tenant]
    if tenant.parent is not None and tenant.shares_with_parent:
        readers.append(tenant.parent)
    return readers
