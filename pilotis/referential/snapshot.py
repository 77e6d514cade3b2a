"""The compact snapshot of French administrative divisions that Pilotis ships and loads.

Its source is the npm package @etalab/decoupage-administratif (MIT, Etalab), whose data/*.json
files list every commune, EPCI, department and region of INSEE's Code officiel géographique.
The snapshot keeps what Pilotis uses (codes, names, SIREN, postal codes, population, EPCI
membership, the names of communes déléguées as aliases) as gzipped JSON row lists: about
0.6 MB instead of 12 MB. Plain Python: no Django, so the builder is tested and reused alone.
"""

import gzip
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from pilotis.referential.exceptions import ReferentialError

SOURCE_PACKAGE = "@etalab/decoupage-administratif"
DEFAULT_VERSION = "6.0.0"
SOURCE_LICENCE = "MIT"
FORMAT_VERSION = 1
SHIPPED_SNAPSHOT = Path(__file__).resolve().parent / "data" / "cog.json.gz"
PACKAGE_FILES = ("communes", "epci", "departements", "regions")

Raw = dict[str, list[dict[str, Any]]]


class RegionRow(NamedTuple):
    code: str
    name: str


class DepartementRow(NamedTuple):
    code: str
    name: str
    region: str


class EpciRow(NamedTuple):
    siren: str
    name: str
    kind: str  # CC, CA, CU, METRO or MET69 (Métropole de Lyon)
    population: int | None  # population municipale, as the DGCL counts it


class CommuneRow(NamedTuple):
    code: str  # code INSEE
    name: str
    siren: str  # "" for the arrondissements municipaux and some overseas collectivities
    departement: str
    epci: str  # SIREN of its EPCI, "" when it belongs to none
    population: int | None
    postal_codes: list[str]
    parent: str  # for an arrondissement municipal, its commune (Paris, Lyon, Marseille); else ""
    delegated_names: list[str]  # names of its communes déléguées or associées


@dataclass(frozen=True)
class Snapshot:
    """The whole referential, as rows ready to load."""

    source: dict[str, str]
    regions: list[RegionRow]
    departements: list[DepartementRow]
    epcis: list[EpciRow]
    communes: list[CommuneRow]

    def counts(self) -> dict[str, int]:
        return {
            "regions": len(self.regions),
            "departements": len(self.departements),
            "epcis": len(self.epcis),
            "communes": len(self.communes),
        }


def read_package(source: Path) -> tuple[Raw, str]:
    """The JSON files of the npm package and its version, from its .tgz or an unpacked folder.

    Args:
        source: the tarball made by `npm pack`, or a folder holding `package/data/`, `data/` or
            the JSON files themselves.
    Returns:
        the parsed files keyed by name ("communes", "epci", "departements", "regions") and the
        package version ("unknown" when no package.json sits beside the data).
    """
    if source.is_file():
        return _read_tarball(source)
    if source.is_dir():
        return _read_folder(source)
    raise ReferentialError(
        f"« {source} » n'existe pas : indiquez le .tgz de {SOURCE_PACKAGE} ou son dossier "
        f"décompressé. / “{source}” does not exist: give the package's .tgz or unpacked folder."
    )


def _read_tarball(path: Path) -> tuple[Raw, str]:
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {member.name: member for member in tar.getmembers() if member.isfile()}

            def load(suffix: str) -> Any:
                name = next((n for n in members if n.endswith(suffix)), None)
                if name is None:
                    raise _missing(suffix.lstrip("/"), path)
                stream = tar.extractfile(members[name])
                if stream is None:
                    raise _missing(suffix.lstrip("/"), path)
                return _parse(stream.read(), name)

            raw = {key: load(f"/data/{key}.json") for key in PACKAGE_FILES}
            manifest = load("package/package.json") if "package/package.json" in members else {}
    except (tarfile.TarError, OSError) as error:
        raise ReferentialError(
            f"Impossible de lire l'archive « {path} » ({error}) : téléchargez-la de nouveau. / "
            f"Cannot read the archive “{path}” ({error}): download it again."
        ) from error
    return raw, str(manifest.get("version", "unknown"))


def _read_folder(folder: Path) -> tuple[Raw, str]:
    candidates = [folder / "package" / "data", folder / "data", folder]
    data_dir = next((d for d in candidates if (d / "communes.json").is_file()), None)
    if data_dir is None:
        raise _missing("data/communes.json", folder)
    raw = {}
    for key in PACKAGE_FILES:
        path = data_dir / f"{key}.json"
        if not path.is_file():
            raise _missing(f"data/{key}.json", folder)
        raw[key] = _parse(path.read_bytes(), str(path))
    manifest_path = data_dir.parent / "package.json"
    manifest = (
        _parse(manifest_path.read_bytes(), str(manifest_path)) if manifest_path.is_file() else {}
    )
    return raw, str(manifest.get("version", "unknown"))


def _parse(content: bytes, name: str) -> Any:
    try:
        return json.loads(content)
    except ValueError as error:
        raise ReferentialError(
            f"« {name} » n'est pas un JSON valide ({error}). / “{name}” is not valid JSON."
        ) from error


def _missing(what: str, where: Path) -> ReferentialError:
    return ReferentialError(
        f"« {what} » introuvable dans « {where} » : est-ce bien le paquet {SOURCE_PACKAGE} ? / "
        f"“{what}” not found in “{where}”: is it the {SOURCE_PACKAGE} package?"
    )


def build_snapshot(raw: Raw, version: str, built_on: date) -> Snapshot:
    """Keep, from the package's files, what Pilotis needs; rows sorted by code."""
    try:
        return _build(raw, version, built_on)
    except (KeyError, TypeError, AttributeError) as error:
        raise ReferentialError(
            f"Le paquet {SOURCE_PACKAGE} {version} n'a pas la forme attendue (champ {error}) : "
            f"gardez la version {DEFAULT_VERSION} ou adaptez pilotis/referential/snapshot.py. / "
            f"The package does not have the expected shape (field {error})."
        ) from error


def _build(raw: Raw, version: str, built_on: date) -> Snapshot:
    regions = sorted(RegionRow(r["code"], r["nom"]) for r in raw["regions"])
    departements = sorted(
        DepartementRow(d["code"], d["nom"], d["region"]) for d in raw["departements"]
    )
    epcis = sorted(
        EpciRow(e["code"], e["nom"], e["type"], e.get("populationMunicipale")) for e in raw["epci"]
    )
    epci_of = {member["code"]: e["code"] for e in raw["epci"] for member in e["membres"]}
    delegated: dict[str, list[str]] = {}
    for entry in raw["communes"]:
        if entry["type"] in ("commune-deleguee", "commune-associee") and entry.get("chefLieu"):
            delegated.setdefault(entry["chefLieu"], []).append(entry["nom"])
    communes = sorted(
        _commune_row(entry, epci_of, delegated)
        for entry in raw["communes"]
        if entry["type"] in ("commune-actuelle", "arrondissement-municipal")
    )
    source = {
        "package": SOURCE_PACKAGE,
        "version": version,
        "licence": SOURCE_LICENCE,
        "built_on": built_on.isoformat(),
    }
    return Snapshot(source, regions, departements, epcis, communes)


def _commune_row(
    entry: dict[str, Any], epci_of: dict[str, str], delegated: dict[str, list[str]]
) -> CommuneRow:
    code, name = entry["code"], entry["nom"]
    is_current = entry["type"] == "commune-actuelle"
    return CommuneRow(
        code=code,
        name=name,
        siren=entry.get("siren", ""),
        departement=entry["departement"],
        epci=epci_of.get(code, "") if is_current else "",
        population=entry.get("population"),
        postal_codes=sorted(set(entry.get("codesPostaux", []))),
        parent="" if is_current else entry["commune"],
        delegated_names=sorted(set(delegated.get(code, [])) - {name}) if is_current else [],
    )


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write `snapshot` as gzipped JSON, atomically (readers never see half a file)."""
    document = {
        "format": FORMAT_VERSION,
        "source": snapshot.source,
        "regions": snapshot.regions,
        "departements": snapshot.departements,
        "epcis": snapshot.epcis,
        "communes": snapshot.communes,
    }
    content = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as raw_file:
            # mtime=0: the same data gives the same bytes, so git sees only real changes.
            with gzip.GzipFile(fileobj=raw_file, mode="wb", compresslevel=9, mtime=0) as out:
                out.write(content)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the snapshot is public data
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ReferentialError(
            f"Impossible d'écrire « {path} » ({error}) : choisissez un autre fichier. / "
            f"Cannot write “{path}” ({error}): choose another file."
        ) from error


def read_snapshot(path: Path | None = None) -> Snapshot:
    """Read a snapshot written by `write_snapshot` (by default the one shipped with Pilotis)."""
    path = SHIPPED_SNAPSHOT if path is None else path
    try:
        with gzip.open(path, "rb") as stream:
            document = json.loads(stream.read())
    except (OSError, ValueError, EOFError) as error:
        raise ReferentialError(
            f"Impossible de lire l'instantané « {path} » ({error}) : reconstruisez-le avec "
            f"`pilotis referential update`. / Cannot read the snapshot “{path}” ({error}): "
            "rebuild it with `pilotis referential update`."
        ) from error
    if document.get("format") != FORMAT_VERSION:
        raise ReferentialError(
            f"L'instantané « {path} » est au format {document.get('format')}, Pilotis attend le "
            f"format {FORMAT_VERSION} : reconstruisez-le avec `pilotis referential update`. / "
            f"The snapshot has format {document.get('format')}, expected {FORMAT_VERSION}."
        )
    return Snapshot(
        source=document["source"],
        regions=[RegionRow(*row) for row in document["regions"]],
        departements=[DepartementRow(*row) for row in document["departements"]],
        epcis=[EpciRow(*row) for row in document["epcis"]],
        communes=[CommuneRow(*row) for row in document["communes"]],
    )


def build_from(source: Path, output: Path, built_on: date | None = None) -> Snapshot:
    """Read the package at `source`, write its snapshot to `output` and return it."""
    raw, version = read_package(source)
    snapshot = build_snapshot(raw, version, built_on or date.today())
    write_snapshot(snapshot, output)
    return snapshot
