"""Create tenants from the official referential and manage who holds which role (audited)."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from pilotis.audit.log import record
from pilotis.audit.models import AuditEvent
from pilotis.referential.lookup import describe
from pilotis.tenants.exceptions import TenantError
from pilotis.tenants.models import Membership, Tenant, TenantKind
from pilotis.tenants.roles import Role


@transaction.atomic
def create_tenant(code: str, *, with_members: bool = True, actor: Any = None) -> Tenant:
    """Create (or refresh) the tenant of official code `code` from the referential.

    A commune gets its parent EPCI as tenant when that one exists; an EPCI gets its member
    communes as child tenants when `with_members` is true. Idempotent.
    """
    entity = describe(code.strip())
    if entity is None:
        raise TenantError(
            _(
                "No commune, intercommunality, department or region has the code “%(code)s” in "
                "the referential. Give an INSEE code (e.g. 35288) or a SIREN (e.g. 243500782)."
            ),
            code=code,
        )
    if entity.kind not in TenantKind.values:
        raise TenantError(
            _(
                "“%(code)s” is %(name)s, which is not a collectivité (e.g. a municipal "
                "arrondissement): give the code of its commune instead."
            ),
            code=code,
            name=entity.name,
        )
    values: dict[str, Any] = {
        "kind": TenantKind(entity.kind),
        "name": entity.name,
        "siren": entity.siren or "",
        "population": entity.population,
        "postal_codes": list(entity.postal_codes),
        "epci_code": entity.parent_epci_code or "",
    }
    if entity.parent_epci_code:
        values["parent"] = Tenant.objects.filter(code=entity.parent_epci_code).first()
    tenant, created = Tenant.objects.update_or_create(code=entity.code, defaults=values)
    if created:
        record(AuditEvent.Action.TENANT_CREATED, actor=actor, tenant=tenant, target=tenant.code)
    if entity.kind == TenantKind.EPCI and with_members:
        for member_code in entity.member_codes:
            create_tenant(member_code, with_members=False, actor=actor)
    return tenant


def set_role(
    user: Any,
    tenant: Tenant,
    role: str,
    *,
    actor: Any = None,
    request: Any = None,
    context: dict[str, Any] | None = None,
) -> Membership:
    """Give `user` the role `role` in `tenant` (creating or changing the membership), audited.

    `context` adds to the audit details how the change came (e.g. an OpenID login's SIRET).
    """
    if role not in Role.values:
        raise TenantError(_("“%(role)s” is not a role."), role=role)
    membership = Membership.objects.filter(user=user, tenant=tenant).first()
    if membership is None:
        membership = Membership.objects.create(user=user, tenant=tenant, role=role)
        action, details = AuditEvent.Action.ROLE_GRANTED, {"role": role}
    elif membership.role != role:
        if membership.role == Role.ADMIN and _is_last_admin(membership):
            raise TenantError(
                _("%(tenant)s would have no administrator left: name another one first."),
                tenant=tenant.name,
            )
        details = {"from": membership.role, "to": role}
        membership.role = role
        membership.save(update_fields=["role"])
        action = AuditEvent.Action.ROLE_CHANGED
    else:
        return membership
    record(
        action,
        actor=actor,
        username="" if actor else user.get_username(),
        tenant=tenant,
        target=user.get_username(),
        details={**details, **(context or {})},
        request=request,
    )
    return membership


def revoke(membership: Membership, *, actor: Any = None, request: Any = None) -> None:
    """Remove a membership, audited. The last administrator of a tenant cannot be removed."""
    tenant = membership.tenant
    if membership.role == Role.ADMIN and _is_last_admin(membership):
        raise TenantError(
            _("%(tenant)s would have no administrator left: name another one first."),
            tenant=tenant.name,
        )
    username = membership.user.get_username()
    role = membership.role
    membership.delete()
    record(
        AuditEvent.Action.ROLE_REVOKED,
        actor=actor,
        tenant=tenant,
        target=username,
        details={"role": role},
        request=request,
    )


def _is_last_admin(membership: Membership) -> bool:
    others = Membership.objects.filter(tenant=membership.tenant, role=Role.ADMIN).exclude(
        pk=membership.pk
    )
    return not others.exists()
