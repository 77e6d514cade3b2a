"""Shared test set-up: strict runs (a skip fails the session), the database actually asked for,
and the people of a small two-tenant world for every role."""

import os

import pytest


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
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
