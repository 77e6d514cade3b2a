"""Data traps are flagged, not silently kept: a request closed before it was requested, or
closed within a minute (a duplicate closed on arrival), is loaded with `data_flags`; a request
without an id gets a stable one from its row when the mapping says `fallback: row_hash`."""

import duckdb
import pytest

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping, MappingError
from pilotis.warehouse import storage
from tests.connectors.test_pipeline import raw_input

MAPPING = """
table: requests
fields:
  service_request_id: {column: id, fallback: row_hash}
  status: {column: state, values: {done: closed, new: open}}
  requested_datetime: {column: opened, format: "%Y-%m-%d %H:%M:%S"}
  closed_datetime: {column: closed, format: "%Y-%m-%d %H:%M:%S"}
  description: text
"""
COLUMNS = ["id", "state", "opened", "closed", "text"]
ROWS = [
    ["R1", "done", "2026-03-02 10:00:00", "2026-03-04 09:00:00", "normal"],
    ["R2", "done", "2026-03-02 10:00:00", "2026-03-01 09:00:00", "closed the day before"],
    ["R3", "done", "2026-03-02 10:00:00", "2026-03-02 10:00:20", "duplicate closed at once"],
    ["R4", "new", "2026-03-02 10:00:00", "", "still open"],
    ["", "new", "2026-03-03 11:00:00", "", "no id given"],
    ["", "new", "2026-03-03 12:00:00", "", "another without id"],
]


def load(tenant, rows, mapping):
    run = pipeline.start_run(
        tenant, Mapping.from_yaml(mapping), kind="inline", config={}, source_name="app"
    )
    pipeline.execute(run, raw=raw_input(rows, COLUMNS))
    run.refresh_from_db()
    return run, None


def stored(code):
    con = duckdb.connect()
    storage.register(con, "r", code, "requests")
    return {
        row[0]: row[1:]
        for row in con.sql("SELECT service_request_id, data_flags, description FROM r").fetchall()
    }


@pytest.mark.django_db
def test_traps_are_flagged_and_rows_without_id_get_a_stable_one(commune, warehouse):
    run, _ = load(commune, ROWS, MAPPING)
    rows = stored(commune.code)
    assert run.rows_loaded == 6 and run.rows_quarantined == 0
    assert rows["R1"][0] is None and rows["R4"][0] is None
    assert rows["R2"][0] == "closed_before_requested"
    assert rows["R3"][0] == "closed_instantly"
    generated = sorted(k for k in rows if k.startswith("h-"))
    assert len(generated) == 2
    # Loading the same rows again finds the same keys: nothing new, nothing duplicated.
    again, _ = load(commune, ROWS, MAPPING)
    assert again.rows_inserted == 0 and again.rows_updated == 0
    assert sorted(k for k in stored(commune.code) if k.startswith("h-")) == generated


@pytest.mark.django_db
def test_a_computed_field_cannot_be_mapped():
    with pytest.raises(MappingError) as error:
        Mapping.from_yaml(MAPPING + "  data_flags: text\n")
    assert "data_flags" in str(error.value)


@pytest.mark.django_db
def test_only_the_row_hash_fallback_exists():
    with pytest.raises(MappingError):
        Mapping.from_yaml(MAPPING.replace("fallback: row_hash", "fallback: random"))
