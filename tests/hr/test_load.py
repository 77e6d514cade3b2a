"""The payroll exports go through the real connectors: every line is loaded or quarantined, and
neither the payroll number (matricule) nor the name reaches the warehouse."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from pilotis.catalog.models import Dataset, Sensitivity
from pilotis.connectors.pseudonymise import pseudonym
from pilotis.warehouse import storage


def test_loads_read_equals_loaded_plus_quarantined(small_staff):
    """Rows read = loaded + quarantined; the two broken payroll lines are quarantined."""
    _tenant, runs = small_staff
    for run in runs.values():
        assert run.status == "succeeded", run.error
        assert run.rows_read == run.rows_loaded + run.rows_quarantined
    positions = runs["hr_positions"]
    assert (positions.rows_read, positions.rows_loaded, positions.rows_quarantined) == (18, 16, 2)
    assert runs["hr_absences"].rows_loaded == 3


def test_agents_are_pseudonymous_in_the_warehouse(small_staff, warehouse):
    """agent_id is the keyed pseudonym of the matricule; no matricule or name is stored
    anywhere under the warehouse, quarantine included."""
    tenant, _runs = small_staff
    con = duckdb.connect()
    storage.register(con, "p", tenant.code, "hr_positions")
    ids = {row[0] for row in con.sql("SELECT DISTINCT agent_id FROM p").fetchall()}
    assert pseudonym("M001", tenant.code) in ids
    assert len(ids) == 9 and all(i.startswith("p-") and len(i) == 18 for i in ids)
    texts = []
    for path in warehouse.rglob("*"):
        if path.suffix == ".parquet":
            texts.append(str(pq.read_table(path).to_pylist()))
        elif path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    blob = "\n".join(texts)
    assert "p-" in blob and "Fin de contrat" not in blob  # the data is there, mapped
    for secret in ("M001", "M010", "M011", "LE GALL", "BRÉHIER", "DURAND", "SIMON", "Loïc"):
        assert secret not in blob, secret


def test_pseudonyms_differ_between_tenants():
    """The key is per tenant: the same matricule gives two unrelated pseudonyms."""
    assert pseudonym("M001", "35288") != pseudonym("M001", "35049")
    assert pseudonym(pseudonym("M001", "35288"), "35288") == pseudonym("M001", "35288")


def test_catalog_marks_hr_tables_as_personal(small_staff):
    """The catalog entries of the HR tables say they hold (pseudonymised) personal data."""
    tenant, _runs = small_staff
    for table in ("hr_positions", "hr_absences", "hr_training", "hr_movements"):
        dataset = Dataset.objects.get(tenant=tenant, name=table)
        assert dataset.sensitivity == Sensitivity.PERSONAL
        assert dataset.processing_record is not None
