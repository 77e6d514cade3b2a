"""End to end: a real load through the connectors' pipeline fills the catalog, and a rollback
checks the table again."""

import pyarrow as pa

from pilotis.catalog.models import CheckName, Dataset, QualityCheck, Sensitivity
from pilotis.connectors import pipeline
from pilotis.connectors.kinds import SOURCE_ROW, RawInput
from pilotis.connectors.mapping import Mapping

MAPPING = """
table: requests
fields:
  service_request_id: id
  status: {column: etat, values: {Clôturée: closed, En cours: open}}
  requested_datetime: {column: date, format: "%d/%m/%Y"}
  category: theme
"""
COLUMNS = ["id", "etat", "date", "theme"]
ROWS = [
    ["A1", "Clôturée", "03/01/2026", "voirie"],
    ["A2", "En cours", "04/01/2026", "proprete"],
    ["A3", "En cours", "05/01/2026", "jardins"],  # unknown theme: quarantined
    ["A1", "Clôturée", "03/01/2026", "voirie"],  # duplicate of A1
]


def _raw(rows):
    def batches():
        data = {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(COLUMNS)}
        data[SOURCE_ROW] = pa.array(range(1, len(rows) + 1), pa.int64())
        yield pa.RecordBatch.from_pydict(data)

    return RawInput(columns=list(COLUMNS), batches=batches)


def test_a_load_creates_the_entry_and_its_checks(tenant):
    run = pipeline.start_run(
        tenant, Mapping.from_yaml(MAPPING), kind="inline", config={}, source_name="gru"
    )
    pipeline.execute(run, raw=_raw(ROWS))
    run.refresh_from_db()

    dataset = Dataset.objects.get(tenant=tenant, name="requests")
    assert dataset.sensitivity == Sensitivity.PERSONAL
    assert dataset.last_loaded_at == run.finished_at
    checks = {c.name: c for c in QualityCheck.objects.filter(dataset=dataset, load_id=run.load_id)}
    assert set(checks) == set(CheckName.values)
    assert checks[CheckName.FRESHNESS].passed
    # The pipeline kept bad rows out: what reached the warehouse passes the checks.
    assert checks[CheckName.ROW_COUNT].value == run.rows_loaded > 0
    assert checks[CheckName.UNIQUE_KEY].passed
    assert checks[CheckName.CODE_LISTS].passed

    undo = pipeline.rollback(run)
    row_count = QualityCheck.objects.get(
        dataset=dataset, load_id=undo.load_id, name=CheckName.ROW_COUNT
    )
    assert not row_count.passed  # the table is empty again
    assert row_count.value == 0
