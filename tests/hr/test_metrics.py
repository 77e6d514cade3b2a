"""The HR indicators through the registry, on the small staff of conftest.py, against figures
computed by hand (January–February 2025: 8 agents each month; 22 and 20 working days)."""

from __future__ import annotations

from datetime import date

import pytest

from pilotis.metrics.periods import anchor
from pilotis.metrics.registry import HEADLINES, MetricError, Query, evaluate, total
from tests.hr.conftest import load_hr
from tests.tenants.factories import TenantFactory

JAN, FEB_END = date(2025, 1, 1), date(2025, 2, 28)


def value(slug, codes=("35288",), start=JAN, end=FEB_END, **kwargs):
    return total(evaluate(slug, Query(codes, start, end, **kwargs)))


def rows(slug, by, codes=("35288",), start=JAN, end=FEB_END):
    result = evaluate(slug, Query(codes, start, end, by=by))
    return {row["key"]: row for row in result.rows if not row["total"]}


def test_stock_figures_at_the_end_of_the_period(small_staff):
    """February: M001–M007 and M009 are paid, M006 at 80 %: 8 agents, 7.8 FTE; in January
    M008 was still there (8 agents, 7.8 FTE too)."""
    assert value("hr.headcount") == 8
    assert value("hr.fte") == pytest.approx(7.8)
    assert value("hr.headcount", end=date(2025, 1, 31)) == 8
    # A period ending mid-March reads the last snapshot, February.
    assert value("hr.headcount", end=date(2025, 3, 15)) == 8


def test_absence_figures_by_hand(small_staff):
    """19 absence days (5 + 4 + 10) ÷ 8 agents = 2.375 days each; ÷ (8 × 22 + 8 × 20 = 336)
    theoretical working days = 5.65 %."""
    assert value("hr.absence_days") == pytest.approx(19)
    assert value("hr.absence_days_per_agent") == pytest.approx(2.375, abs=0.01)
    assert value("hr.absence_rate") == pytest.approx(19 / 336, abs=1e-4)


def test_an_absence_across_two_months_is_shared_by_its_calendar_days(small_staff):
    """M002's 4 days from 30 January to 4 February: 2 of its 6 calendar days in January."""
    by_month = rows("hr.absence_days", "month")
    assert by_month["2025-01"]["value"] == pytest.approx(5 + 4 * 2 / 6, abs=0.01)
    assert by_month["2025-02"]["value"] == pytest.approx(10 + 4 * 4 / 6, abs=0.01)
    by_reason = rows("hr.absence_days", "reason")
    assert by_reason["ordinary_sickness"]["value"] == pytest.approx(9)
    assert by_reason["work_accident"]["value"] == pytest.approx(10)


def test_turnover_and_training(small_staff):
    """One arrival and one departure: (1 + 1) ÷ 2 ÷ 8 = 12.5 %; (2 + 1.5) training days ÷ 8."""
    assert value("hr.turnover") == pytest.approx(0.125)
    assert value("hr.arrivals") == 1 and value("hr.departures") == 1
    assert value("hr.training_days_per_agent") == pytest.approx(0.4375, abs=0.01)


def test_groups_under_five_agents_are_withheld(small_staff):
    """TECH (7 agents) is shown; CULT (2 agents) is not, in any indicator."""
    heads = rows("hr.headcount", "service")
    assert heads["TECH"]["value"] == 7 and heads["TECH"]["name"] == "Services techniques"
    assert heads["CULT"]["value"] is None and heads["CULT"]["suppressed"] is True
    rate = rows("hr.absence_rate", "service")
    assert rate["TECH"]["value"] == pytest.approx(9 / (6 * 22 + 7 * 20), abs=1e-4)
    assert rate["CULT"]["value"] is None and rate["CULT"]["suppressed"]
    # Filtering down to one small group withholds the total too.
    assert value("hr.absence_days", filters={"service": ("CULT",)}) is None
    assert value("hr.headcount", filters={"category": ("A",)}) is None


def test_several_tenants_add_up(small_staff, tmp_path):
    """An intercommunality reads its members together: twice the staff, the same rates."""
    other = TenantFactory(code="35049", name="Cancale")
    (tmp_path / "cancale").mkdir()
    load_hr(other, tmp_path / "cancale")
    codes = ("35288", "35049")
    assert value("hr.headcount", codes) == 16
    assert value("hr.fte", codes) == pytest.approx(15.6)
    assert value("hr.absence_rate", codes) == pytest.approx(19 / 336, abs=1e-4)
    assert value("hr.turnover", codes) == pytest.approx(0.125)


def test_unknown_filter_is_refused(small_staff):
    with pytest.raises(MetricError):
        value("hr.headcount", filters={"zone": ("A",)})


def test_headlines_anchor_on_the_last_payroll_month(small_staff):
    """The headlines know the last month with data (February 2025)."""
    for slug in ("hr.headcount", "hr.absence_rate", "hr.turnover", "hr.training_days_per_agent"):
        latest = HEADLINES[slug].latest(("35288",))
        assert latest == date(2025, 2, 28)
        assert anchor(latest, date(2025, 4, 2)) == date(2025, 2, 28)
    assert HEADLINES["hr.headcount"].latest(("99999",)) is None
