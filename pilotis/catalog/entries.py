"""Catalog entries made by Pilotis itself: one per canonical table a tenant loads, with defaults
read from the table's Table Schema, and the lineage links other apps declare."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from pilotis.audit.log import record
from pilotis.catalog.models import (
    Dataset,
    Frequency,
    Kind,
    LineageLink,
    ProcessingRecord,
    Sensitivity,
)
from pilotis.tenants.models import Tenant
from pilotis.warehouse.schemas import TableSchema, canonical_tables

log = logging.getLogger(__name__)


def ensure_dataset(tenant: Tenant, table_name: str) -> Dataset:
    """The catalog entry of the warehouse table `table_name` of `tenant`, created when missing.

    A new entry takes its title, description and schema from the canonical Table Schema. When
    the schema holds personal data (`pilotis:personal`), the entry is marked "personal data" and
    linked to a draft record of processing in the RGPD register, incomplete until a steward
    fills it in.
    """
    existing = Dataset.objects.filter(tenant=tenant, kind=Kind.TABLE, name=table_name).first()
    if existing is not None:
        return existing
    schema = canonical_tables().get(table_name)
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(
                tenant=tenant,
                kind=Kind.TABLE,
                name=table_name,
                slug=Dataset.make_slug(Kind.TABLE, table_name),
                title=(schema.title if schema else table_name)[:200],
                description=schema.description if schema else "",
                sensitivity=Sensitivity.PERSONAL if _is_personal(schema) else Sensitivity.INTERNAL,
                processing_record=(
                    _draft_record(tenant, schema) if schema and _is_personal(schema) else None
                ),
                frequency=_frequency_from_sources(tenant, table_name),
                schema_name=table_name if schema else "",
            )
    except IntegrityError:  # created meanwhile by another load of the same table
        return Dataset.objects.get(tenant=tenant, kind=Kind.TABLE, name=table_name)
    record(
        "data_operation",
        tenant=tenant,
        username="pilotis",
        target=f"catalog.dataset:{dataset.pk}",
        details={"operation": "dataset.create", "table": table_name, "automatic": True},
    )
    return dataset


def _is_personal(schema: TableSchema | None) -> bool:
    return schema is not None and (schema.personal or bool(schema.personal_fields))


def _draft_record(tenant: Tenant, schema: TableSchema) -> ProcessingRecord:
    """The tenant's record named after the table, or a new draft with what Pilotis knows."""
    existing = ProcessingRecord.objects.filter(tenant=tenant, name=schema.title[:200]).first()
    if existing is not None:
        return existing
    titles = [schema.field(name).title or name for name in schema.personal_fields]
    draft = ProcessingRecord.objects.create(
        tenant=tenant,
        name=schema.title[:200],
        controller_name=tenant.name,
        data_categories=", ".join(titles),
    )
    record(
        "data_operation",
        tenant=tenant,
        username="pilotis",
        target=f"catalog.processing:{draft.pk}",
        details={"operation": "processing.create", "table": schema.name, "automatic": True},
    )
    return draft


def _frequency_from_sources(tenant: Tenant, table_name: str) -> str:
    """The frequency matching the most frequent scheduled source of the table, if any."""
    from pilotis.catalog.lineage import sources_of_table

    minutes = [
        source.schedule_minutes
        for source in sources_of_table(tenant, table_name)
        if source.enabled and source.schedule_minutes
    ]
    if not minutes:
        return Frequency.IRREGULAR
    shortest = min(minutes)
    if shortest <= 24 * 60:
        return Frequency.DAILY
    if shortest <= 7 * 24 * 60:
        return Frequency.WEEKLY
    return Frequency.MONTHLY


def sync_tables(tenant: Tenant) -> None:
    """Make sure every canonical table the tenant has data in has its catalog entry."""
    from pilotis.warehouse import storage

    known = set(
        Dataset.objects.filter(tenant=tenant, kind=Kind.TABLE).values_list("name", flat=True)
    )
    for name in canonical_tables():
        if name not in known and storage.open_table(tenant.code, name) is not None:
            ensure_dataset(tenant, name)


def link(tenant: Tenant, from_kind: str, from_name: str, to_kind: str, to_name: str) -> None:
    """Declare a lineage edge, e.g. `link(t, "table", "requests", "indicator", "delai")`.
    Idempotent."""
    LineageLink.objects.get_or_create(
        tenant=tenant, from_kind=from_kind, from_name=from_name, to_kind=to_kind, to_name=to_name
    )
