# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""Kaplan–Meier in SQL: how long requests take to close when some of them are still open.

Why not the median of closed requests: the requests still open are the slow ones, so leaving them
out biases the median low — the more so the more recent the period. Kaplan–Meier counts each
open request as "at least this long so far" (censored) and estimates the share still open after
t days, S(t), from every request.

The estimator is computed in the portable SQL DuckDB and PostgreSQL share, in one pass over the
durations:

- per group and distinct duration t: d(t) requests closed at t, m(t) requests with duration t;
- at risk n(t) = requests whose duration is ≥ t: a running sum of m over t descending;
- S(t) = ∏ (1 − d/n) over the durations ≤ t, computed as a running sum of ln(1 − d/n): no
  product aggregate exists in SQL, and exp() underflows in PostgreSQL, so quantiles compare the
  log-sum to ln(1 − q) instead of exponentiating. When d = n every request still at risk closes at
  t: ln(0) is undefined, and S is 0 from there on (a running max of a "d = n" marker);
- the q-quantile (0.5 for the median, 0.9 for the 90th percentile) is the smallest t with
  S(t) ≤ 1 − q, the definition lifelines uses; none when S never drops that low.

Comparisons allow 1e-9 of rounding so that S(t) = 0.5 exactly (2 closed out of 4) is found in both
engines whichever way the logarithms round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Rounding allowance of S(t) ≤ 1 − q (see the module docstring).
EPSILON = 1e-9


def threshold(q: float) -> float:
    """ln(1 − q + ε): the log-survival at or below which the q-quantile is reached."""
    if not 0 < q < 1:
        raise ValueError("a quantile is strictly between 0 and 1")
    return math.log(1 - q + EPSILON)


def kaplan_meier_sql(durations: str, quantiles: Sequence[float], grouped: bool) -> str:
    """A query giving, for all durations and (when `grouped`) per group `k`, the columns
    `grp` (1 for all, 0 for a group: SQL's grouping()), `k`, `n` (durations), `d` (closed),
    one column per quantile (the t at which S drops to 1 − q, NULL when it never does), `tmax`
    (the longest duration, closed or not: the answer to "more than how many days" when a
    quantile is NULL) and `closed_median` (the lower median of the closed durations only: the
    smallest t by which half of the closed requests had closed).

    `durations` is a query with columns `k` (the group), `t` (the duration, any unit, or any
    increasing function of it, ≥ 0) and `ev` (1 when closed at t, 0 when still open at t:
    censored). The total and the groups come from the same scan (GROUPING SETS)."""
    if grouped:
        counts = (
            "SELECT grouping(k) AS grp, k, t, sum(ev) AS d, count(*) AS m "
            f"FROM ({durations}) AS km_durations GROUP BY GROUPING SETS ((k, t), (t))"
        )
    else:
        counts = (
            "SELECT 1 AS grp, NULL AS k, t, sum(ev) AS d, count(*) AS m "
            f"FROM ({durations}) AS km_durations GROUP BY t"
        )
    quantile_columns = "".join(
        f"min(t) FILTER (WHERE zero = 1 OR logs <= {threshold(q)!r}) AS q{i}, "
        for i, q in enumerate(quantiles)
    )
    return f"""
WITH km_counts AS ({counts}
), km_risk AS (
    SELECT grp, k, t, d, m,
        sum(m) OVER (PARTITION BY grp, k ORDER BY t DESC ROWS UNBOUNDED PRECEDING) AS n
    FROM km_counts
), km_survival AS (
    SELECT grp, k, t, d, m,
        max(CASE WHEN d >= n THEN 1 ELSE 0 END) OVER km_w AS zero,
        sum(CASE WHEN d > 0 AND d < n THEN ln(1 - CAST(d AS FLOAT8) / n) ELSE 0 END)
            OVER km_w AS logs,
        sum(d) OVER km_w AS closed_by,
        sum(d) OVER (PARTITION BY grp, k) AS closed_all
    FROM km_risk
    WINDOW km_w AS (PARTITION BY grp, k ORDER BY t ROWS UNBOUNDED PRECEDING)
)
SELECT grp, k, sum(m) AS n, sum(d) AS d, {quantile_columns}max(t) AS tmax,
    min(t) FILTER (WHERE closed_all > 0 AND 2 * closed_by >= closed_all) AS closed_median
FROM km_survival
GROUP BY grp, k"""


def kaplan_meier(durations: Sequence[float], events: Sequence[bool]) -> list[tuple[float, float]]:
    """The survival curve [(t, S(t))] at each distinct duration, in plain Python: the reference
    the SQL is explained against (and a small helper for charts drawn from few rows)."""
    pairs = sorted(zip(durations, events, strict=True))
    at_risk = len(pairs)
    survival = 1.0
    curve: list[tuple[float, float]] = []
    i = 0
    while i < len(pairs):
        t = pairs[i][0]
        closed = total = 0
        while i < len(pairs) and pairs[i][0] == t:
            closed += int(pairs[i][1])
            total += 1
            i += 1
        survival *= 1 - closed / at_risk
        curve.append((t, survival))
        at_risk -= total
    return curve
