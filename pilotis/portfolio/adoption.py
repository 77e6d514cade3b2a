"""Usage adoption: each target usage tied to a registered metric is measured month by month,
from when its measure starts to the last complete month, and set against its target and date.

Status of a usage: "reached" (the last month meets the target), "on track" (it is at least
where a straight line from the first month to the target at the target date would be today),
"behind" (below that line, the target date passed, or no date to judge by), "no data" (the
metric gives nothing yet, or only zeros), "unmeasured" (no metric: the sentence alone)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache

from pilotis.metrics import registry
from pilotis.metrics.registry import MetricError, Query
from pilotis.portfolio.models import TargetUsage
from pilotis.warehouse import storage

MONTHS_SHOWN = 24  # when the usage says not from when
CACHE_SECONDS = 3600


class State:
    REACHED = "reached"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"
    UNMEASURED = "unmeasured"


@dataclass
class Adoption:
    usage: TargetUsage
    state: str
    points: list[tuple[date, float]] = field(default_factory=list)  # month → value
    latest: float | None = None
    expected_now: float | None = None  # where the straight line to the target is
    unit: str = ""
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.state == State.REACHED


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def months(start: date, end: date) -> list[date]:
    out, month = [], _month_start(start)
    while month <= end:
        out.append(month)
        month = _next_month(month)
    return out


def data_fingerprint(codes: tuple[str, ...]) -> str:
    """What the measures depend on: the warehouse and the last commit of each of its tables
    for these tenants (the newest Delta log entry's name — no table is opened)."""
    root = storage.warehouse_root() / "tenants"
    parts = [str(root)]
    for code in codes:
        folder = root / code
        if not folder.is_dir():
            continue
        for table in sorted(p for p in folder.iterdir() if p.is_dir()):
            logs = sorted((table / "_delta_log").glob("*.json"))
            parts.append(f"{code}/{table.name}:{logs[-1].name if logs else '-'}")
    return "|".join(parts)


def _series(
    slug: str, codes: tuple[str, ...], first: date, last: date, filters: dict[str, tuple[str, ...]]
) -> dict[date, float | None]:
    """The metric's value per month of [first, last]: one evaluation by month when the metric
    can be broken down by month, else one per month."""
    metric = registry.get(slug)
    end = _next_month(last) - timedelta(days=1)
    if "month" in metric.dimensions:
        rows = registry.evaluate(slug, Query(codes, first, end, by="month", filters=filters)).rows
        return {
            date.fromisoformat(str(r["key"])): r["value"]
            for r in rows
            if not r.get("total") and r.get("key") is not None
        }
    out: dict[date, float | None] = {}
    for month in months(first, last):
        month_end = _next_month(month) - timedelta(days=1)
        rows = registry.evaluate(slug, Query(codes, month, month_end, filters=filters)).rows
        out[month] = next((r["value"] for r in rows if r.get("total")), None)
    return out


def measure(
    usage: TargetUsage, codes: tuple[str, ...], today: date | None = None
) -> list[tuple[date, float]]:
    """The usage's monthly figures up to the last complete month (cached per data version)."""
    today = today or date.today()
    last = _month_start(today) - timedelta(days=1)
    last = _month_start(last)
    first = _month_start(usage.measured_from or (today - timedelta(days=30 * MONTHS_SHOWN)))
    if first > last:
        return []
    filters = {k: tuple(v) for k, v in (usage.filters or {}).items()}
    key = (
        "adoption:"
        + hashlib.sha256(
            f"{data_fingerprint(codes)}|{usage.metric}|{sorted(filters.items())}|{usage.as_share}|"
            f"{first}|{last}|{codes}".encode()
        ).hexdigest()
    )
    found = cache.get(key)
    if found is None:
        values = _series(usage.metric, codes, first, last, filters)
        if usage.as_share:
            wholes = _series(usage.metric, codes, first, last, {})
            values = {
                m: (v / whole) if v is not None and (whole := wholes.get(m)) else None
                for m, v in values.items()
            }
        found = sorted((m, float(v)) for m, v in values.items() if v is not None and m <= last)
        cache.set(key, found, CACHE_SECONDS)
    return found


def adoption(usage: TargetUsage, codes: tuple[str, ...], today: date | None = None) -> Adoption:
    today = today or date.today()
    if not usage.metric:
        return Adoption(usage, State.UNMEASURED)
    try:
        metric = registry.get(usage.metric)
        points = measure(usage, codes, today)
    except MetricError as error:
        return Adoption(usage, State.NO_DATA, error=str(error))
    unit = "ratio" if usage.as_share else metric.unit
    if not points or all(v == 0 for _m, v in points):  # nothing loaded yet, or not measured
        return Adoption(usage, State.NO_DATA, unit=unit)
    latest = points[-1][1]
    if usage.target is None:
        return Adoption(usage, State.NO_DATA, points, latest, unit=unit)
    higher = metric.higher_is_better is not False

    def meets(value: float, goal: float) -> bool:
        return value >= goal if higher else value <= goal

    expected = _expected(points, usage.target, usage.target_on, today)
    if meets(latest, usage.target):
        state = State.REACHED
    elif usage.target_on is not None and usage.target_on < today:
        state = State.BEHIND
    elif expected is not None and meets(latest, expected):
        state = State.ON_TRACK
    else:
        state = State.BEHIND
    return Adoption(usage, state, points, latest, expected, unit)


def _expected(
    points: list[tuple[date, float]], target: float, target_on: date | None, today: date
) -> float | None:
    """Today's point on the straight line from the first month's figure to the target."""
    if target_on is None:
        return None
    start_day, start_value = points[0]
    span = (target_on - start_day).days
    if span <= 0:
        return target
    done = min(1.0, max(0.0, (today - start_day).days / span))
    return start_value + (target - start_value) * done


def summary(adoptions: list[Adoption]) -> dict[str, Any]:
    measured = [a for a in adoptions if a.state not in (State.UNMEASURED,)]
    return {
        "measured": len(measured),
        "reached": sum(1 for a in adoptions if a.state == State.REACHED),
        "on_track": sum(1 for a in adoptions if a.state == State.ON_TRACK),
        "behind": sum(1 for a in adoptions if a.state == State.BEHIND),
        "no_data": sum(1 for a in adoptions if a.state == State.NO_DATA),
        "total": len(adoptions),
    }
