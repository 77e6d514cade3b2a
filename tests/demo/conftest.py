"""Demo tests build the territory with fewer requests than `pilotis demo` (150,000): the
mechanisms are the same, and the full size is checked where it matters (seasons, storm, growth:
tests/demo/test_requests_generation.py, which generates the full territory without loading it)."""

import pytest

from pilotis.demo.generators import requests_common

DEMO_TEST_REQUESTS = 12_000


@pytest.fixture(autouse=True)
def small_territory(monkeypatch):
    monkeypatch.setattr(requests_common, "TOTAL_REQUESTS", DEMO_TEST_REQUESTS)
    return DEMO_TEST_REQUESTS
