"""End to end: a real load through the connectors' pipeline fills the catalog, and a rollback
checks the table again."""

from pilotis.catalog.models import CheckName, Dataset, QualityCheck, Sensitivity
from pilotis.connectors import pipeline
from tests.connectors.conftest import commune  # noqa: F401 - a fixture
from tests.connectors.test_pipeline import BAD, GOOD, load
from tests.referential.conftest import small_snapshot_path  # noqa: F401 - a fixture


def test_a_load_creates_the_entry_and_its_checks(commune):  # noqa: F811 - the fixture
    run, _ = load(commune, GOOD + BAD)

    dataset = Dataset.objects.get(tenant=commune, name="requests")
    assert dataset.sensitivity == Sensitivity.PERSONAL
    assert dataset.last_loaded_at == run.finished_at
    checks = {c.name: c for c in QualityCheck.objects.filter(dataset=dataset, load_id=run.load_id)}
    assert set(checks) == set(CheckName.values)
    assert checks[CheckName.FRESHNESS].passed
    # The pipeline quarantined the bad rows: what reached the warehouse is clean.
    assert checks[CheckName.ROW_COUNT].value == run.rows_loaded
    assert checks[CheckName.UNIQUE_KEY].passed
    assert checks[CheckName.CODE_LISTS].passed

    undo = pipeline.rollback(run)
    rolled = QualityCheck.objects.filter(dataset=dataset, load_id=undo.load_id)
    row_count = rolled.get(name=CheckName.ROW_COUNT)
    assert not row_count.passed  # the table is empty again
    assert row_count.value == 0
