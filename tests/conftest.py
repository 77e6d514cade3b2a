"""Shared test set-up: strict runs (a skip fails the session), the database actually asked for,
and the people of a small two-tenant world for every role."""

import os
from datetime import date
from pathlib import Path

import pytest

pytest_plugins = ["tests.smtp"]  # the `smtp` fixture: a real local mail server

# Launch flags of Debian's Chromium that behave in containers and CI.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SMALL_PACKAGE = Path(__file__).resolve().parent / "referential" / "data" / "package"


DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass (PILOTIS_REQUIRE_DATABASE=postgresql) runs the tests that touch the
    database; a test that never does is the same on both engines and ran in the SQLite pass.
    Deselected, not skipped: nothing is hidden, the summary says how many."""
    if os.environ.get("PILOTIS_REQUIRE_DATABASE") != "postgresql":
        return
    keep, other = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        uses_db = item.get_closest_marker("django_db") is not None or bool(fixtures & DB_FIXTURES)
        (keep if uses_db else other).append(item)
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is not a passing one: fail the run when anything was skipped."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        reporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped; skips are not allowed.", red=True
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True, scope="session")
def _database_is_the_one_asked(django_db_setup, django_db_blocker):
    """With PILOTIS_REQUIRE_DATABASE=postgresql, refuse to run on anything else."""
    wanted = os.environ.get("PILOTIS_REQUIRE_DATABASE")
    if wanted:
        from django.db import connection

        assert connection.vendor == wanted, f"tests asked for {wanted}, got {connection.vendor}"


@pytest.fixture(autouse=True)
def _instance_language():
    """Every test starts in the instance's language (French), whatever an earlier test of the
    same process left active: the workers of a parallel run share no order."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OPENDATA_DIR = tmp_path / "opendata"


@pytest.fixture
def warehouse(settings, tmp_path):
    """The instance folder and the Delta warehouse in the test's temporary folder."""
    settings.VAR_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    return settings.WAREHOUSE_DIR


@pytest.fixture(scope="session")
def small_snapshot_path(tmp_path_factory) -> Path:
    """The snapshot of the small cut of the real referential package (six communes of
    Ille-et-Vilaine, see tests/referential/data), as `pilotis referential update` writes it."""
    from pilotis.referential.snapshot import build_from

    path = tmp_path_factory.mktemp("snapshot") / "cog.json.gz"
    build_from(SMALL_PACKAGE, path, built_on=date(2026, 1, 1))
    return path


@pytest.fixture(scope="module")
def browser():
    """Real headless Chromium (Debian's), driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def parking_town(tmp_path_factory) -> Path:
    """Three weeks of the parking test town's tables, written once (tenants get copies)."""
    from django.test import override_settings

    from tests.parking.conftest import town, write_town

    folder = tmp_path_factory.mktemp("parking-town")
    with override_settings(WAREHOUSE_DIR=folder):
        write_town("town", town(days=21))
    return folder / "tenants" / "town"
