"""Rises found where they were planted and not in noise, with p-values and q-values recomputed
independently (scipy's exact binomial test, statsmodels' Benjamini–Hochberg)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from pilotis.requests import rising, text
from pilotis.requests.data import Period
from tests.requests.stats_fixtures import PARIS, daily_requests, database, text_requests

PERIOD = Period(date(2024, 4, 1), date(2024, 6, 30))  # 91 days
REFERENCE = PERIOD.previous()  # 2023-12-31 … 2024-03-31, 91 days as well


def expected_p(current: int, reference: int, share: float) -> float:
    """One-sided exact conditional test of two Poisson rates: P(X ≥ a), X ~ Bin(a + b, p0)."""
    if current + reference == 0:
        return 1.0
    return binomtest(current, current + reference, share, alternative="greater").pvalue


def bh(p_values: list[float]) -> np.ndarray:
    return multipletests(p_values, method="fdr_bh")[1]


def local_counts(frame: pd.DataFrame, period: Period) -> pd.Series:
    local = pd.to_datetime(frame["requested_datetime"], utc=True).dt.tz_convert(PARIS).dt.date
    inside = frame[(local >= period.start) & (local <= period.end)]
    return inside.groupby("category").size()


def background(rng: np.random.Generator, start: date, end: date, n: int = 8, rate: float = 5.0):
    return [daily_requests(f"STABLE_{i}", start, end, lambda d: rate, rng) for i in range(n)]


def doubling(rng: np.random.Generator, start: date, end: date) -> pd.DataFrame:
    return daily_requests("VOIRIE", start, end, lambda d: 4.0 if d >= PERIOD.start else 2.0, rng)


# --- compare_counts ---------------------------------------------------------------------------


def test_p_and_q_values_are_the_exact_one_sided_test_and_benjamini_hochberg():
    current = np.array([30, 12, 0, 55, 40, 7, 100, 15, 3])
    reference = np.array([10, 12, 5, 50, 20, 0, 60, 0, 0])
    keys = [f"K{i}" for i in range(len(current))]
    for share in (0.5, 0.3, 29 / 57):
        rises = rising.compare_counts(keys, current, reference, share)
        assert [r.key for r in rises] == keys  # in the order given
        p = [expected_p(int(a), int(b), share) for a, b in zip(current, reference, strict=True)]
        q = bh(p)
        for i, rise in enumerate(rises):
            assert rise.current == current[i] and rise.reference == reference[i]
            assert rise.p_value == pytest.approx(p[i], rel=1e-9, abs=1e-300)
            assert rise.q_value == pytest.approx(q[i], rel=1e-9, abs=1e-300)
            expected = reference[i] * share / (1 - share)
            assert rise.expected == pytest.approx(expected, abs=0.005)
            assert rise.change == pytest.approx(current[i] - expected, abs=0.005)
            if expected > 0:
                assert rise.ratio == pytest.approx(current[i] / expected, abs=1e-4)
            else:
                assert rise.ratio is None
            big = (current[i] - expected >= 10) and (expected == 0 or current[i] >= 1.2 * expected)
            assert rise.significant == (q[i] < 0.05 and big), rise
    # By hand, at p0 = 1/2: 12 against 12 is P(X ≥ 12 | n = 24) = 1/2 + P(X = 12)/2; nothing in
    # the current period is certain (p = 1); 15 against 0 is 2^-15.
    half = rising.compare_counts(keys, current, reference, 0.5)
    assert half[1].p_value == pytest.approx(0.5 + 2704156 / 2**24 / 2)
    assert half[2].p_value == 1.0
    assert half[7].p_value == pytest.approx(2.0**-15)
    assert half[7].significant and half[7].ratio is None  # nothing expected, 15 more
    assert not half[8].significant  # 3 against 0: p = 1/8
    assert rising.compare_counts([], np.array([]), np.array([]), 0.5) == []
    labelled = rising.compare_counts(["a", "b"], [20, 1], [2, 1], 0.5, labels=["A", "B"])
    assert [r.label for r in labelled] == ["A", "B"]


def test_small_or_tiny_rises_are_not_significant_however_sure():
    """q is astronomically small for 2 000 against 1 800, but +11 % is below MIN_RATIO; 25 more
    than expected is not 30 more."""
    keys = ["big_small_ratio", "few_more"]
    current, reference = np.array([2000, 30]), np.array([1800, 5])
    rises = rising.compare_counts(keys, current, reference, 0.5)
    assert all(r.q_value < 1e-3 for r in rises)
    assert [r.significant for r in rises] == [False, True]
    gates = {"min_ratio": 1.05, "min_increase": 30}
    stricter = rising.compare_counts(keys, current, reference, 0.5, **gates)
    assert [r.significant for r in stricter] == [True, False]
    # Exactly at the gates counts as enough: 24 against 10 is +14 and ×2.4.
    edge = rising.compare_counts(["e"], [24], [10], 0.5, min_increase=14, min_ratio=2.4)
    assert edge[0].change == 14 and edge[0].significant
    # A stricter alpha removes what a looser one keeps.
    assert rising.compare_counts(["e"], [24], [10], 0.5, alpha=0.05)[0].significant
    assert not rising.compare_counts(["e"], [24], [10], 0.5, alpha=1e-3)[0].significant


def test_the_test_is_calibrated_on_poisson_noise():
    """Pairs of Poisson(50) counts: measured with seed 0, 4.3 % of p-values are below 5 % and
    0.9 % below 1 % (the exact discrete test is slightly conservative), and none of the 5 000 is
    significant after Benjamini–Hochberg."""
    rng = np.random.default_rng(0)
    a, b = rng.poisson(50, 5000), rng.poisson(50, 5000)
    rises = rising.compare_counts([str(i) for i in range(5000)], a, b, 0.5)
    p = np.array([r.p_value for r in rises])
    assert 0.03 < np.mean(p < 0.05) <= 0.055
    assert np.mean(p < 0.01) <= 0.013
    assert sum(r.significant for r in rises) <= 1


# --- categories --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_doubling_category_is_the_only_significant_rise(seed):
    """Measured over seeds 0–19: the doubled category is flagged, alone, every time."""
    rng = np.random.default_rng(seed)
    start, end = REFERENCE.start - timedelta(days=30), date(2024, 8, 31)  # rows outside, too
    frames = [*background(rng, start, end), doubling(rng, start, end)]
    # Uncategorised requests (many more in the current period) are left out.
    frames.append(daily_requests(None, REFERENCE.start, PERIOD.end, lambda d: 3.0, rng))
    frames.append(daily_requests(None, PERIOD.start, PERIOD.end, lambda d: 10.0, rng))
    frame = pd.concat(frames, ignore_index=True)
    rises = rising.rising_categories(database(frame), PERIOD)
    assert [r.key for r in rises if r.significant] == ["VOIRIE"]
    assert rises[0].key == "VOIRIE"
    assert rises[0].ratio == pytest.approx(2.0, abs=0.5)  # 2 × sd ≈ 0.36
    assert {r.key for r in rises} == {f"STABLE_{i}" for i in range(8)} | {"VOIRIE"}
    # Counts, p-values and q-values recomputed from the rows.
    current, reference = local_counts(frame, PERIOD), local_counts(frame, REFERENCE)
    by_key = {r.key: r for r in rises}
    keys = sorted(by_key)
    p = [expected_p(int(current[k]), int(reference[k]), 0.5) for k in keys]
    for k, q in zip(keys, bh(p), strict=True):
        rise = by_key[k]
        assert (rise.current, rise.reference) == (current[k], reference[k])
        assert rise.expected == reference[k]
        assert rise.p_value == pytest.approx(p[keys.index(k)], rel=1e-9, abs=1e-300)
        assert rise.q_value == pytest.approx(q, rel=1e-9, abs=1e-300)
    # Significant first, then the largest change first.
    rest = [r.change for r in rises[1:]]
    assert rest == sorted(rest, reverse=True)


def test_period_edges_are_local_days_and_the_exposure_is_the_days():
    """Around the spring clock change: 23:30 on 31 March is the reference's last day, 00:10 on
    1 April the period's first; 23:59 on 30 June is in, midnight on 1 July is out."""
    stamps = (
        [datetime(2024, 3, 31, 23, 30, tzinfo=PARIS)] * 5
        + [datetime(2024, 4, 1, 0, 10, tzinfo=PARIS)] * 7
        + [datetime(2024, 6, 30, 23, 59, tzinfo=PARIS)] * 3
        + [datetime(2024, 7, 1, 0, 0, tzinfo=PARIS)] * 4
        + [datetime(2023, 12, 30, 23, 59, tzinfo=PARIS)] * 6  # before the reference
    )
    frame = pd.DataFrame({"category": "EDGE", "requested_datetime": stamps})
    (edge,) = rising.rising_categories(database(frame), PERIOD)
    assert (edge.current, edge.reference) == (10, 5)
    assert edge.p_value == pytest.approx(expected_p(10, 5, 0.5))
    # A reference of another length: the exposure share is the period's share of the days.
    short = Period(date(2024, 3, 1), date(2024, 3, 31))
    (edge,) = rising.rising_categories(database(frame), PERIOD, short)
    share = 91 / (91 + 31)
    assert (edge.current, edge.reference) == (10, 5)
    assert edge.expected == pytest.approx(5 * share / (1 - share), abs=0.005)
    assert edge.p_value == pytest.approx(expected_p(10, 5, share), rel=1e-9)
    # The same days a year before.
    year = PERIOD.year_before()
    assert (year.start, year.end) == (date(2023, 4, 1), date(2023, 6, 30))
    assert rising.rising_categories(database(frame), PERIOD, year)[0].reference == 0


def test_the_gates_apply_to_categories_too():
    rng = np.random.default_rng(4)
    start = REFERENCE.start
    frame = pd.concat([*background(rng, start, PERIOD.end), doubling(rng, start, PERIOD.end)])
    db = database(frame)
    voirie = next(r for r in rising.rising_categories(db, PERIOD) if r.key == "VOIRIE")
    assert voirie.significant
    strict = rising.rising_categories(db, PERIOD, min_ratio=voirie.ratio + 0.01)
    assert not any(r.significant for r in strict)
    strict = rising.rising_categories(db, PERIOD, min_increase=voirie.change + 1)
    assert not any(r.significant for r in strict)
    assert not any(r.significant for r in rising.rising_categories(db, PERIOD, alpha=1e-300))


def test_stable_categories_rarely_rise():
    """Ten categories at five a day, twelve seeds: at most a chance flag or two. Measured over
    seeds 0–19: none flagged; the smallest q-value of a seed was 0.056."""
    flagged = 0
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        frame = pd.concat(background(rng, REFERENCE.start, PERIOD.end, n=10), ignore_index=True)
        flagged += sum(r.significant for r in rising.rising_categories(database(frame), PERIOD))
    assert flagged <= 2, flagged


def test_reference_periods_that_overlap_are_refused():
    db = database(pd.DataFrame({"category": ["X"], "requested_datetime": [datetime.now(PARIS)]}))
    overlapping = [
        PERIOD,
        Period(date(2024, 3, 1), date(2024, 4, 1)),  # one day in common
        Period(date(2024, 6, 30), date(2024, 7, 30)),
        Period(date(2024, 5, 1), date(2024, 5, 2)),  # inside
        Period(date(2024, 1, 1), date(2024, 12, 31)),  # around
    ]
    for reference in overlapping:
        with pytest.raises(ValueError):
            rising.rising_categories(db, PERIOD, reference)
        with pytest.raises(ValueError):
            rising.rising_terms(db, PERIOD, reference)
    with pytest.raises(ValueError):
        Period(date(2024, 5, 2), date(2024, 5, 1))
    # Ending the day before is fine (and the only request is in neither period).
    assert rising.rising_categories(db, PERIOD, Period(date(2024, 3, 1), date(2024, 3, 31))) == []


def test_a_reference_after_the_period_is_refused():
    db = database(pd.DataFrame({"category": ["X"], "requested_datetime": [datetime.now(PARIS)]}))
    later = Period(date(2024, 7, 1), date(2024, 9, 29))
    with pytest.raises(ValueError):
        rising.rising_categories(db, PERIOD, later)


# --- terms -------------------------------------------------------------------------------------


def described(seed: int, reference_n: int = 600, current_n: int = 1200) -> pd.DataFrame:
    """Descriptions of the same topics in both periods, twice as many in the current one: a rise
    of the volume is not a rise of any term (the exposure is the number of requests)."""
    reference = text_requests(reference_n, seed, start=REFERENCE.start, days=REFERENCE.days)
    current = text_requests(current_n, seed + 50, start=PERIOD.start, days=PERIOD.days)
    return pd.concat([reference, current], ignore_index=True)


def planted_hornets(seed: int, phrase: str = " Un frelon asiatique vu par Kerlouan ici."):
    frame = described(seed)
    current = np.flatnonzero(frame["requested_datetime"].dt.date >= PERIOD.start)
    chosen = np.random.default_rng(seed).choice(current, 40, replace=False)
    frame.loc[chosen, "description"] += phrase
    # Written twice in one request: a term counts the requests using it, not its occurrences.
    frame.loc[chosen[:5], "description"] += " Encore ce frelon asiatique !"
    # Requests that clean to nothing, or have no description, are not part of the exposure.
    empty = pd.DataFrame(
        {
            "category": "X",
            "description": ["Bonjour, merci."] * 200 + [None] * 100,
            "requested_datetime": datetime(2024, 5, 5, 10, tzinfo=PARIS),
        }
    )
    return pd.concat([frame, empty], ignore_index=True)


@pytest.mark.parametrize("seed", [1, 3])
def test_a_new_term_of_the_current_period_is_found(seed):
    """Measured over seeds 1–5: the planted words are the only rises but once (seed 2 also had
    'bitume', 28 requests against 2 — a real fluctuation of the draw)."""
    frame = planted_hornets(seed)
    db = database(frame)
    rises = rising.rising_terms(db, PERIOD)
    keys = [r.key for r in rises]
    words = {w for k in keys for w in k.split()}
    assert {"frelon", "asiatique"} <= words, keys
    assert "kerlouan" not in words  # a name, written with a capital: never shown
    assert all(r.significant for r in rises)
    assert all({"frelon", "asiatique", "vu"} & set(k.split()) for k in keys), keys
    # The exposure: described requests of each period whose text keeps a content word.
    local = frame["requested_datetime"].dt.tz_convert(PARIS).dt.date
    kept = frame["description"].map(lambda d: bool(text.clean(d)) if isinstance(d, str) else False)
    n_current = int((kept & (local >= PERIOD.start) & (local <= PERIOD.end)).sum())
    n_reference = int((kept & (local >= REFERENCE.start) & (local <= REFERENCE.end)).sum())
    assert (n_current, n_reference) == (1200, 600)
    share = n_current / (n_current + n_reference)
    # The words rise through the phrase: the phrase is what is listed.
    assert "frelon" not in keys and "asiatique" not in keys, keys
    frelon = next(r for r in rises if r.key == "frelon asiatique")
    assert (frelon.current, frelon.reference) == (40, 0)
    assert frelon.label == "frelon asiatique"
    assert frelon.expected == 0 and frelon.ratio is None and frelon.change == 40
    assert frelon.p_value == pytest.approx(expected_p(40, 0, share), rel=1e-9)
    assert frelon.p_value == pytest.approx(share**40, rel=1e-9)
    # Nothing rises without the planted phrase.
    assert rising.rising_terms(database(described(seed)), PERIOD) == []
    # `top` keeps the largest changes.
    assert len(rising.rising_terms(db, PERIOD, top=1)) == 1


def test_a_planted_phrase_is_listed_as_the_phrase():
    rises = rising.rising_terms(database(planted_hornets(1, " frelon asiatique.")), PERIOD)
    keys = [r.key for r in rises]
    assert "frelon asiatique" in keys, keys
    assert "frelon" not in keys and "asiatique" not in keys, keys


def test_rising_terms_respects_top_and_min_count():
    frame = described(4)
    current = np.flatnonzero(frame["requested_datetime"].dt.date >= PERIOD.start)
    rng = np.random.default_rng(4)
    sizes = {"zinzolin": 60, "mordoré": 45, "cramoisi": 35, "nacarat": 25}
    for word, size in sizes.items():
        frame.loc[rng.choice(current, size, replace=False), "description"] += f" teinte {word}."
    db = database(frame)
    rises = rising.rising_terms(db, PERIOD, top=3)
    assert len(rises) == 3
    changes = [r.change for r in rises]
    assert changes == sorted(changes, reverse=True)
    assert rises[0].key == "teinte"  # in all of them: the largest change
    # Then the two most used colours (alone, or after "teinte": they are as frequent).
    assert "zinzolin" in rises[1].key.split() and rises[1].current == 60
    assert "mordore" in rises[2].key.split() and "mordoré" in rises[2].label
    assert rises[2].current == 45

    # Terms used in fewer than min_count requests over both periods are not even tested.
    def words(min_count: int) -> set[str]:
        return {
            w for r in rising.rising_terms(db, PERIOD, min_count=min_count) for w in r.key.split()
        }

    assert "nacarat" in words(25)
    assert "nacarat" not in words(26)
    assert "cramoisi" in words(26)


def test_noise_in_descriptions_rarely_rises():
    """Same topics in both periods, volume doubled: measured over seeds 1–7, no term at all."""
    flagged = sum(len(rising.rising_terms(database(described(seed)), PERIOD)) for seed in (6, 7))
    assert flagged <= 1
