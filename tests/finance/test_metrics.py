"""The finance indicators against figures computed by hand from small files loaded through the
connectors: a 2025 DGFiP balance and the first two months of 2026 from the finance software."""

from __future__ import annotations

from datetime import date

import pytest

from pilotis.finance import nomenclature as nom
from pilotis.metrics.registry import HEADLINES, Query, evaluate, total
from tests.finance import builders
from tests.tenants.factories import TenantFactory


@pytest.fixture
def town(db, warehouse, tmp_path):
    tenant = TenantFactory(code="35998", name="Ville test", siren="213599988", population=1000)
    builders.load(
        tenant,
        "dgfip",
        "dgfip_balance",
        {
            "path": str(builders.write_balance(tmp_path / "b2025.csv", tenant.siren)),
            "siren": tenant.siren,
        },
    )
    builders.load(
        tenant,
        "exec",
        "file",
        {"path": str(builders.write_execution(tmp_path / "exec.csv"))},
        "execution_mensuelle.yaml",
    )
    return tenant


def value(slug: str, codes, start: date, end: date, **kw):
    return total(evaluate(slug, Query(tuple(codes), start, end, **kw)))


YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def test_closed_exercise_figures_match_the_hand_computation(town):
    """DRF 500 000 + 200 000; RRF 900 000 (the 30 000 sale of assets and the 50 000 order
    depreciation left out); savings 200 000 = 22.2 %; staff 500 €/inh.; equipment 300 €/inh.;
    debt 1 200 000 (1688 accrued interest left out) = 1 200 €/inh., 6.0 years of savings."""
    codes = [town.code]
    assert value("finance.real_operating_expenses", codes, *YEAR) == 700000
    assert value("finance.real_operating_revenue", codes, *YEAR) == 900000
    assert value("finance.gross_savings", codes, *YEAR) == 200000
    assert value("finance.savings_rate", codes, *YEAR) == 22.2
    assert value("finance.staff_costs_per_inhabitant", codes, *YEAR) == 500
    assert value("finance.investment_per_inhabitant", codes, *YEAR) == 300
    assert value("finance.outstanding_debt", codes, *YEAR) == 1200000
    assert value("finance.debt_per_inhabitant", codes, *YEAR) == 1200
    assert value("finance.debt_years", codes, *YEAR) == 6.0
    # A balance has no credits: the execution rate of 2025 is unknown, not zero.
    assert value("finance.execution_rate", codes, *YEAR) is None


def test_year_to_date_execution_rate_uses_the_monthly_credits(town):
    """To February: paid 50 000 + 50 000 (staff) + 40 000 (roads) over credits 600 000 +
    400 000 = 14.0 %; to January 50 000 / 1 000 000 = 5.0 %; by section 16.7 % and 10.0 %."""
    codes = [town.code]
    assert value("finance.execution_rate", codes, date(2026, 1, 1), date(2026, 2, 28)) == 14.0
    assert value("finance.execution_rate", codes, date(2026, 1, 1), date(2026, 1, 31)) == 5.0
    result = evaluate(
        "finance.execution_rate",
        Query((town.code,), date(2026, 1, 1), date(2026, 2, 28), by="section"),
    )
    assert {r["key"]: r["value"] for r in result.rows if not r["total"]} == {"F": 16.7, "I": 10.0}


def test_a_rolling_year_takes_its_share_of_each_exercise(town):
    """March 2025 – February 2026: 10/12 of 2025's 700 000 plus 2026's 100 000 of staff."""
    got = value("finance.real_operating_expenses", [town.code], date(2025, 3, 1), date(2026, 2, 28))
    assert got == pytest.approx(700000 * 10 / 12 + 100000, abs=0.01)


def test_breakdowns_and_filters(town):
    by_chapter = evaluate(
        "finance.real_operating_expenses", Query((town.code,), *YEAR, by="chapter")
    )
    assert {r["key"]: r["value"] for r in by_chapter.rows if not r["total"]} == {
        "011": 200000,
        "012": 500000,
    }
    staff_only = evaluate(
        "finance.real_operating_expenses", Query((town.code,), *YEAR, filters={"chapter": ("012",)})
    )
    assert total(staff_only) == 500000
    by_function = evaluate(
        "finance.real_operating_expenses", Query((town.code,), *YEAR, by="function")
    )
    assert {r["key"] for r in by_function.rows if not r["total"]} == {"0"}


def test_several_tenants_add_up_and_divide_by_the_people_they_cover(town, tmp_path):
    other = TenantFactory(code="35997", name="Voisine", siren="213599977", population=3000)
    builders.load(
        other,
        "dgfip",
        "dgfip_balance",
        {
            "path": str(builders.write_balance(tmp_path / "o.csv", other.siren)),
            "siren": other.siren,
        },
    )
    codes = [town.code, other.code]
    assert value("finance.real_operating_expenses", codes, *YEAR) == 1400000
    assert value("finance.staff_costs_per_inhabitant", codes, *YEAR) == 250  # 1 000 000 / 4 000
    rows = evaluate("finance.debt_per_inhabitant", Query(tuple(codes), *YEAR, by="tenant")).rows
    assert {r["key"]: r["value"] for r in rows if not r["total"]} == {
        town.code: 1200,
        other.code: 400,
    }


def test_headlines_have_sensible_periods_and_find_the_last_day(town):
    assert HEADLINES["finance.execution_rate"].period == "year_to_date"
    assert HEADLINES["finance.debt_years"].period == "stock"
    assert HEADLINES["finance.debt_years"].target == 12
    assert HEADLINES["finance.execution_rate"].latest((town.code,)) == date(2026, 2, 28)
    assert HEADLINES["finance.debt_per_inhabitant"].latest((town.code,)) == date(2025, 12, 31)
    assert HEADLINES["finance.execution_rate"].latest(("00000",)) is None


def test_m14_functions_are_read_as_m57_ones(db, warehouse, tmp_path):
    """An M14 balance's function 413 (swimming pools, under sport: heading 4 in M14) counts under
    the M57 culture-and-sport heading 3; 64 (crèches) under 4 (health and social action)."""
    tenant = TenantFactory(code="35996", name="Ancienne", siren="213599966", population=500)
    path = builders.write_balance(
        tmp_path / "m14.csv", tenant.siren, 2023, builders.BALANCE_2023, "M14"
    )
    builders.load(tenant, "dgfip", "dgfip_balance", {"path": str(path), "siren": tenant.siren})
    rows = evaluate(
        "finance.real_operating_expenses",
        Query((tenant.code,), date(2023, 1, 1), date(2023, 12, 31), by="function"),
    ).rows
    assert {r["key"]: r["value"] for r in rows if not r["total"]} == {"3": 100000, "4": 80000}
    assert nom.m57_function("413", "M14") == "323"
    assert nom.m57_function("4131", "M14_COM_SUP3500") == "323"  # longest known prefix
