"""What-if: a tariff policy's predicted occupancy, turnover and revenue by zone and hour, against
today.

*Today* is the last 365 days of data under the grids in force on the last day: for each zone,
day type and hour, the mean occupancy, the sessions starting, their mean paid duration, the
revenue and the fines. A policy changes the grids; each cell's one-hour price moves from p0 to
p1 and the elasticities (estimated, or the labelled reference) move occupancy and duration with
the midpoint (arc) formula — (q1 − q0) / mean(q0, q1) = ε (p1 − p0) / mean(p0, p1) — which, unlike
a constant-elasticity curve, stays finite when a price falls to zero ("evening free"). Occupancy
is capped at 100 %: the demand above it is reported, not served.

Revenue: sessions × the cost of the mean stay in the grid, calibrated per zone so that today's
model gives today's observed revenue. Post-parking fines (FPS) follow the unpaid occupied hours
(occupancy × the share left unpaid today), times the FPS amount and today's payment rate of
fines. The French rule caps the FPS at the price of the maximum stay: a policy breaking it is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any

import numpy as np
import pandas as pd
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from pilotis.errors import PilotisError
from pilotis.parking import elasticity
from pilotis.parking.data import Data, Tariff, last_year, tariffs_on

TARGET = (0.60, 0.80)  # the occupancy band SFpark aimed at
SATURATED, UNDERUSED = 0.85, 0.50


class PolicyError(PilotisError):
    """A policy that cannot apply (an FPS above the price of the maximum stay, a bad value)."""


@dataclass(frozen=True)
class Change:
    """One edit of the grids. `zones` and `kinds` select (empty: every zone); `bands` selects
    the bands by their start hour (empty: every band)."""

    action: str  # "set_rate", "add_rate", "free_minutes", "free_from", "fps"
    value: float
    zones: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    bands: tuple[int, ...] = ()


@dataclass(frozen=True)
class Policy:
    changes: tuple[Change, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "changes": [
                {
                    "action": c.action,
                    "value": c.value,
                    "zones": list(c.zones),
                    "kinds": list(c.kinds),
                    "bands": list(c.bands),
                }
                for c in self.changes
            ]
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        return cls(
            tuple(
                Change(
                    str(c["action"]),
                    float(c["value"]),
                    tuple(c.get("zones", ())),
                    tuple(c.get("kinds", ())),
                    tuple(int(b) for b in c.get("bands", ())),
                )
                for c in data.get("changes", [])
            )
        )


@dataclass
class Baseline:
    data: Data
    cells: pd.DataFrame  # zone, day_type, hour → occupancy, sessions, minutes, revenue, …
    grids: list[Tariff]  # the grids in force on the last day
    occupancy_elasticity: dict[str, elasticity.Estimate]
    duration_elasticity: dict[str, elasticity.Estimate]
    calibration: dict[str, float]  # observed revenue / modelled revenue, per zone
    fine_payment_rate: float
    start: Any = None
    end: Any = None
    target: tuple[float, float] = TARGET  # the occupancy band aimed at


@dataclass
class Prediction:
    cells: pd.DataFrame  # per zone × day type × hour: today's and predicted figures
    zones: pd.DataFrame  # per zone: yearly totals, today and predicted
    totals: dict[str, float]
    grids: list[Tariff] = field(default_factory=list)


def baseline(data: Data) -> Baseline | None:
    """Today's figures per zone × day type × hour, or None without the data a simulation needs
    (occupancy or paid occupancy, and a tariff grid)."""
    span = last_year(data.cells)
    if span is None or not data.has_tariffs:
        return None
    start, end = span
    cells = data.cells[(data.cells["day"] >= start) & (data.cells["day"] <= end)].copy()
    cells["occupied"] = cells["occupancy"].fillna(cells["paid_rate"])
    if cells["occupied"].notna().sum() == 0:
        return None
    days = cells.groupby("day_type")["day"].nunique()
    grouped = cells.groupby(["zone", "day_type", "hour"]).agg(
        occupancy=("occupied", "mean"),
        sessions=("sessions", "sum"),
        minutes=("minutes", "sum"),
        revenue=("revenue", "sum"),
        paid_hours=("paid_hours", "sum"),
        fines=("fines", "sum"),
        fines_amount=("fines_amount", "sum"),
        observed=("occupied", "count"),
    )
    grouped = grouped.reset_index()
    grouped["days"] = grouped["day_type"].map(days).astype(float)
    # Per day of that type, on average (a yearly figure is this × days).
    for column in ("sessions", "minutes", "revenue", "paid_hours", "fines", "fines_amount"):
        grouped[column] = grouped[column] / grouped["days"]
    grouped["duration"] = (grouped["minutes"] / grouped["sessions"]).where(grouped["sessions"] > 0)
    capacity = grouped["zone"].map(lambda z: data.zones[z].capacity or np.nan).astype(float)
    grouped["capacity"] = capacity
    occupied_hours = grouped["occupancy"] * capacity
    grouped["unpaid_share"] = (1 - grouped["paid_hours"] / occupied_hours).clip(0, 1).fillna(0)
    grids = [t for t in tariffs_on(data.tariffs, end)]
    base = Baseline(
        data=data,
        cells=grouped,
        grids=grids,
        occupancy_elasticity=elasticity.occupancy_elasticities(data),
        duration_elasticity=elasticity.duration_elasticities(data),
        calibration={},
        fine_payment_rate=_fine_payment_rate(data),
        start=start,
        end=end,
    )
    _prices, bands = _price_map(grids, grouped)
    modelled = _revenue(grouped, bands, grouped["occupancy"], grouped["duration"])
    for zone, frame in grouped.assign(modelled=modelled).groupby("zone"):
        total = frame["modelled"].sum()
        base.calibration[str(zone)] = float(frame["revenue"].sum() / total) if total > 0 else 1.0
    return base


def _fine_payment_rate(data: Data) -> float:
    fines = data.fines
    if fines.empty or fines["amount"].sum() == 0:
        return 0.0
    live = fines[fines["status"] != "cancelled"]
    return float(live["paid_amount"].fillna(0).sum() / live["amount"].sum())


def _price_map(grids: list[Tariff], cells: pd.DataFrame) -> tuple[pd.Series, list[Tariff | None]]:
    """The one-hour price and the band of each baseline cell under `grids`."""
    found: list[Tariff | None] = []
    for zone, kind, hour in zip(cells["zone"], cells["day_type"], cells["hour"], strict=True):
        band = None
        for tariff in grids:
            if tariff.zone == zone and tariff.day_type in (kind, "all") and hour in tariff.hours():
                band = tariff
                break
        found.append(band)
    prices = pd.Series([0.0 if b is None else b.rate for b in found], index=cells.index)
    return prices, found


def _revenue(
    cells: pd.DataFrame, bands: list[Tariff | None], occupancy: pd.Series, duration: pd.Series
) -> pd.Series:
    """Modelled revenue per day of the cell's type: sessions × cost of the mean stay."""
    paid_share = (1 - cells["unpaid_share"]).clip(0, 1)
    sessions = occupancy * cells["capacity"] * paid_share * 60 / duration
    costs = pd.Series(
        [_cost(band, d) for band, d in zip(bands, duration, strict=True)], index=cells.index
    )
    return (sessions * costs).fillna(0)


def _arc(q0: pd.Series, p0: pd.Series, p1: pd.Series, eps: pd.Series) -> pd.Series:
    mean_p = (p0 + p1) / 2
    r = ((p1 - p0) / mean_p).where(mean_p > 0, 0.0)
    s = (eps * r).clip(-1.9, 1.9)
    return q0 * (2 + s) / (2 - s)


def apply(grids: list[Tariff], policy: Policy, kinds: dict[str, str | None]) -> list[Tariff]:
    """The grids after the policy's changes, in order."""
    out = list(grids)
    for change in policy.changes:
        out = [_change(t, change, kinds.get(t.zone)) for t in out]
    for tariff in out:
        if tariff.fps is not None and tariff.steps and tariff.fps > tariff.max_price + 1e-9:
            raise PolicyError(
                _(
                    "The post-parking fine (%(fps)s €) would exceed the price of the maximum "
                    "stay in zone %(zone)s (%(cap)s €): French law caps it there."
                ),
                fps=number_format(tariff.fps, 2, use_l10n=True),
                zone=tariff.zone,
                cap=number_format(tariff.max_price, 2, use_l10n=True),
            )
    return out


def _selected(tariff: Tariff, change: Change, kind: str | None) -> bool:
    if change.zones and tariff.zone not in change.zones:
        return False
    if change.kinds and kind not in change.kinds:
        return False
    return not change.bands or tariff.start.hour in change.bands


def _scaled(tariff: Tariff, rate: float) -> Tariff:
    """The band at a new one-hour price: every step but a final dissuasive one (priced at the
    FPS) moves in proportion; a band that was free gets steps at the new rate."""
    if rate < 0:
        raise PolicyError(_("A price cannot be negative."))
    old = tariff.rate
    steps = []
    for minutes, price in tariff.steps:
        final = tariff.fps is not None and abs(price - tariff.fps) < 1e-9 and price > 0
        if final:
            steps.append((minutes, price))
        elif old > 0:
            steps.append((minutes, round(price * rate / old, 2)))
        else:
            steps.append((minutes, round(rate * minutes / 60, 2)))
    if not steps:
        steps = [(m, round(rate * m / 60, 2)) for m in range(15, (tariff.max_stay or 240) + 1, 15)]
    return replace(tariff, steps=tuple(steps))


def _change(tariff: Tariff, change: Change, kind: str | None) -> Tariff:
    if not _selected(tariff, change, kind):
        return tariff
    if change.action == "set_rate":
        return _scaled(tariff, change.value)
    if change.action == "add_rate":
        return _scaled(tariff, max(0.0, tariff.rate + change.value))
    if change.action == "free_minutes":
        if change.value < 0 or change.value > 240:
            raise PolicyError(_("Free minutes must lie between 0 and 240."))
        return replace(tariff, free_minutes=int(change.value))
    if change.action == "free_from":
        hour = int(change.value)
        if not 0 <= hour <= 24:
            raise PolicyError(_("The hour must lie between 0 and 24."))
        if tariff.start.hour >= hour:
            return replace(tariff, steps=())  # the whole band becomes free
        if tariff.end == time(0) or tariff.end.hour > hour:
            return replace(tariff, end=time(hour % 24))
        return tariff
    if change.action == "fps":
        if change.value < 0:
            raise PolicyError(_("A fine cannot be negative."))
        return replace(tariff, fps=change.value)
    raise PolicyError(_("Unknown change “%(action)s”."), action=change.action)


def predict(
    base: Baseline, policy: Policy | None = None, grids: list[Tariff] | None = None
) -> Prediction:
    """Today's and predicted figures under `policy` (or ready-made `grids`)."""
    kinds = {code: z.kind for code, z in base.data.zones.items()}
    if grids is None:
        grids = apply(base.grids, policy or Policy(), kinds)
    _p0, bands0 = _price_map(base.grids, base.cells)
    _p1, bands1 = _price_map(grids, base.cells)
    cells = predict_rows(base, base.cells, bands0, bands1)
    return _summarise(cells, base, grids)


def predict_rows(
    base: Baseline,
    rows: pd.DataFrame,
    bands0: list[Tariff | None],
    bands1: list[Tariff | None],
) -> pd.DataFrame:
    """Baseline `rows` with today's and predicted figures, given each row's band today
    (`bands0`) and under the policy (`bands1`; None where parking is free)."""
    cells = rows.copy()
    p0 = pd.Series([0.0 if b is None else b.rate for b in bands0], index=cells.index)
    p1 = pd.Series([0.0 if b is None else b.rate for b in bands1], index=cells.index)
    kinds = {code: z.kind for code, z in base.data.zones.items()}
    kind = cells["zone"].map(lambda z: kinds.get(z) or "unknown")
    eps_q = kind.map(lambda k: _value(base.occupancy_elasticity, k, "occupancy"))
    eps_d = kind.map(lambda k: _value(base.duration_elasticity, k, "duration"))
    # p is the price of one hour, free minutes included (30 free minutes halve it).
    demand = _arc(cells["occupancy"], p0, p1, eps_q)
    occupancy = demand.clip(upper=1.0)
    duration = _arc(cells["duration"], p0, p1, eps_d)
    cells["price_today"] = p0
    cells["price"] = p1
    cells["occupancy_today"] = cells["occupancy"]
    cells["occupancy_predicted"] = occupancy
    cells["unserved"] = (demand - occupancy).clip(lower=0)
    cells["duration_today"] = cells["duration"]
    cells["duration_predicted"] = duration
    calibration = cells["zone"].map(base.calibration).fillna(1.0)
    revenue0 = _revenue(cells, bands0, cells["occupancy"], cells["duration"])
    revenue1 = _revenue(cells, bands1, occupancy, duration)
    cells["revenue_today"] = cells["revenue"]
    cells["revenue_predicted"] = np.where(
        revenue0 > 0,
        cells["revenue"] * revenue1 / revenue0.where(revenue0 > 0, 1),
        revenue1 * calibration,
    )
    paid_share = 1 - cells["unpaid_share"]
    cells["turnover_today"] = (cells["occupancy"] * paid_share * 60 / cells["duration"]).fillna(0)
    cells["turnover_predicted"] = (occupancy * paid_share * 60 / duration).fillna(0)
    fps0 = pd.Series(
        [np.nan if b is None or b.fps is None else b.fps for b in bands0], index=cells.index
    )
    fps1 = pd.Series(
        [np.nan if b is None or b.fps is None else b.fps for b in bands1], index=cells.index
    )
    ratio = (occupancy / cells["occupancy"]).where(cells["occupancy"] > 0, 1.0)
    # Fines follow the unpaid occupied hours; a band made free issues none.
    fines1 = (cells["fines"] * ratio).where(p1 > 0, 0.0)
    cells["fines_predicted"] = fines1
    cells["fps_today"] = cells["fines_amount"] * base.fine_payment_rate
    mean_fine = (cells["fines_amount"] / cells["fines"]).where(cells["fines"] > 0)
    new_amount = (mean_fine * (fps1 / fps0)).where(fps0 > 0, mean_fine).fillna(0)
    cells["fps_predicted"] = fines1 * new_amount * base.fine_payment_rate
    return cells


def _cost(band: Tariff | None, minutes: float) -> float:
    if band is None or minutes is None or not np.isfinite(minutes):
        return 0.0
    return band.cost(float(minutes))


def _value(estimates: dict[str, elasticity.Estimate], kind: str, measure: str) -> float:
    found = estimates.get(kind)
    return found.value if found is not None else elasticity.fallback(kind, measure).value


def _summarise(cells: pd.DataFrame, base: Baseline, grids: list[Tariff]) -> Prediction:
    days = cells["days"]
    paid = cells["price_today"] > 0
    rows = []
    for zone, frame in cells.groupby("zone"):
        mask = paid.loc[frame.index]
        hours = frame[mask] if mask.any() else frame
        weight = days.loc[hours.index]
        rows.append(
            {
                "zone": zone,
                "revenue_today": float((frame["revenue_today"] * frame["days"]).sum()),
                "revenue_predicted": float((frame["revenue_predicted"] * frame["days"]).sum()),
                "fps_today": float((frame["fps_today"] * frame["days"]).sum()),
                "fps_predicted": float((frame["fps_predicted"] * frame["days"]).sum()),
                "occupancy_today": float(np.average(hours["occupancy_today"], weights=weight)),
                "occupancy_predicted": float(
                    np.average(hours["occupancy_predicted"], weights=weight)
                ),
                "turnover_today": float(np.average(hours["turnover_today"], weights=weight)),
                "turnover_predicted": float(
                    np.average(hours["turnover_predicted"], weights=weight)
                ),
                "in_target_today": _share_in(hours["occupancy_today"], weight, base.target),
                "in_target_predicted": _share_in(hours["occupancy_predicted"], weight, base.target),
                "saturated_today": _share_above(hours["occupancy_today"], weight),
                "saturated_predicted": _share_above(hours["occupancy_predicted"], weight),
            }
        )
    zones = pd.DataFrame(rows)
    weight = days[paid] if paid.any() else days
    hours = cells[paid] if paid.any() else cells
    totals = {
        "revenue_today": float(zones["revenue_today"].sum()),
        "revenue_predicted": float(zones["revenue_predicted"].sum()),
        "fps_today": float(zones["fps_today"].sum()),
        "fps_predicted": float(zones["fps_predicted"].sum()),
        "occupancy_today": float(np.average(hours["occupancy_today"], weights=weight)),
        "occupancy_predicted": float(np.average(hours["occupancy_predicted"], weights=weight)),
        "in_target_today": _share_in(hours["occupancy_today"], weight, base.target),
        "in_target_predicted": _share_in(hours["occupancy_predicted"], weight, base.target),
        "saturated_today": _share_above(hours["occupancy_today"], weight),
        "saturated_predicted": _share_above(hours["occupancy_predicted"], weight),
    }
    totals["income_today"] = totals["revenue_today"] + totals["fps_today"]
    totals["income_predicted"] = totals["revenue_predicted"] + totals["fps_predicted"]
    return Prediction(cells, zones, totals, grids)


def _share_in(
    occupancy: pd.Series, weight: pd.Series, target: tuple[float, float] = TARGET
) -> float:
    low, high = target
    inside = ((occupancy >= low) & (occupancy <= high)).astype(float)
    return float(np.average(inside, weights=weight)) if weight.sum() > 0 else 0.0


def _share_above(occupancy: pd.Series, weight: pd.Series) -> float:
    above = (occupancy > SATURATED).astype(float)
    return float(np.average(above, weights=weight)) if weight.sum() > 0 else 0.0
