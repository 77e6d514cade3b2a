"""Loading a snapshot into the tables: complete, idempotent, and telling what changed."""

import json
import time
from datetime import date

from pilotis.referential.load import diff, load, load_snapshot
from pilotis.referential.models import Commune, Departement, Epci, Region
from pilotis.referential.snapshot import build_snapshot, read_package


def _small_snapshot(package):
    raw, version = read_package(package)
    return build_snapshot(raw, version, date(2026, 1, 1))


def test_load_shipped_snapshot_counts(referential):
    """The shipped referential: every current commune, every EPCI, Saint-Malo in its agglo."""
    assert referential["communes"] == Commune.objects.count() > 34_000
    assert referential["epcis"] == Epci.objects.count() >= 1_200
    assert Departement.objects.count() == referential["departements"] >= 101
    assert Region.objects.count() == referential["regions"] >= 18
    saint_malo = Commune.objects.select_related("epci").get(pk="35288")
    assert saint_malo.epci_id == "243500782"
    assert saint_malo.epci.communes.count() == 18
    assert saint_malo.postal_codes == ["35400"]
    assert saint_malo.departement.region.name == "Bretagne"
    assert Commune.objects.get(pk="75101").parent_id == "75056"


def test_load_shipped_snapshot_is_fast_and_idempotent(referential):
    """Loading again changes nothing and takes seconds, not minutes."""
    started = time.monotonic()
    counts = load_snapshot()
    elapsed = time.monotonic() - started
    assert counts == referential
    assert Commune.objects.count() == referential["communes"]
    assert elapsed < 30, f"reloading took {elapsed:.1f} s"


def test_load_small_snapshot_replaces_the_tables(db, small_snapshot_path):
    """Loading a snapshot leaves exactly its rows, whatever the tables held."""
    counts = load_snapshot(small_snapshot_path)
    assert counts == {"regions": 1, "departements": 1, "epcis": 4, "communes": 6}
    assert Commune.objects.get(pk="35004").delegated_names[0] == "Antrain"
    assert Commune.objects.get(pk="35288").epci.name == "CA du Pays de Saint Malo Agglomération"


def test_load_removes_what_the_snapshot_no_longer_has(db, package_copy):
    """A commune merged away disappears; an EPCI left without members too."""
    load(_small_snapshot(package_copy))
    communes = json.loads((package_copy / "data" / "communes.json").read_text())
    communes = [c for c in communes if c["code"] != "35238"]  # Rennes
    (package_copy / "data" / "communes.json").write_text(json.dumps(communes))
    epcis = json.loads((package_copy / "data" / "epci.json").read_text())
    epcis = [e for e in epcis if e["code"] != "243500139"]  # Rennes Métropole
    (package_copy / "data" / "epci.json").write_text(json.dumps(epcis))
    counts = load(_small_snapshot(package_copy))
    assert counts["communes"] == Commune.objects.count() == 5
    assert not Commune.objects.filter(pk="35238").exists()
    assert not Epci.objects.filter(pk="243500139").exists()


def test_diff_reports_added_removed_renamed_updated(db, package_copy):
    """The report of an update: what appears, disappears, is renamed or otherwise changed."""
    load(_small_snapshot(package_copy))
    communes = json.loads((package_copy / "data" / "communes.json").read_text())
    for commune in communes:
        if commune["code"] == "35049":
            commune["nom"] = "Cancale-sur-Mer"
        if commune["code"] == "35288":
            commune["population"] = 50_000
    communes = [c for c in communes if c["code"] != "35116"]
    communes.append({**communes[0], "code": "35999", "nom": "Nouvelle", "siren": "213599999"})
    (package_copy / "data" / "communes.json").write_text(json.dumps(communes))
    changes = diff(_small_snapshot(package_copy))["communes"]
    assert changes.added == [("35999", "Nouvelle")]
    assert changes.removed == [("35116", "La Fresnais")]
    assert changes.renamed == [("35049", "Cancale", "Cancale-sur-Mer")]
    assert changes.updated == ["35288"]
    assert not diff(_small_snapshot(package_copy))["regions"].has_changes
    assert Commune.objects.get(pk="35049").name == "Cancale"  # diff changes nothing
