"""Rebuild the referential from a release of @etalab/decoupage-administratif, and say what changed.

`pilotis referential update` fetches the package with `npm pack` (the npm registry is the one
source reachable from the machines Pilotis runs on), rebuilds the shipped snapshot and reloads
the tables; with `dry_run` it only reports what would change.
"""

import subprocess  # noqa: S404 - runs npm with a fixed argument list, no shell
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pilotis.referential.exceptions import ReferentialError
from pilotis.referential.load import TableChanges, diff, load
from pilotis.referential.snapshot import (
    SOURCE_PACKAGE,
    Snapshot,
    build_snapshot,
    read_package,
    write_snapshot,
)

NPM_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class UpdateResult:
    snapshot: Snapshot
    changes: dict[str, TableChanges]
    written_to: Path | None  # None on a dry run


def fetch_package(version: str, folder: Path) -> Path:
    """Download the package's tarball into `folder` with `npm pack`; return its path."""
    command = ["npm", "pack", f"{SOURCE_PACKAGE}@{version}", "--silent"]
    try:
        subprocess.run(  # noqa: S603 - fixed program, the version is one argument
            command,
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
        )
    except FileNotFoundError as error:
        raise ReferentialError(
            "npm est introuvable : installez Node.js, ou téléchargez le paquet ailleurs et "
            "passez-le avec --from. / npm was not found: install Node.js, or fetch the package "
            "elsewhere and give it with --from."
        ) from error
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        detail = (getattr(error, "stderr", "") or "").strip()[-500:]
        raise ReferentialError(
            f"`{' '.join(command)}` a échoué ({detail or error}) : vérifiez la version et l'accès "
            f"au registre npm, ou passez le paquet avec --from. / npm pack failed: check the "
            f"version and access to the npm registry, or give the package with --from."
        ) from error
    tarballs = sorted(folder.glob("*.tgz"))
    if not tarballs:
        raise ReferentialError(
            f"npm pack n'a produit aucune archive dans « {folder} ». / "
            "npm pack produced no tarball."
        )
    return tarballs[0]


def update_referential(
    *, source: Path | None, version: str, output: Path, dry_run: bool, today: date | None = None
) -> UpdateResult:
    """Build a snapshot from `source` (or the npm package `version`), compare it with the
    tables, and unless `dry_run` write it to `output` and load it."""
    with tempfile.TemporaryDirectory(prefix="pilotis-referential-") as folder:
        package = source if source is not None else fetch_package(version, Path(folder))
        raw, package_version = read_package(package)
    snapshot = build_snapshot(raw, package_version, today or date.today())
    changes = diff(snapshot)
    if dry_run:
        return UpdateResult(snapshot, changes, None)
    write_snapshot(snapshot, output)
    load(snapshot)
    return UpdateResult(snapshot, changes, output)


def summarise(changes: dict[str, TableChanges], examples: int = 5) -> list[str]:
    """Lines telling what changed, a few examples per table (for the command line)."""
    lines = []
    for name, change in changes.items():
        lines.append(
            f"{name}: {len(change.added)} ajout(s) / added, {len(change.removed)} suppression(s) / "
            f"removed, {len(change.renamed)} renommage(s) / renamed, {len(change.updated)} "
            "mise(s) à jour / updated"
        )
        lines += [f"  + {code} {label}" for code, label in change.added[:examples]]
        lines += [f"  - {code} {label}" for code, label in change.removed[:examples]]
        lines += [f"  ~ {code} {old} → {new}" for code, old, new in change.renamed[:examples]]
        hidden = sum(
            max(0, len(items) - examples)
            for items in (change.added, change.removed, change.renamed)
        )
        if hidden:
            lines.append(f"  … {hidden} autre(s) / more")
    return lines
