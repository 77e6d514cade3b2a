# ruff: noqa: S608 - SQL is built from literals quoted by lit()
"""Seasons and exceptional weeks of the requests.

Seasons: the monthly counts — brought to a standard month of 30.44 days, or February would be a
season — need at least `MIN_MONTHS` complete months (two cycles are the least from which a season
can be told apart from a trend). STL (Cleveland et al., 1990) splits them into trend + seasonal +
remainder, in its robust version so that a storm month does not bend the season, and with a
locally constant seasonal smoother: with two to five values per calendar month, the default
locally linear one goes through them (with 24 months it leaves no remainder at all, measured).
The seasonal index of a calendar month is its average seasonal component over the average level
(the mean of the trend): "+45 %" means 45 % more requests than in an average month.

Is there a season at all? An estimated season is never zero: on pure noise, three years give an
F_s of 0.2–0.4. `season_test` answers with a p-value (F-test of month effects over a quadratic
trend); peak months are named only when it is below `ALPHA`. They are then the (at most three)
months whose index is above `PEAK_MIN_PCT` and at least half the highest one; the amplitude is
the highest index. The strength F_s = max(0, 1 − Var(remainder) / Var(seasonal + remainder))
(Wang, Smith & Hyndman, 2006) is given as well, to compare categories.

Exceptional weeks: each week is compared with the level its neighbours set — the median of the
`NEIGHBOURS` weeks before and after it, once the season is taken out (weekly counts divided by the
monthly seasonal index above, interpolated to the week), times the week's season. The deviation
is an Anscombe residual 2(√(y + 3/8) − √(e + 3/8)), which makes Poisson noise nearly normal with
unit variance whatever the level, standardised robustly by its median and MAD (1.4826 × median
absolute deviation, untouched by the outliers we look for). A week is exceptional when z >
`Z_THRESHOLD` (3.5, Iglewicz & Hoaglin's cut for modified z-scores) and it has at least
`MIN_EXCESS` requests more than expected. On seeded Poisson noise this flags about 2.7 weeks in
10,000 (measured on 18,720 weeks; the normal tail beyond 3.5 is 2.3), i.e. one false week every ~70
years of a category.

Why not an STL with a 52-week period, the textbook choice: with two or three years of weeks, each
week of the year has two or three values and the robust seasonal fit goes through them — it
absorbs the noise, the remainder's MAD collapses (measured: 0.04 for Poisson noise of s.d. 7.5)
and every week looks exceptional. The season is therefore taken from the monthly STL, which has
four times as many values per parameter; and the median excludes the week itself, since a
centred median that includes it shrinks its deviation (measured: ten times too many flags).

Only complete months and weeks are used: the first and last ones of the data are usually cut
(a load that starts on the 12th, a month still running), and would read as a collapse.
Months and weeks are given as ISO date strings (first day of the month, Monday of the week),
so `dataclasses.asdict` of any result is JSON as is.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.utils.translation import gettext as _
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats
from statsmodels.tsa.seasonal import STL

from pilotis.requests import indicators
from pilotis.requests.data import Database, lit

MIN_MONTHS = 24
TEST_MONTHS = 60  # the season test reads the last five years at most
ALPHA = 0.05
STANDARD_MONTH = 365.25 / 12  # days
MIN_MONTHLY = 10.0  # fewer requests a month on average: too few to tell a season
PEAK_MIN_PCT = 10.0
MAX_PEAKS = 3
Z_THRESHOLD = 3.5
MIN_EXCESS = 10
MIN_WEEKS = 12
NEIGHBOURS = 6  # weeks on each side that make a week's expected level
MAD_SCALE = 1.4826


@dataclass
class Seasonality:
    """The STL decomposition of one monthly series, and what the page says of it.

    The decomposition is of `adjusted` — counts brought to a standard month of 30.44 days —
    so that February's three missing days do not read as a season: adjusted = trend +
    seasonal + resid. `expected` (trend + seasonal, brought back to each month's days) is
    what to draw beside the raw `observed` counts."""

    category: str | None  # None: all the requests in scope
    months: list[str]  # ISO date of each month's first day
    observed: list[int]  # requests made in the month
    adjusted: list[float]  # observed × 30.44 / days in the month
    trend: list[float]
    seasonal: list[float]
    resid: list[float]
    expected: list[float]  # (trend + seasonal) × days in the month / 30.44
    level: float  # average requests in a standard month (mean of the trend)
    monthly_index_pct: list[float]  # January … December: average seasonal / level, in %
    peak_months: list[int]  # 1–12, in calendar order (a winter peak reads 12, 1, 2)
    amplitude_pct: float  # the highest monthly index
    p_value: float  # of the test "no season" (`season_test`)
    significant: bool  # p < ALPHA; peak months are only named for a significant season
    strength: float  # F_s, 0–1
    trend_strength: float  # F_t, 0–1


@dataclass
class Unavailable:
    """Why there is no decomposition: the page says it instead of drawing a fake season."""

    category: str | None
    reason: str
    months: int  # complete months available


@dataclass
class Anomaly:
    """A week far above its expected level."""

    week_start: str  # ISO date of the Monday
    observed: int
    expected: float
    z: float
    category: str | None = None


# --- reading the series ------------------------------------------------------------------------


def _where(category: str | None, end: date | None) -> str:
    parts = ["requested_datetime IS NOT NULL"]
    if category is not None:
        parts.append(f"category = {lit(category)}")
    if end is not None:
        after = end + timedelta(days=1)
        parts.append(f"requested_datetime < CAST({lit(after)} AS TIMESTAMP WITH TIME ZONE)")
    return " AND ".join(parts)


def _span(db: Database, end: date | None) -> tuple[date, date] | None:
    """First and last day with requests (any category: a category's silence is a zero)."""
    rows = db.rows(
        "SELECT min(requested_datetime), max(requested_datetime) "
        f"FROM requests WHERE {_where(None, end)}"
    )
    first, last = rows[0] if rows else (None, None)
    if first is None or last is None:
        return None
    return _local_date(first), _local_date(last)


def _local_date(moment: object) -> date:
    if isinstance(moment, datetime):
        return indicators.aware(moment).astimezone(indicators.PARIS).date()
    return _as_date(moment)


def _bucket(db: Database, grain: str, span: tuple[date, date]) -> str:
    """The local month or week (as a DATE) of `requested_datetime`, by epoch arithmetic: casting
    each instant through the time-zone library is several times slower on millions of rows."""
    day = indicators.local_day(db, "requested_datetime", span[0], span[1])
    return indicators.bucket_sql(grain, day)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):  # also pandas.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def complete_months(first: date, last: date) -> tuple[int, int]:
    """The first and last complete months (as year × 12 + month − 1) between two days.

    A month counts as complete when the data covers it but for its first or last day: a
    quiet Sunday at either end is no reason to drop a month."""
    start = _month_index(first) + (1 if first.day > 2 else 0)
    days_in_last = calendar.monthrange(last.year, last.month)[1]
    stop = _month_index(last) - (0 if last.day >= days_in_last - 1 else 1)
    return start, stop


def complete_weeks(first: date, last: date) -> tuple[date, date]:
    """The Mondays of the first and last complete weeks between two days.

    The first week counts if the data starts by its Tuesday; the last if it reaches its
    Saturday (many services receive nothing on Sundays). A short edge week only lowers a count,
    and only weeks above their expected level are looked for."""
    monday = first - timedelta(days=first.weekday())
    start = monday if first.weekday() <= 1 else monday + timedelta(days=7)
    last_monday = last - timedelta(days=last.weekday())
    stop = last_monday if last.weekday() >= 5 else last_monday - timedelta(days=7)
    return start, stop


def monthly_counts(
    db: Database, category: str | None = None, end: date | None = None
) -> tuple[list[str], np.ndarray]:
    """Requests per complete month (zeros included), with the months as ISO dates."""
    series = _monthly(db, end, [category] if category is not None else None)
    return series.get(category, ([], np.zeros(0, dtype=np.int64)))


def _monthly(
    db: Database, end: date | None, categories: list[str] | None
) -> dict[str | None, tuple[list[str], np.ndarray]]:
    """Monthly series per category (categories=None: one series of all requests, key None)."""
    span = _span(db, end)
    if span is None:
        return {}
    start, stop = complete_months(*span)
    if stop < start:
        return {}
    months = [_month_start(i).isoformat() for i in range(start, stop + 1)]
    bucket = _bucket(db, "month", span)
    if categories is None:
        rows = db.rows(
            f"SELECT NULL, {bucket} AS m, count(*) FROM requests WHERE {_where(None, end)} "
            "GROUP BY 2"
        )
    else:
        where = _where(None, end)
        if categories:
            where += f" AND category IN ({', '.join(lit(c) for c in categories)})"
        else:
            where += " AND category IS NOT NULL"
        rows = db.rows(
            f"SELECT category, {bucket} AS m, count(*) FROM requests WHERE {where} GROUP BY 1, 2"
        )
    series: dict[str | None, np.ndarray] = {}
    if categories:
        series = {c: np.zeros(len(months), dtype=np.int64) for c in categories}
    for key, month, count in rows:
        position = _month_index(_as_date(month)) - start
        if 0 <= position < len(months):
            name = None if key is None else str(key)
            series.setdefault(name, np.zeros(len(months), dtype=np.int64))[position] = int(count)
    if categories is None and None not in series:
        series[None] = np.zeros(len(months), dtype=np.int64)
    return {k: (months, v) for k, v in series.items()}


def weekly_counts(
    db: Database, category: str | None = None, end: date | None = None
) -> tuple[list[str], np.ndarray]:
    """Requests per complete week (zeros included), with the Mondays as ISO dates."""
    span = _span(db, end)
    if span is None:
        return [], np.zeros(0, dtype=np.int64)
    start, stop = complete_weeks(*span)
    if stop < start:
        return [], np.zeros(0, dtype=np.int64)
    n = (stop - start).days // 7 + 1
    counts = np.zeros(n, dtype=np.int64)
    rows = db.rows(
        f"SELECT {_bucket(db, 'week', span)} AS w, count(*) "
        f"FROM requests WHERE {_where(category, end)} GROUP BY 1"
    )
    for week, count in rows:
        position = (_as_date(week) - start).days // 7
        if 0 <= position < n:
            counts[position] = int(count)
    return [(start + timedelta(days=7 * i)).isoformat() for i in range(n)], counts


# --- seasons -----------------------------------------------------------------------------------


def _strength(component: np.ndarray, resid: np.ndarray) -> float:
    total = float(np.var(component + resid))
    if total <= 0:
        return 0.0
    return max(0.0, 1.0 - float(np.var(resid)) / total)


def _calendar_order(months: list[int]) -> list[int]:
    """Months in calendar order, a run across the new year kept together (12, 1, 2)."""
    months = sorted(months)
    if len(months) < 2:
        return months
    # Start after the largest gap between consecutive months (going round the year).
    gaps = [(months[(i + 1) % len(months)] - months[i]) % 12 for i in range(len(months))]
    start = (gaps.index(max(gaps)) + 1) % len(months)
    return months[start:] + months[:start]


def season_test(values: np.ndarray, calendar_month: np.ndarray) -> float:
    """p-value of "the calendar month changes nothing": the F-test of eleven month dummies
    added to a quadratic trend (ordinary least squares, the last `TEST_MONTHS` months).

    A test is needed because a season is always *estimated*: with two or three values per
    calendar month, pure noise gives a seasonal component and an F_s of 0.2–0.4. Nested-model
    F-tests are exact for normal noise, which counts of a few tens a month approach; measured on
    seeded Poisson noise, 5 % of series are flagged at the 5 % level, with or without a trend."""
    y = np.asarray(values, dtype=float)[-TEST_MONTHS:]
    months = np.asarray(calendar_month)[-TEST_MONTHS:]
    n = len(y)
    t = np.arange(n) / n
    base = np.column_stack([np.ones(n), t, t**2])
    dummies = np.column_stack([(months == m).astype(float) for m in range(1, 13)])[:, 1:]
    full = np.column_stack([base, dummies])
    df_extra, df_resid = dummies.shape[1], n - np.linalg.matrix_rank(full)
    if df_resid <= 0:
        return 1.0
    rss_base = _rss(base, y)
    rss_full = _rss(full, y)
    if rss_full <= 1e-12 * max(rss_base, 1.0):
        return 0.0 if rss_base > 1e-12 else 1.0
    statistic = ((rss_base - rss_full) / df_extra) / (rss_full / df_resid)
    return float(stats.f.sf(statistic, df_extra, df_resid))


def _rss(design: np.ndarray, y: np.ndarray) -> float:
    coefficients = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(np.sum((y - design @ coefficients) ** 2))


def _days_in(month: str) -> int:
    return calendar.monthrange(int(month[:4]), int(month[5:7]))[1]


def analyse(category: str | None, months: list[str], counts: np.ndarray) -> Seasonality:
    """STL of a monthly series of at least two years (the caller checks the length)."""
    scale = np.array([STANDARD_MONTH / _days_in(m) for m in months])
    y = np.asarray(counts, dtype=float) * scale
    fit = STL(y, period=12, seasonal_deg=0, robust=True).fit()
    trend, seasonal, resid = (
        np.asarray(a, dtype=float) for a in (fit.trend, fit.seasonal, fit.resid)
    )
    level = float(np.mean(trend))
    calendar_month = np.array([int(m[5:7]) for m in months])
    index = np.array(
        [
            float(np.mean(seasonal[calendar_month == m])) / level * 100 if level > 0 else 0.0
            for m in range(1, 13)
        ]
    )
    highest = float(index.max())
    threshold = max(PEAK_MIN_PCT, highest / 2)
    ranked = [int(m) + 1 for m in np.argsort(-index, kind="stable")]
    p_value = season_test(y, calendar_month)
    significant = p_value < ALPHA
    peaks = [m for m in ranked if index[m - 1] >= threshold][:MAX_PEAKS] if significant else []
    return Seasonality(
        category=category,
        months=list(months),
        observed=[int(v) for v in counts],
        adjusted=[round(float(v), 3) for v in y],
        trend=[round(float(v), 3) for v in trend],
        seasonal=[round(float(v), 3) for v in seasonal],
        resid=[round(float(v), 3) for v in resid],
        expected=[round(float(v), 3) for v in (trend + seasonal) / scale],
        level=round(level, 3),
        monthly_index_pct=[round(float(v), 2) for v in index],
        peak_months=_calendar_order(peaks),
        amplitude_pct=round(highest, 2),
        p_value=float(p_value),
        significant=bool(significant),
        strength=round(_strength(seasonal, resid), 4),
        trend_strength=round(_strength(trend, resid), 4),
    )


def _decide(
    category: str | None, months: list[str], counts: np.ndarray, min_months: int
) -> Seasonality | Unavailable:
    if len(months) < min_months:
        return Unavailable(
            category,
            _("Seasons need at least %(needed)d complete months of requests; there are %(n)d.")
            % {"needed": min_months, "n": len(months)},
            len(months),
        )
    if float(np.mean(counts)) < MIN_MONTHLY:
        return Unavailable(
            category,
            _("Too few requests (fewer than %(n)d a month) to tell a season.")
            % {"n": int(MIN_MONTHLY)},
            len(months),
        )
    return analyse(category, months, counts)


def decomposition(
    db: Database,
    category: str | None = None,
    end: date | None = None,
    *,
    min_months: int = MIN_MONTHS,
) -> Seasonality | Unavailable:
    """The seasons of one category (or of all requests), or why they cannot be told."""
    months, counts = monthly_counts(db, category, end)
    return _decide(category, months, counts, min_months)


def decompose(
    db: Database,
    category: str | None = None,
    end: date | None = None,
    *,
    min_months: int = MIN_MONTHS,
) -> Seasonality | None:
    """`decomposition`, with None instead of the reason when there is no season to tell."""
    result = decomposition(db, category, end, min_months=min_months)
    return result if isinstance(result, Seasonality) else None


def seasonal_profiles(
    db: Database,
    end: date | None = None,
    categories: list[str] | None = None,
    *,
    min_months: int = MIN_MONTHS,
) -> dict[str, Seasonality]:
    """The seasons of every category that has enough history (one query for all of them)."""
    series = _monthly(db, end, categories if categories else [])
    profiles: dict[str, Seasonality] = {}
    for category, (months, counts) in sorted(series.items(), key=lambda kv: str(kv[0])):
        if category is None:
            continue
        result = _decide(category, months, counts, min_months)
        if isinstance(result, Seasonality):
            profiles[category] = result
    return profiles


# --- exceptional weeks -------------------------------------------------------------------------


def season_factors(weeks: list[str], monthly_index_pct: list[float] | None) -> np.ndarray:
    """Each week's seasonal factor (1 + index): the monthly indices, set at mid-month and
    interpolated round the year at the week's Thursday. 1 everywhere without a season."""
    if monthly_index_pct is None:
        return np.ones(len(weeks))
    positions = []
    for week in weeks:
        thursday = date.fromisoformat(week) + timedelta(days=3)
        days = calendar.monthrange(thursday.year, thursday.month)[1]
        positions.append(thursday.month - 1 + (thursday.day - 0.5) / days)
    centres = np.arange(12) + 0.5
    values = 1 + np.asarray(monthly_index_pct, dtype=float) / 100
    factors = np.interp(
        positions,
        np.concatenate([centres - 12, centres, centres + 12]),
        np.concatenate([values, values, values]),
    )
    return np.maximum(factors, 0.05)


def expected_weekly(counts: np.ndarray, factors: np.ndarray | None = None) -> np.ndarray:
    """The expected level of each week, from its neighbours only.

    The median of the deseasonalised counts of the `NEIGHBOURS` weeks before and after (not the
    week itself: a median that includes the week pulls towards it and shrinks its deviation),
    times the week's seasonal factor."""
    y = np.asarray(counts, dtype=float)
    f = np.ones(len(y)) if factors is None else np.asarray(factors, dtype=float)
    pad = np.full(NEIGHBOURS, np.nan)
    windows = sliding_window_view(np.concatenate([pad, y / f, pad]), 2 * NEIGHBOURS + 1).copy()
    windows[:, NEIGHBOURS] = np.nan
    level = np.nanmedian(windows, axis=1)
    return np.asarray(np.maximum(level * f, 0.0), dtype=float)


def robust_z(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Robust z-scores of Anscombe residuals 2(√(y + 3/8) − √(e + 3/8)).

    Anscombe's transform makes Poisson noise nearly normal with unit variance at any level (raw
    differences grow with the level, and their right tail is long); the median and MAD then
    standardise them without being moved by the exceptional weeks themselves."""
    residual = 2 * (np.sqrt(observed + 0.375) - np.sqrt(np.maximum(expected, 0.0) + 0.375))
    centre = float(np.median(residual))
    spread = MAD_SCALE * float(np.median(np.abs(residual - centre)))
    if spread <= 0:  # over half the weeks exactly as expected (sparse series): Poisson scale
        spread = 1.0
    return np.asarray((residual - centre) / spread, dtype=float)


def anomalies(
    db: Database,
    category: str | None = None,
    end: date | None = None,
    *,
    since: date | None = None,
    z_threshold: float = Z_THRESHOLD,
    min_excess: float = MIN_EXCESS,
) -> list[Anomaly]:
    """Weeks far above their expected level, most recent first.

    The expected level is fitted on all the history up to `end`; `since` only limits the weeks
    reported (a page about one period shows that period's exceptional weeks)."""
    weeks, counts = weekly_counts(db, category, end)
    if len(weeks) < MIN_WEEKS:
        return []
    season = decomposition(db, category, end)
    index = None  # no significant season: the neighbours' median alone
    if isinstance(season, Seasonality) and season.significant:
        index = season.monthly_index_pct
    expected = expected_weekly(counts, season_factors(weeks, index))
    z = robust_z(counts.astype(float), expected)
    found = [
        Anomaly(
            weeks[i], int(counts[i]), round(float(expected[i]), 1), round(float(z[i]), 2), category
        )
        for i in range(len(weeks))
        if z[i] > z_threshold
        and counts[i] - expected[i] >= min_excess
        and (since is None or date.fromisoformat(weeks[i]) + timedelta(days=6) >= since)
    ]
    return sorted(found, key=lambda a: a.week_start, reverse=True)
