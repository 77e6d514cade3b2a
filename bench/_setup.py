"""Shared by the benchmarks: a throwaway Pilotis (Django on SQLite in a temporary folder), timing,
and measurements made in a fresh subprocess so that one measure's memory does not pollute
another's. Not a benchmark itself (`make bench` runs `bench/bench_*.py` only)."""

import json
import os
import resource
import subprocess  # noqa: S404 - runs this very interpreter on this very script
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULT_MARK = "BENCH-RESULT "


def setup_django(folder: str, migrate: bool = True) -> None:
    """Django on a SQLite database and a warehouse in `folder` (migrated unless told not to,
    e.g. in a subprocess working on a database its parent migrated)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "pilotis.settings"
    os.environ.setdefault("PILOTIS_INSECURE_DEMO", "1")
    os.environ["PILOTIS_VAR_DIR"] = folder
    os.environ["PILOTIS_WAREHOUSE_DIR"] = f"{folder}/warehouse"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.2f} s")
    return result, elapsed


def peak_rss_mb() -> float:
    """The high-water mark of this process's resident memory, in MB of 10^6 bytes (ru_maxrss
    is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def report(result: dict) -> None:
    """Hand `result` to the parent process (see `in_subprocess`), with this process's peak RSS."""
    result["peak_rss_mb"] = peak_rss_mb()
    print(RESULT_MARK + json.dumps(result), flush=True)


def in_subprocess(script: str, *args: str) -> dict:
    """Run `script` with `args` in a fresh interpreter and return what it `report`ed.

    Its own output goes through; a failure returns {"error": its last lines of stderr}."""
    command = [sys.executable, script, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
        print(f"  | {line}")
    error = done.stderr.strip().splitlines()[-3:] or [f"exit status {done.returncode}"]
    return {"error": " / ".join(error)}
