"""An embedded instance in a temporary folder, made by the `pilotis` command as a user would
(migrate, referential, one tenant), for tests that run real `pilotis` processes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PILOTIS = [sys.executable, "-m", "pilotis"]


def embedded_instance(folder: Path, database: str, tenant: str = "35288") -> dict[str, str]:
    """Create the instance (its SQLite file `folder/database`, its var folder `folder/var`)
    and return the environment its processes run with (no Redis: the embedded set-up)."""
    env = {
        **os.environ,
        "PILOTIS_VAR_DIR": str(folder / "var"),
        "DATABASE_URL": f"sqlite:///{folder / database}",
        "DJANGO_SETTINGS_MODULE": "pilotis.settings",
        "PILOTIS_INSECURE_DEMO": "1",
    }
    env.pop("PILOTIS_REDIS_URL", None)
    for args in (["migrate", "-v0"], ["referential", "load"], ["createtenant", tenant]):
        subprocess.run([*PILOTIS, *args], env=env, check=True, capture_output=True, cwd=ROOT)
    return env
