"""The tariff optimiser, and SFpark's simple rule to compare it with.

Choose one one-hour price per zone and band, among allowed steps (multiples of `step` up to
`ceiling`), so that predicted occupancy falls in the target band (default 60–80 %) as often as
possible, while the year's income (payments + post-parking fines) stays above a floor (default
95 % of today). The cost of a choice is the number of yearly paid hours its band spends outside
the target (an hour at 90 % counts 0.10 / 0.20 — its distance to the band, over the band's
width), plus a tiny penalty per euro of change so that, between equal choices, the smaller change
wins. Zones and bands interact only through the income floor: a multiple-choice knapsack, solved
exactly as an integer programme (scipy's HiGHS `milp`).

SFpark's rule, as applied in San Francisco at most once a month per block and hour: mean
occupancy ≥ 80 % → +0.25 $/h; 60–80 % → unchanged; 30–60 % → −0.25; < 30 % → −0.50.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from pilotis.parking.data import Tariff
from pilotis.parking.simulate import (
    TARGET,
    Baseline,
    Prediction,
    _cost,
    _price_map,
    _scaled,
    _value,
    predict,
)

STEP = 0.10
MAX_INCREASE = 1.00  # € per hour above today's price, at most, unless a ceiling is given
FLOOR = 0.95
CHANGE_PENALTY = 1e-3  # per euro of change, per group: only breaks ties


@dataclass(frozen=True)
class Group:
    """A zone's band, priced as one (its weekday and Saturday grids move together)."""

    zone: str
    start: int  # band start hour
    end: int
    rate: float  # today's one-hour price


@dataclass
class Proposal:
    rates: dict[tuple[str, int], float]  # (zone, band start) → one-hour price
    prediction: Prediction
    feasible: bool  # False when no set of prices reaches the floor: today's prices are kept
    groups: list[Group]
    floor: float


def groups(base: Baseline) -> list[Group]:
    seen: dict[tuple[str, int], Group] = {}
    for tariff in base.grids:
        if tariff.rate <= 0 and not tariff.steps:
            continue
        key = (tariff.zone, tariff.start.hour)
        if key not in seen:
            end = 24 if tariff.end.hour == 0 else tariff.end.hour
            seen[key] = Group(tariff.zone, tariff.start.hour, end, tariff.rate)
    return sorted(seen.values(), key=lambda g: (g.zone, g.start))


def with_rates(grids: list[Tariff], rates: dict[tuple[str, int], float]) -> list[Tariff]:
    out = []
    for tariff in grids:
        rate = rates.get((tariff.zone, tariff.start.hour))
        out.append(
            tariff if rate is None or abs(rate - tariff.rate) < 1e-9 else _scaled(tariff, rate)
        )
    return out


def _band_cells(base: Baseline, group: Group) -> tuple[pd.Index, list[Tariff]]:
    """The baseline cells priced by the group's band today, and those bands."""
    _prices, bands = _price_map(base.grids, base.cells)
    chosen = [
        (i, b)
        for i, b in zip(base.cells.index, bands, strict=True)
        if b is not None and b.zone == group.zone and b.start.hour == group.start
    ]
    return pd.Index([i for i, _b in chosen]), [b for _i, b in chosen]


class _GroupModel:
    """The group's cells as numpy arrays, to price many candidates fast with the formulas of
    `simulate.predict_rows` (tests check both give the same figures)."""

    def __init__(self, base: Baseline, index: pd.Index, bands: list[Tariff]) -> None:
        rows = base.cells.loc[index]
        kinds = {code: z.kind for code, z in base.data.zones.items()}
        self.bands = bands
        self.q0 = rows["occupancy"].to_numpy(float)
        self.d0 = rows["duration"].to_numpy(float)
        self.p0 = np.array([b.rate for b in bands])
        kind = [kinds.get(z) or "unknown" for z in rows["zone"]]
        self.eq = np.array([_value(base.occupancy_elasticity, k, "occupancy") for k in kind])
        self.ed = np.array([_value(base.duration_elasticity, k, "duration") for k in kind])
        self.capacity = rows["capacity"].to_numpy(float)
        self.paid = (1 - rows["unpaid_share"]).clip(0, 1).to_numpy(float)
        self.revenue = rows["revenue"].to_numpy(float)
        self.fines = rows["fines"].to_numpy(float)
        self.fines_amount = rows["fines_amount"].to_numpy(float)
        self.days = rows["days"].to_numpy(float)
        self.calibration = rows["zone"].map(base.calibration).fillna(1.0).to_numpy(float)
        self.fine_rate = base.fine_payment_rate
        self.rev0 = self._modelled(self.q0, self.d0, bands)

    def _modelled(self, q: np.ndarray, d: np.ndarray, bands: list[Tariff]) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            sessions = q * self.capacity * self.paid * 60 / d
        costs = np.array([_cost(b, x) for b, x in zip(bands, d, strict=True)])
        return np.nan_to_num(sessions * costs)

    def outcome(self, price: float, target: tuple[float, float] = TARGET) -> tuple[float, float]:
        moved = [b if abs(price - b.rate) < 1e-9 else _scaled(b, price) for b in self.bands]
        p1 = np.array([b.rate for b in moved])
        q1 = np.minimum(_arc_np(self.q0, self.p0, p1, self.eq), 1.0)
        d1 = _arc_np(self.d0, self.p0, p1, self.ed)
        rev1 = self._modelled(q1, d1, moved)
        with np.errstate(divide="ignore", invalid="ignore"):
            revenue = np.where(
                self.rev0 > 0,
                self.revenue * rev1 / np.where(self.rev0 > 0, self.rev0, 1),
                rev1 * self.calibration,
            )
            ratio = np.where(self.q0 > 0, q1 / self.q0, 1.0)
            mean_fine = np.where(self.fines > 0, self.fines_amount / self.fines, 0.0)
        fines1 = np.where(p1 > 0, self.fines * ratio, 0.0)
        fps = fines1 * mean_fine * self.fine_rate
        income = float(((revenue + fps) * self.days).sum())
        return outside(pd.Series(q1), pd.Series(self.days), target), income


def _arc_np(q0: np.ndarray, p0: np.ndarray, p1: np.ndarray, eps: np.ndarray) -> np.ndarray:
    mean_p = (p0 + p1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(mean_p > 0, (p1 - p0) / np.where(mean_p > 0, mean_p, 1), 0.0)
    s = np.clip(eps * r, -1.9, 1.9)
    return q0 * (2 + s) / (2 - s)


def candidates(group: Group, step: float = STEP, ceiling: float | None = None) -> list[float]:
    top = ceiling if ceiling is not None else group.rate + MAX_INCREASE
    n = int(round(top / step))
    prices = [round(k * step, 2) for k in range(n + 1)]
    if round(group.rate, 2) not in prices:
        prices.append(round(group.rate, 2))
    return sorted(prices)


def outside(occupancy: pd.Series, weight: pd.Series, target: tuple[float, float] = TARGET) -> float:
    low, high = target
    width = high - low
    distance = np.maximum(0, low - occupancy) + np.maximum(0, occupancy - high)
    return float((np.minimum(distance / width, 1.0) * weight).sum())


def evaluate(base: Baseline, rates: dict[tuple[str, int], float]) -> Prediction:
    return predict(base, grids=with_rates(base.grids, rates))


def optimise(
    base: Baseline,
    floor: float = FLOOR,
    step: float = STEP,
    ceiling: float | None = None,
    fixed: dict[tuple[str, int], float] | None = None,
) -> Proposal:
    """The exact optimum (see the module docstring), for the baseline's target band."""
    target = base.target
    found = groups(base)
    fixed = fixed or {}
    today = predict(base)
    target_income = floor * today.totals["income_today"]
    costs: list[float] = []
    incomes: list[float] = []
    owner: list[int] = []
    options: list[tuple[Group, float]] = []
    # Each group's contribution is independent of the others' prices: evaluate it alone.
    base_income = today.totals["income_today"]
    for g_index, group in enumerate(found):
        index, bands = _band_cells(base, group)
        key = (group.zone, group.start)
        choices = [fixed[key]] if key in fixed else candidates(group, step, ceiling)
        model = _GroupModel(base, index, bands)
        _same, today_income = model.outcome(group.rate, target)
        days = float(model.days.sum())
        for price in choices:
            hours_outside, income = model.outcome(price, target)
            costs.append(hours_outside + CHANGE_PENALTY * abs(price - group.rate) * days)
            incomes.append(income - today_income)  # the change this choice brings
            owner.append(g_index)
            options.append((group, price))
    if not options:
        return Proposal({}, today, False, found, floor)
    n = len(options)
    assign = np.zeros((len(found), n))
    for j, g in enumerate(owner):
        assign[g, j] = 1
    constraints = [
        LinearConstraint(assign, lb=np.ones(len(found)), ub=np.ones(len(found))),
        LinearConstraint(np.array([incomes]), lb=[target_income - base_income], ub=[np.inf]),
    ]
    result = milp(
        c=np.array(costs),
        constraints=constraints,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    if not result.success:
        rates = {(g.zone, g.start): g.rate for g in found}
        return Proposal(rates, today, False, found, floor)
    chosen = [options[j] for j in range(n) if result.x[j] > 0.5]
    rates = {(g.zone, g.start): price for g, price in chosen}
    return Proposal(rates, evaluate(base, rates), True, found, floor)


def objective(base: Baseline, rates: dict[tuple[str, int], float]) -> tuple[float, float]:
    """(cost, yearly income) of a full set of prices, as the optimiser counts them — tests
    compare the optimum with brute force through this, on the whole prediction."""
    prediction = evaluate(base, rates)
    cost = 0.0
    for group in groups(base):
        index, _bands = _band_cells(base, group)
        rows = prediction.cells.loc[index]
        price = rates.get((group.zone, group.start), group.rate)
        cost += outside(rows["occupancy_predicted"], rows["days"], base.target)
        cost += CHANGE_PENALTY * abs(price - group.rate) * rows["days"].sum()
    return cost, prediction.totals["income_predicted"]


def sfpark_rule(base: Baseline) -> dict[tuple[str, int], float]:
    """One application of SFpark's rule to each zone's band, from today's mean occupancy."""
    rates = {}
    for group in groups(base):
        rows = base.cells.loc[_band_cells(base, group)[0]]
        if rows.empty or rows["days"].sum() == 0:
            continue
        occupancy = float(np.average(rows["occupancy"], weights=rows["days"]))
        if occupancy >= 0.80:
            delta = 0.25
        elif occupancy >= 0.60:
            delta = 0.0
        elif occupancy >= 0.30:
            delta = -0.25
        else:
            delta = -0.50
        rates[(group.zone, group.start)] = round(max(0.0, group.rate + delta), 2)
    return rates
