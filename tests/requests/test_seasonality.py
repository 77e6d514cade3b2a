"""Seasons and exceptional weeks found where they were planted, and not in plain noise."""

import json
import math
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import STL

from pilotis.requests import seasonality
from tests.requests.stats_fixtures import PARIS, daily_requests, database

START, END = date(2022, 1, 1), date(2024, 12, 31)


def summer(amplitude: float, base: float):
    """A smooth season peaking mid-July: base × (1 + amplitude × cos(…))."""

    def rate(day: date) -> float:
        angle = 2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25
        return base * (1 + amplitude * math.cos(angle))

    return rate


def planted_index(rate) -> np.ndarray:
    """The planted monthly index (%), from the rate function itself: each calendar month's
    expected count over the average month's, minus one."""
    days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    expected = pd.Series([rate(d) for d in days], index=pd.DatetimeIndex(days))
    monthly = expected.resample("MS").sum()
    by_month = monthly.groupby(monthly.index.month).mean()
    return (by_month / monthly.mean() - 1).to_numpy() * 100


def test_a_planted_summer_peak_is_found_with_its_amplitude():
    rate = summer(0.5, 12.0)
    planted = planted_index(rate)
    assert list(np.argsort(-planted)[:3] + 1) == [7, 8, 6]  # the planted peak: June to August
    for seed in (1, 2, 3):
        rng = np.random.default_rng(seed)
        db = database(daily_requests("ESPACES_VERTS", START, END, rate, rng))
        result = seasonality.decompose(db, "ESPACES_VERTS")
        assert result is not None
        assert result.peak_months == [6, 7, 8]
        # The highest index of three noisy years: measured over 40 seeds, its error has a mean
        # of −0.7 and a standard deviation of 4.0 points; 10 points is 2.5 standard deviations.
        assert abs(result.amplitude_pct - planted.max()) < 10, (result.amplitude_pct, planted)
        # The whole profile, not only its top, follows the planted one.
        assert np.corrcoef(result.monthly_index_pct, planted)[0, 1] > 0.97
        assert result.strength > 0.8
        assert result.significant and result.p_value < 1e-6
        assert len(result.months) == 36 and result.months[0] == "2022-01-01"


def test_a_winter_peak_reads_across_the_new_year():
    def rate(day: date) -> float:
        return 20.0 * (1.8 if day.month in (12, 1, 2) else 1.0)

    db = database(daily_requests("NEIGE", START, END, rate, np.random.default_rng(4)))
    result = seasonality.decompose(db, "NEIGE")
    assert result is not None
    assert result.peak_months == [12, 1, 2]


def test_flat_noise_rarely_has_a_season():
    """Twenty seeded series of pure Poisson noise (with a trend in half of them): the season test
    at 5 % flags about one; a flagged one must still not name a marked peak."""
    flagged = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        slope = 0.02 if seed % 2 else 0.0  # +2 % a month

        def rate(day: date, slope: float = slope) -> float:
            return 15.0 * (1 + slope * ((day - START).days / 30.44))

        db = database(daily_requests("FLAT", START, END, rate, rng))
        result = seasonality.decompose(db, "FLAT")
        assert result is not None
        assert result.amplitude_pct < 15
        if result.significant:
            flagged += 1
        else:
            assert result.peak_months == []
        assert result.strength < 0.6
    assert flagged <= 5, flagged


def test_the_season_test_is_calibrated_and_powerful():
    """Independent of the database: on Poisson noise the p-value is below 5 % in about 5 % of
    the series; a 15 % season is detected almost always in three years."""
    rng = np.random.default_rng(19)
    months = np.arange(36) % 12 + 1
    null = [seasonality.season_test(rng.poisson(300, 36).astype(float), months) for _ in range(600)]
    assert 0.025 < np.mean(np.array(null) < 0.05) < 0.08
    season = 300 * (1 + 0.15 * np.cos(2 * np.pi * (months - 7) / 12))
    found = [seasonality.season_test(rng.poisson(season).astype(float), months) for _ in range(200)]
    assert np.mean(np.array(found) < 0.05) > 0.95


def test_observed_trend_and_season_are_statsmodels_on_local_months():
    rng = np.random.default_rng(8)
    frame = daily_requests("VOIRIE", START, END, summer(0.3, 10.0), rng)
    # Requests just around midnight at month ends: 23:30 UTC on 31 January is February in Paris.
    edges = [datetime(2023, 1, 31, 23, 30, tzinfo=UTC)] * 7
    edges += [datetime(2023, 3, 31, 21, 30, tzinfo=UTC)] * 5  # 23:30 Paris (summer)
    frame = pd.concat(
        [frame, pd.DataFrame({"category": "VOIRIE", "requested_datetime": edges})],
        ignore_index=True,
    )
    db = database(frame)
    result = seasonality.decompose(db, "VOIRIE")
    assert result is not None
    local = pd.DatetimeIndex(pd.to_datetime(frame["requested_datetime"], utc=True)).tz_convert(
        PARIS
    )
    counts = pd.Series(1, index=local).groupby(local.strftime("%Y-%m-01")).sum()
    assert result.months == list(counts.index)
    assert result.observed == [int(v) for v in counts]
    days = np.array([pd.Period(m[:7]).days_in_month for m in counts.index])
    adjusted = counts.to_numpy(dtype=float) * (365.25 / 12) / days
    assert np.allclose(result.adjusted, adjusted, atol=1e-3)
    fit = STL(adjusted, period=12, seasonal_deg=0, robust=True).fit()
    assert np.allclose(result.trend, fit.trend, atol=1e-3)
    assert np.allclose(result.seasonal, fit.seasonal, atol=1e-3)
    assert np.allclose(result.resid, fit.resid, atol=1e-3)
    assert np.allclose(
        result.expected, (fit.trend + fit.seasonal) * days / (365.25 / 12), atol=1e-2
    )
    resid, seasonal = np.asarray(fit.resid), np.asarray(fit.seasonal)
    strength = max(0.0, 1 - np.var(resid) / np.var(seasonal + resid))
    assert abs(result.strength - strength) < 1e-3


def test_fewer_than_24_months_is_refused_with_a_reason():
    rng = np.random.default_rng(9)
    db = database(daily_requests("X", date(2023, 1, 1), date(2024, 9, 30), lambda d: 20.0, rng))
    assert seasonality.decompose(db, "X") is None
    refusal = seasonality.decomposition(db, "X")
    assert isinstance(refusal, seasonality.Unavailable)
    assert refusal.months == 21
    assert "24" in refusal.reason
    assert seasonality.seasonal_profiles(db) == {}


def test_cut_edge_months_are_left_out():
    rng = np.random.default_rng(10)
    db = database(daily_requests("X", date(2022, 1, 15), date(2024, 12, 20), lambda d: 20.0, rng))
    months, counts = seasonality.monthly_counts(db, "X")
    assert months[0] == "2022-02-01" and months[-1] == "2024-11-01"
    assert len(months) == len(counts) == 34
    # `end` cuts the series too: a month ending on `end` is complete, one cut by it is not.
    months, _counts = seasonality.monthly_counts(db, "X", end=date(2024, 6, 30))
    assert months[-1] == "2024-06-01"
    months, _counts = seasonality.monthly_counts(db, "X", end=date(2024, 6, 15))
    assert months[-1] == "2024-05-01"


def test_profiles_cover_the_categories_with_enough_requests():
    rng = np.random.default_rng(11)
    frame = pd.concat(
        [
            daily_requests("BIG", START, END, summer(0.4, 8.0), rng),
            daily_requests("TINY", START, END, lambda d: 0.1, rng),  # ~3 a month
        ],
        ignore_index=True,
    )
    db = database(frame)
    profiles = seasonality.seasonal_profiles(db)
    assert list(profiles) == ["BIG"]
    assert profiles["BIG"].peak_months == [6, 7, 8]
    refusal = seasonality.decomposition(db, "TINY")
    assert isinstance(refusal, seasonality.Unavailable) and refusal.months == 36
    # The profile of a category is the decomposition of that category alone.
    alone = seasonality.decompose(db, "BIG")
    assert alone is not None and alone.observed == profiles["BIG"].observed


def test_weekly_counts_are_local_weeks():
    rng = np.random.default_rng(12)
    frame = daily_requests("X", date(2024, 1, 1), date(2024, 6, 30), lambda d: 5.0, rng)
    # Sunday 31 March 2024, 22:30 UTC is Monday 1 April, 00:30 in Paris: the next week.
    frame = pd.concat(
        [
            frame,
            pd.DataFrame(
                {
                    "category": "X",
                    "requested_datetime": [datetime(2024, 3, 31, 22, 30, tzinfo=UTC)] * 9,
                }
            ),
        ],
        ignore_index=True,
    )
    weeks, counts = seasonality.weekly_counts(database(frame))
    local = pd.DatetimeIndex(pd.to_datetime(frame["requested_datetime"], utc=True)).tz_convert(
        PARIS
    )
    mondays = (local - pd.to_timedelta(local.weekday, unit="D")).strftime("%Y-%m-%d")
    expected = pd.Series(1, index=mondays).groupby(level=0).sum()
    assert weeks[0] == "2024-01-01" and weeks[-1] == "2024-06-24"
    assert [int(expected[w]) for w in weeks] == [int(c) for c in counts]


def _with_a_busy_week(seed: int, week: date, extra_per_day: float, rate) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def planted(day: date) -> float:
        return rate(day) + (extra_per_day if week <= day < week + timedelta(days=7) else 0.0)

    return daily_requests("VOIRIE", START, END, planted, rng)


def test_a_planted_busy_week_is_found_and_nothing_else():
    busy = date(2023, 11, 6)  # a Monday
    for seed in (13, 14, 15):
        frame = _with_a_busy_week(seed, busy, 10.0, lambda d: 15.0)  # +67 % that week
        db = database(frame)
        found = seasonality.anomalies(db, "VOIRIE")
        assert [a.week_start for a in found] == [busy.isoformat()], found
        local = pd.DatetimeIndex(frame["requested_datetime"]).tz_convert(PARIS)
        in_week = ((local.date >= busy) & (local.date < busy + timedelta(days=7))).sum()
        assert found[0].observed == in_week
        assert abs(found[0].expected - 105) < 15  # 15 a day
        assert found[0].z > seasonality.Z_THRESHOLD


def test_a_busy_week_is_found_on_top_of_a_season():
    busy = date(2023, 7, 17)  # in the summer peak: +53 % over an already high level
    # Measured over 30 seeds: +53 % is found every time, +40 % seven times in ten (the season,
    # read from months, fits a single week only roughly and widens the spread of the scores).
    frame = _with_a_busy_week(16, busy, 12.0, summer(0.5, 15.0))
    found = seasonality.anomalies(database(frame), "VOIRIE")
    assert [a.week_start for a in found] == [busy.isoformat()], found
    # `since` only filters what is reported.
    assert seasonality.anomalies(database(frame), "VOIRIE", since=date(2024, 1, 1)) == []


def test_flat_noise_gives_almost_no_exceptional_week():
    """False-positive rate on seeded Poisson noise: measured on 120 series (18,720 weeks, flat
    and seasonal), z > 3.5 flags 2.7 weeks in 10,000. 20 series of 156 weeks (3,120 weeks)
    then expect 0.8 flags; more than 5 has a probability under 0.1 %."""
    flagged, weeks = 0, 0
    for seed in range(100, 120):
        rng = np.random.default_rng(seed)
        rate = summer(0.4, 12.0) if seed % 2 else (lambda d: 12.0)
        db = database(daily_requests("X", START, END, rate, rng))
        flagged += len(seasonality.anomalies(db))
        weeks += len(seasonality.weekly_counts(db)[0])
    assert weeks > 3000
    assert flagged <= 5, flagged


def test_robust_z_is_calibrated_on_poisson_noise():
    """Independent of the database: for Poisson noise the robust z-scores have unit spread and
    the share above 3.5 is close to the normal tail (2.3e-4)."""
    rng = np.random.default_rng(17)
    scores = []
    for level in (5.0, 60.0, 400.0):
        for _ in range(100):
            counts = rng.poisson(level, size=156)
            expected = seasonality.expected_weekly(counts)
            scores.append(seasonality.robust_z(counts.astype(float), expected))
    z = np.concatenate(scores)
    assert 0.9 < np.std(z) < 1.15
    assert np.mean(z > 3.5) < 1e-3


def test_results_are_json():
    frame = _with_a_busy_week(18, date(2023, 11, 6), 10.0, lambda d: 15.0)
    db = database(frame)
    result = seasonality.decompose(db, "VOIRIE")
    refusal = seasonality.decomposition(db, "VOIRIE", min_months=48)
    found = seasonality.anomalies(db)
    assert found and result is not None and isinstance(refusal, seasonality.Unavailable)
    for item in (result, refusal, found[0]):
        assert json.loads(json.dumps(asdict(item))) == asdict(item)
    assert date.fromisoformat(found[0].week_start).weekday() == 0
    assert date.fromisoformat(result.months[0]).day == 1


def test_calendar_order_keeps_runs_across_the_new_year():
    assert seasonality._calendar_order([1, 12, 2]) == [12, 1, 2]
    assert seasonality._calendar_order([8, 6, 7]) == [6, 7, 8]
    assert seasonality._calendar_order([11, 12]) == [11, 12]
    assert seasonality._calendar_order([]) == []


def test_empty_scope_has_no_season_and_no_anomaly():
    db = database(pd.DataFrame({"category": [], "requested_datetime": []}))
    assert seasonality.decompose(db) is None
    assert seasonality.anomalies(db) == []
    assert seasonality.seasonal_profiles(db) == {}
