"""Demo tests build the territory with fewer requests than `pilotis demo` (150,000), and four
months of parking around the tariff change instead of two years: the mechanisms are the same,
and the full size is checked where it matters (seasons, storm, growth:
tests/demo/test_requests_generation.py, which generates the full territory without loading it;
the parking elasticities: tests/demo/test_parking_generation.py, on the arrays of the full
simulation)."""

from datetime import date

import pytest

from pilotis.demo.generators import parking, requests_common

DEMO_TEST_REQUESTS = 12_000
# Around the tariff change of 1 December 2025, which stays inside.
DEMO_TEST_PARKING_WINDOW = (date(2025, 10, 1), date(2026, 1, 31))


@pytest.fixture(autouse=True)
def small_territory(monkeypatch):
    monkeypatch.setattr(requests_common, "TOTAL_REQUESTS", DEMO_TEST_REQUESTS)
    monkeypatch.setattr(parking, "WINDOW", DEMO_TEST_PARKING_WINDOW)
    return DEMO_TEST_REQUESTS
