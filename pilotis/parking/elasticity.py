"""Price elasticities of parking, estimated from the authority's own past tariff changes.

Occupancy: a log-log regression of the hourly occupancy rate on the one-hour price, over paid
hours, with fixed effects for zone × day type × hour (the daily rhythm of each zone) and for the
month (the season); standard errors clustered by day (hours of one day move together).

Paid duration: the same regression on the log of the median paid duration of the sessions
starting at each hour of each day type, month by month (groups of at least 30 stays, one
observation each: weighting by stays lets the busiest hours dominate), clustered by month. The
median is robust to stays clipped at the maximum (a group whose median is the maximum itself is
left out); with durations bought by steps it is interpolated log-linearly within the step where
the cumulative share crosses one half — the plain median moves by whole steps, and the mean of
logs is biased towards zero by the rounding up.

When no month of the year was seen at two prices (a change on the first of a month, with less
than a year after it), month effects cannot be told from the price: the estimate is then made
without them, and says so (`seasons` false).

One estimate per zone kind, since a hyper-centre and a residential street do not react alike.
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
    # False when no month of the year was seen at two prices: the season was then left
    # uncontrolled (the month would stand for the price).
    seasons: bool = True

    @property
    def estimated(self) -> bool:
        return self.source == "estimated"


def _zone_kinds(data: Data) -> pd.Series:
    return pd.Series({code: (z.kind or "unknown") for code, z in data.zones.items()})


MIN_SEASON_MONTHS = 1
MIN_CLUSTERS = 20  # fewer, and standard errors are robust (HC1) rather than clustered


def seasons_identified(frame: pd.DataFrame) -> bool:
    """Whether month effects can be told from the price: enough months of the year were seen
    at two prices or more in some zone."""
    per_month = frame.groupby(["zone", "month"])["price"].nunique()
    return int((per_month >= 2).groupby("month").any().sum()) >= MIN_SEASON_MONTHS


def _fit(
    frame: pd.DataFrame,
    y: str,
    weights: pd.Series | None = None,
    cluster: str = "day",
    seasons: bool = True,
) -> tuple[float, float, float]:
    """The price coefficient of `y` ~ log price + fixed effects, with its confidence interval."""
    frame = frame.reset_index(drop=True)
    rhythm = frame["zone"].astype(str) + "|" + frame["day_type"] + "|" + frame["hour"].astype(str)
    effects = {"rhythm": rhythm}
    if seasons:
        effects["month"] = frame["month"].astype(str)
    dummies = pd.get_dummies(pd.DataFrame(effects), drop_first=True, dtype=float)
    design = pd.concat([np.log(frame["price"]).rename("log_price"), dummies], axis=1)
    design = sm.add_constant(design, has_constant="add")
    groups = pd.factorize(frame[cluster])[0]
    if weights is None:
        model = sm.OLS(frame[y].to_numpy(), design.to_numpy())
    else:
        model = sm.WLS(frame[y].to_numpy(), design.to_numpy(), weights=weights.to_numpy())
    if groups.max() + 1 >= MIN_CLUSTERS:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    else:
        fit = model.fit(cov_type="HC1")
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
        out[kind] = estimate(subset, kind, measure, data)
    return out


def estimate(cells: pd.DataFrame, kind: str, measure: str, data: Data | None = None) -> Estimate:
    """The elasticity of `measure` in `cells`, or the fallback when they cannot tell."""
    if measure == "duration":
        return _duration(cells, kind, data)
    priced = cells[(cells["price"] > 0) & cells["price"].notna() & (cells["occupancy"] > 0)]
    prices = int(priced["price"].round(4).nunique())
    if len(priced) < MIN_OBSERVATIONS or prices < 2:
        return fallback(kind, measure, len(priced), prices)
    frame = priced.assign(log_occupancy=np.log(priced["occupancy"]))
    seasons = seasons_identified(frame)
    value, low, high = _fit(frame, "log_occupancy", seasons=seasons)
    return Estimate(kind, measure, value, low, high, "estimated", len(frame), prices, seasons)


MIN_STAYS = 30  # per monthly group, for its median


def monthly_medians(cells: pd.DataFrame, bought: pd.DataFrame, step: int) -> pd.DataFrame:
    """zone, day_type, hour, month, ym, price, stays and median paid minutes of the sessions
    starting at that hour of that day type in each calendar month, at one price."""
    keys = cells[["zone", "day", "hour", "day_type", "month", "price"]]
    frame = bought.merge(keys, on=["zone", "day", "hour"], how="inner")
    frame = frame[(frame["price"] > 0) & frame["price"].notna()]
    if frame.empty:
        return frame
    frame = frame.assign(ym=frame["day"].map(lambda d: d.year * 100 + d.month))
    group = ["zone", "day_type", "hour", "ym", "month", "price"]
    counts = frame.groupby([*group, "minutes"], as_index=False)["n"].sum()
    counts = counts.sort_values([*group, "minutes"])
    counts["cum"] = counts.groupby(group)["n"].cumsum()
    counts["stays"] = counts.groupby(group)["n"].transform("sum")
    counts["share"] = counts["cum"] / counts["stays"]
    counts["previous"] = counts.groupby(group)["minutes"].shift(1)
    counts["previous_share"] = counts.groupby(group)["share"].shift(1).fillna(0.0)
    crossing = counts[(counts["share"] >= 0.5) & (counts["previous_share"] < 0.5)].copy()
    high = crossing["minutes"].astype(float)
    if step:
        low = crossing["previous"].fillna(high - step).clip(lower=high - step).astype(float)
        low = low.clip(lower=max(step / 2, 1))
        weight = (0.5 - crossing["previous_share"]) / (
            crossing["share"] - crossing["previous_share"]
        )
        crossing["median"] = np.exp(np.log(low) + weight * (np.log(high) - np.log(low)))
    else:
        crossing["median"] = high
    # A median in the zone's longest paid duration is the maximum stay, not the drivers' wish:
    # such groups (busy summer hours near the cap) would hide the price's effect.
    longest = bought.groupby("zone")["minutes"].max()
    capped = crossing["minutes"] >= crossing["zone"].map(longest)
    kept = crossing[(crossing["stays"] >= MIN_STAYS) & ~capped]
    return kept[[*group, "stays", "median"]]


def _duration(cells: pd.DataFrame, kind: str, data: Data | None) -> Estimate:
    if data is None or data.bought.empty:
        return fallback(kind, "duration")
    medians = monthly_medians(cells, data.bought, data.step)
    prices = int(medians["price"].round(4).nunique()) if len(medians) else 0
    if len(medians) < MIN_OBSERVATIONS / 4 or prices < 2:
        return fallback(kind, "duration", len(medians), prices)
    frame = medians.assign(log_median=np.log(medians["median"]))
    seasons = seasons_identified(frame)
    value, low, high = _fit(frame, "log_median", cluster="ym", seasons=seasons)
    return Estimate(kind, "duration", value, low, high, "estimated", len(frame), prices, seasons)


def fallback(kind: str, measure: str, observations: int = 0, prices: int = 0) -> Estimate:
    if measure == "occupancy":
        low, high = REFERENCE_RANGE
        return Estimate(
            kind, measure, REFERENCE_OCCUPANCY, low, high, "reference", observations, prices
        )
    return Estimate(kind, measure, 0.0, 0.0, 0.0, "assumed", observations, prices)
