"""Who may read a dataset, and who decides on access requests.

- public: anyone;
- internal: members with the right to see data (analysts, stewards, administrators, and an
  intercommunality's administrators through sharing);
- personal data and confidential: data stewards and administrators, the dataset's referent, and
  whoever had an access request approved.

Other apps call `can_read` before showing a dataset's rows (not wired yet).
"""

from __future__ import annotations

from typing import Any

from pilotis.catalog.models import AccessRequest, Dataset, Sensitivity
from pilotis.tenants.access import TenantAccess, permissions_in
from pilotis.tenants.roles import Perm


def has_grant(user: Any, dataset: Dataset) -> bool:
    return AccessRequest.objects.filter(
        dataset=dataset, requester_id=user.pk, status=AccessRequest.Status.APPROVED
    ).exists()


def can_read(user: Any, dataset: Dataset, access: TenantAccess | None = None) -> bool:
    """Whether `user` may read the content of `dataset` (pass `access` when already resolved)."""
    if dataset.sensitivity == Sensitivity.PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    if access is None or access.tenant.pk != dataset.tenant_id:
        access = permissions_in(user, dataset.tenant)
    if dataset.sensitivity == Sensitivity.INTERNAL and access.can(Perm.VIEW_DATA):
        return True
    if access.can(Perm.MANAGE_DATA) or (
        dataset.referent_id is not None and dataset.referent_id == user.pk
    ):
        return True
    if access.role is None and not access.via_parent:
        return False  # not a member any more: an old approval does not count
    return has_grant(user, dataset)


def can_decide(user: Any, access: TenantAccess, dataset: Dataset) -> bool:
    """Data stewards and administrators decide on any dataset's requests, its referent on its."""
    if not getattr(user, "is_authenticated", False):
        return False
    return access.can(Perm.MANAGE_DATA) or (
        dataset.referent_id is not None and dataset.referent_id == user.pk
    )
