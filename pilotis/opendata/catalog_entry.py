"""Each publication is an entry of its tenant's catalog (kind "published dataset"), with its
lineage from the warehouse table it comes from."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from pilotis.catalog.entries import link
from pilotis.catalog.models import Dataset, Kind, NodeKind, Sensitivity
from pilotis.opendata.models import Publication, PublicationVersion, SourceKind


def sync_catalog(pub: Publication, version: PublicationVersion | None = None) -> Dataset:
    values = {
        "slug": Dataset.make_slug(Kind.PUBLICATION, pub.slug),
        "title": pub.title[:200],
        "description": pub.description,
        "sensitivity": Sensitivity.PUBLIC,
        "open_data": True,
        "frequency": pub.frequency,
        "licence": pub.licence,
        "schema_name": pub.national_schema or pub.source_table,
        "keywords": pub.keywords,
    }
    if version is not None and version.finished_at is not None:
        values["last_loaded_at"] = version.finished_at
    try:
        with transaction.atomic():
            dataset, _created = Dataset.objects.update_or_create(
                tenant=pub.tenant, kind=Kind.PUBLICATION, name=pub.slug, defaults=values
            )
    except IntegrityError:
        dataset = Dataset.objects.get(tenant=pub.tenant, kind=Kind.PUBLICATION, name=pub.slug)
    if pub.source_kind == SourceKind.TABLE and pub.source_table:
        link(pub.tenant, NodeKind.TABLE, pub.source_table, NodeKind.PUBLICATION, pub.slug)
    return dataset
