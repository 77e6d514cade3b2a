"""Background work of the connectors, run by `pilotis worker` (Huey): queued loads, periodic
pulls of configured sources, and files dropped in watched folders."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import LoadRun, Source
from pilotis.errors import PilotisError

log = logging.getLogger(__name__)


@db_task()
def run_queued(run_id: str) -> None:
    run = LoadRun.objects.filter(pk=run_id, status=LoadRun.Status.QUEUED).first()
    if run is None:
        return
    try:
        pipeline.execute(run)
    except PilotisError:
        pass  # recorded on the run, shown in the UI


def enqueue(source: Source, user: Any = None, config: dict[str, Any] | None = None) -> LoadRun:
    """Queue a load of `source` for the worker; the run is visible at once in the UI."""
    mapping = Mapping.from_yaml(source.mapping)
    run = pipeline.start_run(
        source.tenant,
        mapping,
        kind=source.kind,
        config={**mapping.read, **source.config, **(config or {})},
        source_name=source.name,
        source=source,
        user=user,
        queued=True,
    )
    run_queued(run.load_id)
    return run


def enqueue_run(run: LoadRun) -> LoadRun:
    run_queued(run.load_id)
    return run


def due_sources(now: Any = None) -> list[Source]:
    """Sources with a schedule whose last load started at least one interval ago."""
    now = now or timezone.now()
    due = []
    for source in Source.objects.filter(enabled=True, schedule_minutes__gt=0):
        last = source.runs.order_by("-started_at").first()
        if last is None or (
            last.status not in (LoadRun.Status.QUEUED, LoadRun.Status.RUNNING)
            and now - last.started_at >= timedelta(minutes=source.schedule_minutes)
        ):
            due.append(source)
    return due


@db_periodic_task(crontab(minute="*"))
def pull_due_sources() -> int:
    pipeline.reap_interrupted()
    sources = due_sources()
    for source in sources:
        enqueue(source)
    return len(sources)


def inbox(source: Source) -> Path:
    return Path(settings.VAR_DIR) / "inbox" / source.tenant.code / source.name


def watch_inboxes(settle_seconds: float = 10.0) -> int:
    """Load each file dropped in a watched source's folder, then move it to done/ or failed/.

    A file modified less than `settle_seconds` ago is left for the next pass: it may still be
    being copied."""
    loaded = 0
    now = time.time()
    for source in Source.objects.filter(enabled=True, kind="file", config__watch=True):
        folder = inbox(source)
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(
            p
            for p in folder.iterdir()
            if p.is_file()
            and not p.name.startswith(".")
            and now - p.stat().st_mtime >= settle_seconds
        ):
            mapping = Mapping.from_yaml(source.mapping)
            run = pipeline.start_run(
                source.tenant,
                mapping,
                kind="file",
                config={
                    **mapping.read,
                    **{k: v for k, v in source.config.items() if k != "watch"},
                    "path": str(path),
                },
                source_name=source.name,
                source=source,
            )
            try:
                pipeline.execute(run)
                outcome = "done"
                loaded += 1
            except PilotisError:
                outcome = "failed"
            target = folder / outcome / f"{timezone.now():%Y%m%d-%H%M%S}-{path.name}"
            target.parent.mkdir(exist_ok=True)
            shutil.move(path, target)
    return loaded


@db_periodic_task(crontab(minute="*"))
def watch_inboxes_task() -> int:
    return watch_inboxes()
