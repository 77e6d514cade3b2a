# ruff: noqa: S608 - test SQL over file names written by the test
"""kill -9 in the middle of a load leaves the previous version intact and readable; running the
load again completes it. Real processes: `pilotis ingest` is started and killed."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable

from tests.instance import PILOTIS, embedded_instance

ROOT = Path(__file__).resolve().parents[2]
HEADER = "N° demande;Statut;Date de la demande;Commune;Objet\n"


def write_export(path: Path, rows: int, prefix: str) -> None:
    with open(path, "w", encoding="cp1252") as out:
        out.write(HEADER)
        for i in range(rows):
            out.write(f"{prefix}{i};Clôturée;{1 + i % 28:02d}/01/2026 09:15;Saint-Malo;Objet {i}\n")


@pytest.fixture
def instance(tmp_path):
    return PILOTIS, embedded_instance(tmp_path, "crash.sqlite3"), tmp_path


def ingest(pilotis, env, path):
    cmd = [*pilotis, "ingest", "--tenant", "35288", "--table", "requests", str(path), "--json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout)


def table(tmp_path):
    return DeltaTable(str(tmp_path / "var" / "warehouse" / "tenants" / "35288" / "requests"))


def test_kill_minus_nine_mid_load_keeps_the_previous_version(instance):
    pilotis, env, tmp_path = instance
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_export(small, 1_000, "S")
    write_export(big, 600_000, "B")
    assert ingest(pilotis, env, small)["version"] == 0

    cmd = [*pilotis, "ingest", "--tenant", "35288", "--table", "requests", str(big), "--json"]
    process = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    staging = tmp_path / "var" / "staging"
    deadline = time.monotonic() + 120
    # Kill once validation has produced its staged output, i.e. while the commit is under way.
    while time.monotonic() < deadline and process.poll() is None:
        if any(staging.glob("*/validated.parquet")):
            break
        time.sleep(0.02)
    assert process.poll() is None, "the load ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    delta = table(tmp_path)
    assert delta.version() == 0
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet({delta.file_uris()})").fetchall()[0][0]
    assert count == 1_000

    result = ingest(pilotis, env, big)  # the interrupted run is reaped, the load completes
    assert result["read"] == 600_000 == result["loaded"]
    assert table(tmp_path).version() == 1
