"""`pilotis referential load` and `pilotis referential update`: thin, and never a traceback."""

import os
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pilotis.referential.models import Commune
from pilotis.referential.snapshot import read_snapshot
from tests.referential.conftest import PACKAGE


def test_load_referential_command_loads_given_snapshot(db, small_snapshot_path):
    out = StringIO()
    call_command("load_referential", "--from", str(small_snapshot_path), stdout=out)
    assert Commune.objects.count() == 6
    assert "6 communes" in out.getvalue()


def test_load_referential_command_bad_file_is_command_error(db, tmp_path):
    missing = tmp_path / "missing.json.gz"
    with pytest.raises(CommandError, match="Impossible de lire"):
        call_command("load_referential", "--from", str(missing))


def test_update_referential_dry_run_changes_nothing(db, tmp_path):
    """A dry run prints what would change and writes neither the file nor the tables."""
    output = tmp_path / "cog.json.gz"
    out = StringIO()
    call_command(
        "update_referential",
        "--from",
        str(PACKAGE),
        "--output",
        str(output),
        "--dry-run",
        stdout=out,
    )
    assert not output.exists()
    assert Commune.objects.count() == 0
    text = out.getvalue()
    assert "communes: 6 ajout(s) / added" in text
    assert "+ 35004 Val-Couesnon" in text
    assert "… 1 autre(s) / more" in text
    assert "Dry run" in text


def test_update_referential_writes_and_loads(db, tmp_path):
    output = tmp_path / "cog.json.gz"
    out = StringIO()
    call_command("update_referential", "--from", str(PACKAGE), "--output", str(output), stdout=out)
    assert read_snapshot(output).counts()["communes"] == 6
    assert Commune.objects.count() == 6
    out = StringIO()
    call_command("update_referential", "--from", str(PACKAGE), "--output", str(output), stdout=out)
    assert (
        "communes: 0 ajout(s) / added, 0 suppression(s) / removed, 0 renommage(s)" in out.getvalue()
    )


def test_update_referential_fetches_with_npm_pack(db, tmp_path, monkeypatch, package_tarball):
    """Without --from, the package comes from `npm pack <name>@<version>` in a temporary folder
    (here a stand-in `npm` on the PATH that records its arguments and drops the tarball)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm-args"
    fake_npm = bin_dir / "npm"
    fake_npm.write_text(f'#!/bin/sh\necho "$@" > {log}\ncp {package_tarball} .\n')
    fake_npm.chmod(fake_npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    output = tmp_path / "cog.json.gz"
    call_command(
        "update_referential",
        "--package-version",
        "6.0.0",
        "--output",
        str(output),
        stdout=StringIO(),
    )
    assert log.read_text().split() == ["pack", "@etalab/decoupage-administratif@6.0.0", "--silent"]
    assert Commune.objects.count() == 6


def test_update_referential_npm_failure_is_command_error(db, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_npm = bin_dir / "npm"
    fake_npm.write_text("#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n")
    fake_npm.chmod(fake_npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(CommandError, match="404 Not Found"):
        call_command(
            "update_referential", "--package-version", "0.0.0", "--output", str(tmp_path / "x")
        )


def test_update_referential_missing_source_is_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("update_referential", "--from", str(tmp_path / "nope.tgz"), "--dry-run")
