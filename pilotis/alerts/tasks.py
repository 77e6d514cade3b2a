"""The worker's part (`pilotis worker`): alerts checked after each load that changed data,
and every day at 6:30 for all rules (figures move with time too: open requests age)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pilotis.alerts import check
from pilotis.alerts.models import AlertRule
from pilotis.tenants.models import Tenant


@db_task()
def check_after_load(tenant_id: int, table: str) -> int:
    tenant = Tenant.objects.filter(pk=tenant_id).select_related("parent").first()
    return 0 if tenant is None else len(check.after_load(tenant, table))


def after_load(tenant_id: int, table: str) -> bool:
    """Called by the connectors after a load that changed `table`: queue the check when the
    tenant (or its intercommunality, if it shares its data) has active rules."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return False
    owners = [tenant.pk]
    if tenant.parent_id is not None and tenant.shares_with_parent:
        owners.append(tenant.parent_id)
    if not AlertRule.objects.filter(active=True, tenant_id__in=owners).exists():
        return False
    check_after_load(tenant_id, table)
    return True


@db_periodic_task(crontab(hour="6", minute="30"))
def daily() -> int:
    return len(check.check_all())
