"""Published datasets for tests that need one online without running the whole pipeline:
the version folder and its resources are written exactly as the pipeline writes them."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone

from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.opendata.publish import version_folder
from pilotis.opendata.resources import write_all
from pilotis.tenants.models import Tenant


def published(tenant: Tenant, slug: str, table: pa.Table, **fields: Any) -> Publication:
    """A publication of `table` with one version online (or a new version when it exists)."""
    pub = Publication.objects.filter(tenant=tenant, slug=slug).first()
    if pub is None:
        values = {"title": slug.replace("-", " ").capitalize(), "description": f"Test {slug}."}
        pub = Publication.objects.create(tenant=tenant, slug=slug, **{**values, **fields})
    number = (pub.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PublicationVersion(publication=pub, number=number)
    folder = version_folder(version)
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "data.parquet")
    version.resources = write_all(folder / "data.parquet", folder, pub.title)
    version.rows = table.num_rows
    version.fields = [{"name": f.name, "type": str(f.type)} for f in table.schema]
    version.status = PublicationVersion.Status.OK
    version.content_hash = str(version.resources["csv"]["sha256"])
    version.changelog = f"Version {number}"
    version.finished_at = timezone.now()
    version.save()
    return pub
