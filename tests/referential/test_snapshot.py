"""The snapshot builder: from the npm package (folder or .tgz) to the compact file we ship."""

import gzip
import json
import tarfile
from datetime import date

import pytest

from pilotis.referential.exceptions import ReferentialError
from pilotis.referential.snapshot import (
    SHIPPED_SNAPSHOT,
    CommuneRow,
    build_from,
    build_snapshot,
    read_package,
    read_snapshot,
    write_snapshot,
)
from tests.referential.conftest import PACKAGE


def test_read_package_folder_and_tarball_same_content(package_tarball):
    """The unpacked folder and the tarball `npm pack` makes give the same files and version."""
    from_folder, version_folder = read_package(PACKAGE)
    from_tarball, version_tarball = read_package(package_tarball)
    assert from_folder == from_tarball
    assert version_folder == version_tarball == "6.0.0"
    assert sorted(from_folder) == ["communes", "departements", "epci", "regions"]


def test_build_snapshot_keeps_current_communes_only():
    """Communes déléguées are not rows: their names become aliases of their commune."""
    raw, version = read_package(PACKAGE)
    snapshot = build_snapshot(raw, version, date(2026, 1, 1))
    assert snapshot.counts() == {"regions": 1, "departements": 1, "epcis": 4, "communes": 6}
    val_couesnon = next(c for c in snapshot.communes if c.code == "35004")
    assert val_couesnon.name == "Val-Couesnon"
    assert val_couesnon.delegated_names == [
        "Antrain",
        "La Fontenelle",
        "Saint-Ouen-la-Rouërie",
        "Tremblay",
    ]
    assert snapshot.source == {
        "package": "@etalab/decoupage-administratif",
        "version": "6.0.0",
        "licence": "MIT",
        "built_on": "2026-01-01",
    }


def test_build_snapshot_saint_malo_row():
    """Saint-Malo keeps its codes, postal code, population and EPCI."""
    raw, version = read_package(PACKAGE)
    snapshot = build_snapshot(raw, version, date(2026, 1, 1))
    saint_malo = next(c for c in snapshot.communes if c.code == "35288")
    assert saint_malo == CommuneRow(
        code="35288",
        name="Saint-Malo",
        siren="213502883",
        departement="35",
        epci="243500782",
        population=47439,
        postal_codes=["35400"],
        parent="",
        delegated_names=[],
    )
    epci = next(e for e in snapshot.epcis if e.siren == "243500782")
    assert epci.kind == "CA" and epci.population == 86484


def test_build_snapshot_ignores_epci_members_absent_from_communes():
    """Hirel (35132) is a member in the cut EPCI file but not a commune row: no row appears."""
    raw, version = read_package(PACKAGE)
    snapshot = build_snapshot(raw, version, date(2026, 1, 1))
    assert "35132" not in {c.code for c in snapshot.communes}


def test_write_then_read_snapshot_round_trip(tmp_path):
    """What is written is read back identical, and the same data gives the same bytes."""
    raw, version = read_package(PACKAGE)
    snapshot = build_snapshot(raw, version, date(2026, 1, 1))
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    write_snapshot(snapshot, first)
    write_snapshot(snapshot, second)
    assert read_snapshot(first) == snapshot
    assert first.read_bytes() == second.read_bytes()


def test_build_from_tarball_writes_file(package_tarball, tmp_path):
    output = tmp_path / "out" / "cog.json.gz"
    snapshot = build_from(package_tarball, output, built_on=date(2026, 1, 1))
    assert output.is_file()
    assert read_snapshot(output).counts() == snapshot.counts()


def test_read_package_missing_source_explains(tmp_path):
    """A path that does not exist gives a message in French and English."""
    with pytest.raises(ReferentialError, match="n'existe pas.*does not exist"):
        read_package(tmp_path / "nowhere.tgz")


def test_read_package_folder_without_data_explains(tmp_path):
    with pytest.raises(ReferentialError, match="communes.json"):
        read_package(tmp_path)


def test_read_package_invalid_json_explains(package_copy):
    (package_copy / "data" / "epci.json").write_text("{not json")
    with pytest.raises(ReferentialError, match="JSON"):
        read_package(package_copy)


def test_read_package_tarball_missing_file_explains(tmp_path):
    path = tmp_path / "bad.tgz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(PACKAGE / "package.json", arcname="package/package.json")
    with pytest.raises(ReferentialError, match="communes.json"):
        read_package(path)


def test_read_package_not_a_tarball_explains(tmp_path):
    path = tmp_path / "bad.tgz"
    path.write_bytes(b"not a tarball")
    with pytest.raises(ReferentialError, match="archive"):
        read_package(path)


def test_build_snapshot_unexpected_shape_explains():
    raw, version = read_package(PACKAGE)
    raw["regions"] = [{"code": "53"}]  # no "nom"
    with pytest.raises(ReferentialError, match="forme attendue"):
        build_snapshot(raw, version, date(2026, 1, 1))


def test_read_snapshot_other_format_explains(tmp_path):
    path = tmp_path / "old.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"format": 0}).encode()))
    with pytest.raises(ReferentialError, match="format 0"):
        read_snapshot(path)


def test_read_snapshot_corrupt_file_explains(tmp_path):
    path = tmp_path / "broken.json.gz"
    path.write_bytes(b"nope")
    with pytest.raises(ReferentialError, match="pilotis referential update"):
        read_snapshot(path)


def test_shipped_snapshot_is_compact_and_complete():
    """The shipped file stays small and holds the whole 2026 referential."""
    assert SHIPPED_SNAPSHOT.stat().st_size < 1_000_000
    snapshot = read_snapshot()
    counts = snapshot.counts()
    assert counts["communes"] > 34_000
    assert counts["epcis"] >= 1_200
    assert counts["departements"] >= 101
    assert snapshot.source["package"] == "@etalab/decoupage-administratif"
    assert snapshot.source["version"] == "6.0.0"
    arrondissements = [c for c in snapshot.communes if c.parent]
    assert len(arrondissements) == 45
    assert {c.parent for c in arrondissements} == {"13055", "69123", "75056"}
