"""The finance demo generator: real formats, loaded through the connectors, fast."""

from __future__ import annotations

import time

from pilotis.demo.generators import finance as demo
from tests.finance.conftest import TODAY


def test_demo_finances_are_written_and_loaded_fast(territory):
    """Balances for every tenant, the budget XML, the monthly execution and the peers: every
    line loaded or quarantined (the two broken execution lines), in under 10 s."""
    generator = demo.FinanceGenerator(today=TODAY)
    started = time.monotonic()
    summary = generator.load(territory, generator.write(territory))
    seconds = time.monotonic() - started
    assert seconds < 10, summary
    assert len(generator.runs) == 4 + 4
    for run in generator.runs:
        assert run.status == "succeeded", run.error
        assert run.rows_read == run.rows_loaded + run.rows_quarantined
    quarantined = {r.source_name: r.rows_quarantined for r in generator.runs if r.rows_quarantined}
    assert quarantined == {"execution-mensuelle": 2}
