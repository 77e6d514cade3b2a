"""The worker's queue: a task goes through a real Redis (as at scale) and is executed."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from huey import RedisHuey

from pilotis.shell.tasks import clear_expired_sessions


@pytest.fixture
def redis_huey():
    huey = RedisHuey("pilotis-test", url="redis://127.0.0.1:6379/15")
    huey.flush()
    yield huey
    huey.flush()


@pytest.mark.django_db(transaction=True)
def test_housekeeping_task_runs_through_redis(redis_huey):
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="", expire_date=now + timedelta(days=1))
    task = redis_huey.task()(clear_expired_sessions)
    result = task()
    assert redis_huey.pending_count() == 1  # queued in Redis, not run inline
    redis_huey.execute(redis_huey.dequeue())
    assert result.get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]


def test_settings_put_the_queue_on_redis_when_asked(monkeypatch):
    import importlib

    import pilotis.settings

    monkeypatch.setenv("PILOTIS_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PILOTIS_INSECURE_DEMO", "1")
    importlib.reload(pilotis.settings)
    assert pilotis.settings.HUEY["huey_class"] == "huey.RedisHuey"
    monkeypatch.undo()
    importlib.reload(pilotis.settings)
    assert pilotis.settings.HUEY["huey_class"] == "huey.SqliteHuey"
