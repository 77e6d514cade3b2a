"""The worker's side: scheduled pulls and watched folders."""

from datetime import timedelta

import pytest
from django.utils import timezone
from huey import RedisHuey

from pilotis.connectors import pipeline, tasks
from pilotis.connectors.mapping import Mapping
from pilotis.connectors.models import LoadRun, Source
from tests.connectors.test_cli import CSV

MAPPING = """table: requests
fields:
  service_request_id: N° demande
  status: {column: Statut, values: {Clôturée: closed, En cours: open, Fermée: closed}}
  requested_datetime: Date de la demande
"""


def test_due_sources_follow_their_schedule(commune):
    source = Source.objects.create(
        tenant=commune, name="s", kind="file", mapping=MAPPING, schedule_minutes=60
    )
    Source.objects.create(tenant=commune, name="manual", kind="file", mapping=MAPPING)
    assert tasks.due_sources() == [source]
    LoadRun.objects.create(
        tenant=commune,
        source=source,
        source_name="s",
        table="requests",
        status=LoadRun.Status.SUCCEEDED,
    )
    assert tasks.due_sources() == []
    assert tasks.due_sources(timezone.now() + timedelta(minutes=61)) == [source]


def test_a_file_dropped_in_a_watched_folder_is_loaded_and_moved(commune):
    source = Source.objects.create(
        tenant=commune, name="depot", kind="file", mapping=MAPPING, config={"watch": True}
    )
    folder = tasks.inbox(source)
    folder.mkdir(parents=True)
    (folder / "export.csv").write_bytes(CSV.encode("cp1252"))
    (folder / "garbage.csv").write_bytes(b"")
    assert tasks.watch_inboxes() == 0  # just written: maybe still being copied, left for later
    assert tasks.watch_inboxes(settle_seconds=0) == 1
    run = LoadRun.objects.get(status=LoadRun.Status.SUCCEEDED)
    assert (run.rows_loaded, run.rows_quarantined) == (3, 1)
    assert [p.name.split("-", 2)[-1] for p in (folder / "done").iterdir()] == ["export.csv"]
    assert [p.name.split("-", 2)[-1] for p in (folder / "failed").iterdir()] == ["garbage.csv"]
    assert not (folder / "export.csv").exists()


@pytest.mark.django_db(transaction=True)
def test_a_queued_load_goes_through_redis_to_the_worker(commune, tmp_path):
    """As at scale: the web process queues the load in Redis, a worker process executes it."""
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.encode("cp1252"))
    source = Source.objects.create(
        tenant=commune, name="s", kind="file", mapping=MAPPING, config={"path": str(path)}
    )
    huey = RedisHuey("pilotis-test-loads", url="redis://127.0.0.1:6379/15")
    huey.flush()
    try:
        queued = huey.task()(tasks.run_queued.call_local)
        run = pipeline.start_run(
            commune,
            Mapping.from_yaml(MAPPING),
            kind="file",
            config=source.config,
            source_name="s",
            source=source,
            queued=True,
        )
        queued(run.load_id)
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())
        run.refresh_from_db()
        assert run.status == LoadRun.Status.SUCCEEDED and run.rows_read == 4
    finally:
        huey.flush()
