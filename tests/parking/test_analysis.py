"""The parking analysis against the small town drawn from a known model (tests/parking/conftest):
indicators recomputed independently from the raw frames, the elasticity recovered, the
simulator's arithmetic, the French FPS cap, and the optimiser checked against brute force."""

from __future__ import annotations

import itertools
from datetime import time, timedelta

import numpy as np
import pandas as pd
import pytest

from pilotis.parking import elasticity, indicators, optimise, simulate
from pilotis.parking.data import Tariff, day_type
from tests.parking.conftest import CHANGE, DURATION_ELASTICITY, ELASTICITY, PARIS, START, town

# --- indicators --------------------------------------------------------------------------------


def test_cells_match_the_raw_frames(small_town, town_data):
    cells = town_data.cells
    payments = small_town.payments
    assert cells["sessions"].sum() == len(payments)
    assert cells["revenue"].sum() == pytest.approx(payments["amount"].sum())
    assert cells["fines"].sum() == len(small_town.fines)
    # Paid hours: every paid minute lands in some hour (stays end before midnight here).
    assert cells["paid_hours"].sum() == pytest.approx(payments["paid_minutes"].sum() / 60)
    # Occupancy of one reading, by hand.
    reading = small_town.occupancy.iloc[100]
    local = reading["observed_datetime"].astimezone(PARIS)
    row = cells[
        (cells["zone"] == reading["zone_code"])
        & (cells["day"] == local.date())
        & (cells["hour"] == local.hour)
    ].iloc[0]
    assert row["occupancy"] == pytest.approx(reading["occupied"] / reading["capacity"])


def test_prices_follow_the_grid_in_force(town_data):
    cells = town_data.cells.set_index(["zone", "day", "hour"])
    monday_before = CHANGE - timedelta(days=CHANGE.weekday() + 7)
    monday_after = CHANGE + timedelta(days=7 - CHANGE.weekday())
    assert cells.loc[("A", monday_before, 10), "price"] == 2.0
    assert cells.loc[("A", monday_after, 10), "price"] == 2.5
    assert cells.loc[("A", monday_after, 20), "price"] == 0.0  # after paid hours
    sunday = monday_after + timedelta(days=6)
    assert day_type(sunday) == "sunday"
    assert cells.loc[("A", sunday, 10), "price"] == 0.0
    assert cells.loc[("B", monday_after, 10), "price"] == 1.0


def test_summary_shares_and_rates(small_town, town_data):
    period = indicators.Period(START, START + timedelta(days=139))
    s = indicators.summary(town_data, period)
    cells = town_data.cells
    paid = cells[cells["price"] > 0]
    assert s.occupancy == pytest.approx(paid["occupancy"].mean())
    assert s.saturated == pytest.approx((paid["occupancy"] > 0.85).mean())
    assert s.underused == pytest.approx((paid["occupancy"] < 0.50).mean())
    assert s.mean_duration == pytest.approx(small_town.payments["paid_minutes"].mean())
    assert s.fine_rate == pytest.approx(100 * len(small_town.fines) / len(small_town.payments))
    fines = small_town.fines
    assert s.fine_payment_rate == pytest.approx(fines["paid_amount"].sum() / fines["amount"].sum())


def test_revenue_by_month_adds_up(small_town, town_data):
    period = indicators.Period(START, START + timedelta(days=139))
    frame = indicators.revenue_by_month(town_data, period)
    assert frame["revenue"].sum() == pytest.approx(small_town.payments["amount"].sum())
    starts = pd.to_datetime(small_town.payments["start_datetime"]).dt.tz_convert(PARIS)
    october = small_town.payments[starts.dt.month == 10]["amount"].sum()
    assert frame[frame["month"].map(lambda d: d.month) == 10]["revenue"].sum() == pytest.approx(
        october
    )


# --- elasticity --------------------------------------------------------------------------------


def test_elasticity_is_recovered_where_prices_changed(town_data):
    estimates = elasticity.occupancy_elasticities(town_data)
    a = estimates["hyper_centre"]
    assert a.estimated and a.prices == 2
    assert a.low < ELASTICITY < a.high  # the truth lies in the 95 % interval
    assert a.value == pytest.approx(ELASTICITY, abs=0.06)
    durations = elasticity.duration_elasticities(town_data)["hyper_centre"]
    assert durations.low < DURATION_ELASTICITY < durations.high


def test_no_price_variation_falls_back_to_the_labelled_reference(town_data):
    b = elasticity.occupancy_elasticities(town_data)["periphery"]
    assert b.source == "reference" and b.value == -0.4
    assert (b.low, b.high) == (-0.6, -0.1)
    assert elasticity.duration_elasticities(town_data)["periphery"].source == "assumed"


def test_a_different_truth_gives_a_different_estimate(monkeypatch):
    """The estimate follows the data: a town drawn with −0.6 is not read as −0.3."""
    from tests.parking import conftest

    monkeypatch.setattr(conftest, "ELASTICITY", -0.6)
    data = conftest.data_of(town(seed=11, days=120))
    estimate = elasticity.occupancy_elasticities(data)["hyper_centre"]
    assert estimate.value == pytest.approx(-0.6, abs=0.1)


# --- tariffs and the simulator -----------------------------------------------------------------


def band(rate=2.0, fps=30.0, free=0) -> Tariff:
    steps = tuple((m, round(rate * m / 60, 2)) for m in range(15, 151, 15)) + ((180, fps),)
    return Tariff("A", "weekday", time(9), time(12), steps, free, 180, fps)


def test_tariff_cost_steps_free_minutes_and_fps_cap():
    t = band()
    assert t.cost(10) == 0.5 and t.cost(15) == 0.5 and t.cost(16) == 1.0
    assert t.rate == 2.0
    assert t.cost(170) == 30.0 and t.max_price == 30.0
    free = band(free=30)
    assert free.cost(25) == 0.0 and free.cost(60) == 1.0 and free.rate == 1.0
    assert list(t.hours()) == [9, 10, 11]


def test_arc_elasticity_formula_and_zero_price():
    q0 = pd.Series([0.5, 0.5, 0.5])
    p0 = pd.Series([2.0, 2.0, 2.0])
    p1 = pd.Series([2.0, 3.0, 0.0])
    q1 = simulate._arc(q0, p0, p1, pd.Series([-0.4] * 3))
    assert q1[0] == 0.5
    # (q1 - q0) / mean(q) = -0.4 × (1 / 2.5)
    assert (q1[1] - 0.5) / ((q1[1] + 0.5) / 2) == pytest.approx(-0.4 * 1 / 2.5)
    assert q1[2] == pytest.approx(0.5 * 2.8 / 1.2)  # free: finite, larger


def test_fps_above_the_price_of_the_maximum_stay_is_refused(town_data):
    base = simulate.baseline(town_data)
    policy = simulate.Policy((simulate.Change("fps", 50.0, kinds=("hyper_centre",)),))
    with pytest.raises(simulate.PolicyError) as refused:
        simulate.predict(base, policy)
    message = str(refused.value)
    assert "durée maximale" in message and "50,00" in message and "30,00" in message


def test_no_change_predicts_today(town_data):
    base = simulate.baseline(town_data)
    today = simulate.predict(base)
    t = today.totals
    assert t["revenue_predicted"] == pytest.approx(t["revenue_today"])
    assert t["occupancy_predicted"] == pytest.approx(t["occupancy_today"])
    # Today's yearly revenue is the observed revenue of the baseline year.
    assert t["revenue_today"] == pytest.approx(town_data.cells["revenue"].sum())


def test_price_rise_lowers_occupancy_raises_revenue_when_inelastic(town_data):
    base = simulate.baseline(town_data)
    today = simulate.predict(base)
    policy = simulate.Policy((simulate.Change("add_rate", 0.5, kinds=("hyper_centre",)),))
    after = simulate.predict(base, policy)
    a_today = today.zones.set_index("zone").loc["A"]
    a_after = after.zones.set_index("zone").loc["A"]
    assert a_after["occupancy_predicted"] < a_today["occupancy_today"]
    assert a_after["revenue_predicted"] > a_today["revenue_today"]
    b_after = after.zones.set_index("zone").loc["B"]
    assert b_after["occupancy_predicted"] == pytest.approx(b_after["occupancy_today"])
    # The occupancy change of a cell is the arc elasticity's.
    cells = after.cells[(after.cells["zone"] == "A") & (after.cells["price_today"] > 0)]
    row = cells.iloc[0]
    eps = base.occupancy_elasticity["hyper_centre"].value
    r = (row["price"] - row["price_today"]) / ((row["price"] + row["price_today"]) / 2)
    s = (row["occupancy_predicted"] - row["occupancy_today"]) / (
        (row["occupancy_predicted"] + row["occupancy_today"]) / 2
    )
    assert s == pytest.approx(eps * r)


def test_evening_free_and_free_minutes(town_data):
    base = simulate.baseline(town_data)
    evening = simulate.predict(base, simulate.Policy((simulate.Change("free_from", 17),)))
    late = evening.cells[(evening.cells["hour"] >= 17) & (evening.cells["price_today"] > 0)]
    assert len(late) and (late["price"] == 0).all()
    assert (late["occupancy_predicted"] > late["occupancy_today"]).all()
    assert (late["revenue_predicted"] == 0).all() and (late["fines_predicted"] == 0).all()
    early = evening.cells[(evening.cells["hour"] < 17) & (evening.cells["price_today"] > 0)]
    assert (early["price"] == early["price_today"]).all()
    free = simulate.predict(
        base, simulate.Policy((simulate.Change("free_minutes", 30, kinds=("hyper_centre",)),))
    )
    a = free.cells[(free.cells["zone"] == "A") & (free.cells["price_today"] > 0)]
    assert (a["price"] == a["price_today"] / 2).all()  # 30 free minutes halve one hour's price
    assert free.totals["revenue_predicted"] < free.totals["revenue_today"]


# --- the optimiser -----------------------------------------------------------------------------


def test_optimiser_group_model_agrees_with_the_simulator(town_data):
    base = simulate.baseline(town_data)
    group = optimise.groups(base)[0]
    index, bands = optimise._band_cells(base, group)
    model = optimise._GroupModel(base, index, bands)
    for price in (0.0, 1.3, group.rate, 3.4):
        hours_outside, income = model.outcome(price)
        full = optimise.evaluate(base, {(group.zone, group.start): price})
        rows = full.cells.loc[index]
        assert hours_outside == pytest.approx(
            optimise.outside(rows["occupancy_predicted"], rows["days"])
        )
        assert income == pytest.approx(
            ((rows["revenue_predicted"] + rows["fps_predicted"]) * rows["days"]).sum()
        )


def test_optimiser_is_exact_against_brute_force(town_data):
    """On a coarse grid of prices (0.50 € steps up to 3 €), every combination of three bands
    (two zones) is tried, the other bands kept at today's price."""
    base = simulate.baseline(town_data)
    found = optimise.groups(base)[1:4]
    fixed = {(g.zone, g.start): g.rate for g in optimise.groups(base) if g not in found}
    step, ceiling = 0.5, 2.5
    proposal = optimise.optimise(base, floor=0.95, step=step, ceiling=ceiling, fixed=fixed)
    assert proposal.feasible
    floor = 0.95 * simulate.predict(base).totals["income_today"]
    best = None
    choices = [optimise.candidates(g, step, ceiling) for g in found]
    for prices in itertools.product(*choices):
        rates = dict(fixed)
        rates.update({(g.zone, g.start): p for g, p in zip(found, prices, strict=True)})
        cost, income = optimise.objective(base, rates)
        if income >= floor - 1e-6 and (best is None or cost < best[0] - 1e-9):
            best = (cost, rates)
    assert best is not None
    cost, income = optimise.objective(base, proposal.rates)
    assert income >= floor - 1e-6
    assert cost == pytest.approx(best[0], abs=1e-6)


def test_optimiser_improves_the_target_band_and_keeps_the_floor(town_data):
    base = simulate.baseline(town_data)
    proposal = optimise.optimise(base)
    t = proposal.prediction.totals
    assert proposal.feasible
    assert t["in_target_predicted"] >= t["in_target_today"]
    assert t["income_predicted"] >= 0.95 * t["income_today"] - 1e-6
    assert all(round(p * 10, 6) == int(round(p * 10)) for p in proposal.rates.values())


def test_impossible_floor_keeps_today_and_says_so(town_data):
    base = simulate.baseline(town_data)
    proposal = optimise.optimise(base, floor=50.0)
    assert not proposal.feasible
    assert proposal.rates == {(g.zone, g.start): g.rate for g in proposal.groups}


def test_sfpark_rule_steps(town_data):
    base = simulate.baseline(town_data)
    rates = optimise.sfpark_rule(base)
    for group in optimise.groups(base):
        rows = base.cells.loc[optimise._band_cells(base, group)[0]]
        occupancy = np.average(rows["occupancy"], weights=rows["days"])
        expected = group.rate + (
            0.25
            if occupancy >= 0.8
            else 0
            if occupancy >= 0.6
            else -0.25
            if occupancy >= 0.3
            else -0.5
        )
        assert rates[(group.zone, group.start)] == pytest.approx(max(0, expected))


def test_month_effects_only_when_a_month_was_seen_at_two_prices(town_data):
    """The change falls on 10 November: November alone is seen at both prices. Without it, the
    months before and after would stand for the price, so no month effect is fitted — and the
    estimate says so."""
    kinds = town_data.cells["zone"].map({"A": "hyper_centre", "B": "periphery"})
    a = town_data.cells[kinds == "hyper_centre"]
    assert elasticity.estimate(a, "hyper_centre", "occupancy").seasons
    without_november = a[a["month"] != 11]
    found = elasticity.estimate(without_november, "hyper_centre", "occupancy")
    assert found.estimated and not found.seasons
