"""`pilotis serve` on an embedded instance runs the background worker in the same process: a
file imported in the UI (a queued load) is loaded with nothing else started — a commune with
no IT staff runs one command — and the board it changes is computed ahead into the instance's
file cache, which every process reads. Real processes: the instance is created, the load queued, and
`pilotis serve` started as a user would."""

import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.instance import PILOTIS, embedded_instance

ROOT = Path(__file__).resolve().parents[2]
CSV = "N° demande;Statut;Date de la demande;Commune\nA-1;Clôturée;02/01/2026 09:15;Saint-Malo\n"
QUEUE = """
from pilotis.connectors import pipeline, tasks
from pilotis.connectors.mapping import Mapping
from pilotis.tenants.models import Tenant
mapping = Mapping.from_yaml('''table: requests
fields:
  service_request_id: N° demande
  status: {column: Statut, values: {Clôturée: closed}}
  requested_datetime: Date de la demande
  commune_insee: {column: Commune, referential: commune}
''')
run = pipeline.start_run(Tenant.objects.get(code="35288"), mapping, kind="file",
                         config={"path": %r}, source_name="export.csv", queued=True)
tasks.enqueue_run(run)
print(run.load_id)
"""
# In another process: the board of the tenant, never computed here, must come from the cache.
FROM_THE_CACHE = """
from django.utils import translation
from pilotis.home import board
from pilotis.tenants.models import Tenant
def refuse(*args, **kwargs):
    raise SystemExit("not in the cache")
board.card_for = refuse
with translation.override("fr"):
    print(len(board.build(Tenant.objects.get(code="35288")).cards), "cards from the cache")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def instance(tmp_path):
    return PILOTIS, embedded_instance(tmp_path, "serve.sqlite3"), tmp_path


def status(tmp_path: Path, load_id: str) -> tuple[str, int]:
    with sqlite3.connect(tmp_path / "serve.sqlite3") as db:
        row = db.execute(
            "SELECT status, rows_loaded FROM connectors_loadrun WHERE id = ?",
            (load_id.replace("-", ""),),
        ).fetchone()
    return row


def queue_a_load(pilotis, env, tmp_path) -> str:
    path = tmp_path / "export.csv"
    path.write_bytes(CSV.encode("cp1252"))
    done = subprocess.run(
        [*pilotis, "shell", "-c", QUEUE % str(path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout.strip().splitlines()[-1]


def serve(pilotis, env, *flags):
    port = free_port()
    process = subprocess.Popen(
        [*pilotis, "serve", "--port", str(port), *flags],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accessibilite/", timeout=2) as r:
                assert r.status == 200
                return process
        except OSError:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "pilotis serve never answered"
            time.sleep(0.2)


def stop(process) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return output


def test_serve_runs_the_queued_load_of_an_embedded_instance(instance):
    pilotis, env, tmp_path = instance
    load_id = queue_a_load(pilotis, env, tmp_path)
    assert status(tmp_path, load_id) == ("queued", 0)

    # Without the worker (as with Redis, where `pilotis worker` processes run it): it waits.
    process = serve(pilotis, env, "--no-worker")
    try:
        time.sleep(3)  # a worker takes it in well under a second (it polls every 0.1 s)
        assert status(tmp_path, load_id) == ("queued", 0)
    finally:
        output = stop(process)
    assert "Tâches de fond" not in output

    # As `make demo` and `make serve` start it: the same process loads it.
    process = serve(pilotis, env)
    try:
        deadline = time.monotonic() + 60
        while status(tmp_path, load_id)[0] in ("queued", "running"):
            assert time.monotonic() < deadline, "the queued load never ran"
            time.sleep(0.2)
        assert status(tmp_path, load_id) == ("succeeded", 1)
        # The same worker computed the tenant's board ahead, into the instance's file cache,
        # which another process (another `pilotis serve`, the CLI) reads.
        deadline = time.monotonic() + 60
        while True:
            check = subprocess.run(
                [*pilotis, "shell", "-c", FROM_THE_CACHE],
                env=env,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if check.returncode == 0:
                break
            assert "not in the cache" in check.stderr, check.stderr
            assert time.monotonic() < deadline, "the board was never computed ahead"
            time.sleep(0.5)
        cards, *words = check.stdout.strip().splitlines()[-1].split()
        assert words == ["cards", "from", "the", "cache"] and int(cards) >= 1
    finally:
        output = stop(process)
    assert "Tâches de fond : dans ce processus" in output
