"""Price elasticities of parking, estimated from the authority's own past tariff changes.

Occupancy: a log-log regression of the hourly occupancy rate on the one-hour price, over paid
hours, with fixed effects for zone × day type × hour (the daily rhythm of each zone) and for the
month (the season); standard errors clustered by day (hours of one day move together). Paid
duration: the same regression on the mean log paid duration of the sessions starting in each
hour, weighted by their number. One estimate per zone kind, since a hyper-centre and a residential
street do not react alike.

When a kind's history shows no price variation (one tariff all along), nothing can be estimated
from it: the simulator then uses the published reference — SFpark's average occupancy
elasticity, about −0.4 (Pierce & Shoup, "Getting the Prices Right", JAPA 2013), within the
literature's range of −0.1 to −0.6 — clearly labelled as such. No comparable reference exists
for paid duration: without an estimate, durations are assumed unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from pilotis.parking.data import Data

REFERENCE_OCCUPANCY = -0.4
REFERENCE_RANGE = (-0.6, -0.1)
REFERENCE_SOURCE = "SFpark (Pierce & Shoup, JAPA 2013)"
# Fewer priced hours than this, or fewer distinct prices than two, and no estimate is made.
MIN_OBSERVATIONS = 200
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    kind: str  # the zone kind, or "all"
    measure: str  # "occupancy" or "duration"
    value: float
    low: float
    high: float
    source: str  # "estimated", "reference" or "assumed"
    observations: int = 0
    prices: int = 0  # distinct one-hour prices seen

    @property
    def estimated(self) -> bool:
        return self.source == "estimated"


def _zone_kinds(data: Data) -> pd.Series:
    return pd.Series({code: (z.kind or "unknown") for code, z in data.zones.items()})


def _fit(
    frame: pd.DataFrame, y: str, weights: pd.Series | None = None
) -> tuple[float, float, float]:
    """The price coefficient of `y` ~ log price + fixed effects, with its confidence interval."""
    frame = frame.reset_index(drop=True)
    rhythm = frame["zone"].astype(str) + "|" + frame["day_type"] + "|" + frame["hour"].astype(str)
    dummies = pd.get_dummies(
        pd.DataFrame({"rhythm": rhythm, "month": frame["month"].astype(str)}),
        drop_first=True,
        dtype=float,
    )
    design = pd.concat([np.log(frame["price"]).rename("log_price"), dummies], axis=1)
    design = sm.add_constant(design, has_constant="add")
    groups = pd.factorize(frame["day"])[0]
    if weights is None:
        model = sm.OLS(frame[y].to_numpy(), design.to_numpy())
    else:
        model = sm.WLS(frame[y].to_numpy(), design.to_numpy(), weights=weights.to_numpy())
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    index = list(design.columns).index("log_price")
    low, high = fit.conf_int(alpha=1 - CONFIDENCE)[index]
    return float(fit.params[index]), float(low), float(high)


def occupancy_elasticities(data: Data) -> dict[str, Estimate]:
    """One estimate (or reference) per zone kind present in the data."""
    return _by_kind(data, "occupancy")


def duration_elasticities(data: Data) -> dict[str, Estimate]:
    return _by_kind(data, "duration")


def _by_kind(data: Data, measure: str) -> dict[str, Estimate]:
    cells = data.cells
    if cells.empty:
        return {}
    kinds = cells["zone"].map(_zone_kinds(data))
    out = {}
    for kind in sorted(set(kinds)):
        subset = cells[kinds == kind]
        out[kind] = estimate(subset, kind, measure)
    return out


def estimate(cells: pd.DataFrame, kind: str, measure: str) -> Estimate:
    """The elasticity of `measure` in `cells`, or the fallback when they cannot tell."""
    priced = cells[(cells["price"] > 0) & cells["price"].notna()]
    if measure == "occupancy":
        priced = priced[priced["occupancy"] > 0]
        y, weights = "log_occupancy", None
    else:
        priced = priced[priced["sessions"] > 0]
        y, weights = "mean_log_minutes", priced["sessions"]
    prices = int(priced["price"].round(4).nunique())
    if len(priced) < MIN_OBSERVATIONS or prices < 2:
        return fallback(kind, measure, len(priced), prices)
    frame = priced.copy()
    if measure == "occupancy":
        frame["log_occupancy"] = np.log(frame["occupancy"])
    else:
        frame["mean_log_minutes"] = frame["log_minutes"] / frame["sessions"]
        weights = frame["sessions"]
    value, low, high = _fit(frame, y, weights)
    return Estimate(kind, measure, value, low, high, "estimated", len(frame), prices)


def fallback(kind: str, measure: str, observations: int = 0, prices: int = 0) -> Estimate:
    if measure == "occupancy":
        low, high = REFERENCE_RANGE
        return Estimate(
            kind, measure, REFERENCE_OCCUPANCY, low, high, "reference", observations, prices
        )
    return Estimate(kind, measure, 0.0, 0.0, 0.0, "assumed", observations, prices)
