"""Background publication (`pilotis worker`): republish after each load of a source table, and
at least as often as each publication's update frequency."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pilotis.catalog.models import MAX_AGE
from pilotis.opendata.models import Publication, PublicationVersion, SourceKind
from pilotis.opendata.publish import publish

log = logging.getLogger(__name__)


@db_task()
def republish(publication_id: int, trigger: str) -> None:
    pub = Publication.objects.filter(pk=publication_id).select_related("tenant").first()
    if pub is not None:
        publish(pub, trigger=trigger)


def after_load(tenant_id: int, table: str) -> int:
    """Queue the publications fed by `table` of the tenant; returns how many."""
    pubs = Publication.objects.filter(
        tenant_id=tenant_id, source_kind=SourceKind.TABLE, source_table=table, auto_republish=True
    )
    ids = list(pubs.values_list("pk", flat=True))
    for pk in ids:
        republish(pk, PublicationVersion.Trigger.LOAD)
    return len(ids)


def due_publications(now: object = None) -> list[Publication]:
    """Publications whose last run is older than their update frequency allows."""
    now = now or timezone.now()
    due = []
    for pub in Publication.objects.filter(auto_republish=True).select_related("tenant"):
        max_age = MAX_AGE.get(pub.frequency)
        if max_age is None:
            continue
        last = pub.versions.order_by("-number").first()
        if last is None or last.started_at < now - max_age:  # type: ignore[operator]
            due.append(pub)
    return due


@db_periodic_task(crontab(minute="17"))
def republish_due() -> int:
    pubs = due_publications()
    for pub in pubs:
        republish(pub.pk, PublicationVersion.Trigger.SCHEDULE)
    return len(pubs)
