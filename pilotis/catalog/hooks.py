"""What the ingestion pipeline and the worker call.

- `after_load(tenant, table_name, load_id)` after each successful load, replay or rollback;
- `check_freshness()` every night: records freshness and returns the stale datasets.
"""

from __future__ import annotations

import logging

from pilotis.catalog.entries import ensure_dataset
from pilotis.catalog.quality import check_freshness, run_checks
from pilotis.tenants.models import Tenant

log = logging.getLogger(__name__)


def after_load(tenant: Tenant, table_name: str, load_id: str) -> None:
    """Make sure the table has its catalog entry, then check its quality and store the results.

    Never raises: the load is already committed, a failing check must not turn it into an error
    (the failure is logged, and the next load or the nightly run tries again)."""
    try:
        dataset = ensure_dataset(tenant, table_name)
        run_checks(dataset, load_id=str(load_id))
    except Exception:
        log.exception("catalog: quality checks of %s/%s failed", tenant.code, table_name)


__all__ = ["after_load", "check_freshness", "ensure_dataset"]
