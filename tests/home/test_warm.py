"""Boards computed ahead: a load that changed data queues the boards it changes (the member's
and its intercommunality's), the morning task computes every board, and the default cache is
files every process of the instance reads (what the worker computed, `pilotis serve` serves)."""

import importlib

import pytest
from django.conf import settings
from django.utils import translation

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping
from pilotis.home import board, tasks

MAPPING = """table: requests
fields:
  service_request_id: N° demande
  status: {column: Statut, values: {Clôturée: closed, En cours: open}}
  requested_datetime: Date de la demande
"""
CSV = (
    "N° demande;Statut;Date de la demande\n"
    "W-1;Clôturée;03/03/2025 10:00\n"
    "W-2;En cours;04/03/2025 11:30\n"
)


def refuse(*args, **kwargs):
    raise AssertionError("computed at the visit although computed ahead")


def load(tenant, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.encode("cp1252"))
    run = pipeline.start_run(
        tenant,
        Mapping.from_yaml(MAPPING),
        kind="file",
        config={"path": str(path)},
        source_name="export.csv",
    )
    pipeline.execute(run)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_a_load_computes_ahead_the_boards_it_changes(territory, settings, tmp_path, monkeypatch):
    settings.WARM_BOARDS = True  # the worker runs inline in tests (Huey immediate)
    epci, saint_malo, cancale = territory
    run = load(cancale, tmp_path)
    assert run.status == "succeeded" and run.rows_loaded == 2 and run.version is not None

    monkeypatch.setattr(board, "card_for", refuse)
    with translation.override(settings.LANGUAGE_CODE):
        ahead = board.build(cancale)
        assert ahead.cards and board.build(epci).members  # both served from the cache
        with pytest.raises(AssertionError, match="computed at the visit"):
            board.build(saint_malo)  # not changed by that load: not computed ahead


@pytest.mark.django_db
def test_no_warm_up_when_switched_off(territory, settings, tmp_path, monkeypatch):
    settings.WARM_BOARDS = False
    _, _, cancale = territory
    load(cancale, tmp_path)
    monkeypatch.setattr(board, "card_for", refuse)
    with translation.override(settings.LANGUAGE_CODE), pytest.raises(AssertionError):
        board.build(cancale)
    assert tasks.warm_every_morning.call_local() == {}


@pytest.mark.django_db
def test_the_morning_task_computes_every_board_members_first(territory, settings, monkeypatch):
    settings.WARM_BOARDS = True
    epci, saint_malo, cancale = territory
    order = []
    real = board.build
    monkeypatch.setattr(board, "build", lambda t, *a, **k: order.append(t.code) or real(t, *a, **k))
    took = tasks.warm_every_morning.call_local()
    assert set(took) == {epci.code, saint_malo.code, cancale.code}
    assert order[-1] == epci.code  # after its members, whose figures it reuses
    monkeypatch.setattr(board, "card_for", refuse)
    with translation.override(settings.LANGUAGE_CODE):
        assert real(epci).members and real(saint_malo).cards


def test_the_default_cache_is_files_in_the_instance_folder(monkeypatch, tmp_path):
    import pilotis.settings

    monkeypatch.setenv("PILOTIS_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("PILOTIS_REDIS_URL", raising=False)
    try:
        importlib.reload(pilotis.settings)
        cache = pilotis.settings.CACHES["default"]
        assert cache["BACKEND"].endswith("FileBasedCache")
        assert cache["LOCATION"] == str(tmp_path / "cache")
        assert pilotis.settings.WARM_BOARDS is True
    finally:
        monkeypatch.undo()
        importlib.reload(pilotis.settings)
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")  # tests: per process
