# ruff: noqa: S608 - SQL is built from the periods' own predicates
"""What is rising: categories and words with a statistically significant growth.

A count `a` in the current period is compared with a count `b` in a reference period (the
previous period of the same length, or the same days a year before). If both are Poisson counts
with the same underlying rate per unit of exposure, then given their sum, `a` follows
Binomial(a + b, p0) where p0 is the current period's share of the exposure — the exact
conditional test of two Poisson rates (Przyborowski & Wilenski, 1940). The p-value is the
one-sided P(X ≥ a): only growth is looked for.

- categories: the exposure is the number of days (p0 = 1/2 for two periods of the same length):
  "more requests of this category per day than before";
- terms: the exposure is the number of described requests of each period, and a term's count is
  the number of requests using it (document frequency): "a larger share of the requests talks
  about this", so a general rise of the volume does not make every word rise.

Many categories (and thousands of terms) are tested at once: some would pass at 5 % by chance.
The Benjamini–Hochberg procedure turns the p-values into q-values controlling the false discovery
rate; a rise is *significant* when q < `ALPHA` **and** it is large enough to matter (at least
`MIN_RATIO` times the expected count and `MIN_INCREASE` more requests): with a lot of data, tiny
rises are significant but not worth a line on the page.

Limit: requests come in bursts (a storm, one street's works), more than Poisson counts do; the
test then finds bursts significant — which they are, as rises, even if they do not last.

Terms are cut from descriptions by `pilotis.requests.text` (e-mails, phone numbers, digits and
titled names removed); only terms used in at least `min_count` distinct requests over the two
periods are tested, and terms holding a proper noun are not shown, so no person's words surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.feature_extraction.text import CountVectorizer

from pilotis.requests import text
from pilotis.requests.data import Database, Period

ALPHA = 0.05
MIN_RATIO = 1.2
MIN_INCREASE = 10
# A word used at most this many times as often as a phrase holding it rises through the phrase.
PHRASE_SHARE = 1.25


@dataclass
class Rise:
    """One category or term, current period against reference (JSON-serialisable as is)."""

    key: str  # category code, or folded term ("nid poule")
    label: str  # what to show: the category code again, or the term's usual spelling
    current: int
    reference: int
    expected: float  # the reference count scaled to the current period's exposure
    ratio: float | None  # current / expected; None when nothing was expected
    change: float  # current - expected
    p_value: float
    q_value: float
    significant: bool


def _check(period: Period, reference: Period) -> None:
    if reference.end >= period.start:
        raise ValueError("the reference period must end before the current one starts")


def compare_counts(
    keys: list[str],
    current: np.ndarray,
    reference: np.ndarray,
    share: float,
    *,
    labels: list[str] | None = None,
    min_ratio: float = MIN_RATIO,
    min_increase: float = MIN_INCREASE,
    alpha: float = ALPHA,
) -> list[Rise]:
    """The conditional binomial test and BH correction over aligned count arrays.

    `share` is p0, the current period's share of the exposure. Results come in `keys` order."""
    if not keys:
        return []
    current = np.asarray(current, dtype=np.int64)
    reference = np.asarray(reference, dtype=np.int64)
    total = current + reference
    # P(X >= a) for X ~ Binomial(a + b, p0); sf(a - 1) is exactly that (1 when a = 0).
    p_values = stats.binom.sf(current - 1, total, share)
    q_values = stats.false_discovery_control(p_values, method="bh")
    expected = reference * share / (1 - share)
    rises = []
    for i, key in enumerate(keys):
        ratio = float(current[i] / expected[i]) if expected[i] > 0 else None
        change = float(current[i] - expected[i])
        big_enough = change >= min_increase and (ratio is None or ratio >= min_ratio)
        rises.append(
            Rise(
                key=key,
                label=labels[i] if labels else key,
                current=int(current[i]),
                reference=int(reference[i]),
                expected=round(float(expected[i]), 2),
                ratio=round(ratio, 4) if ratio is not None else None,
                change=round(change, 2),
                p_value=float(p_values[i]),
                q_value=float(q_values[i]),
                significant=bool(q_values[i] < alpha and big_enough),
            )
        )
    return rises


def _order(rise: Rise) -> tuple[bool, float, float]:
    return (not rise.significant, -rise.change, rise.q_value)


def rising_categories(
    db: Database,
    period: Period,
    reference: Period | None = None,
    *,
    min_ratio: float = MIN_RATIO,
    min_increase: float = MIN_INCREASE,
    alpha: float = ALPHA,
) -> list[Rise]:
    """Every category seen in either period, significant rises first (then by change).

    `reference` defaults to the previous period of the same length. Requests without category
    are left out."""
    reference = reference or period.previous()
    _check(period, reference)
    rows = db.rows(
        f"""
        SELECT category,
               count(*) FILTER (WHERE {period.sql()}) AS current_count,
               count(*) FILTER (WHERE {reference.sql()}) AS reference_count
        FROM requests
        WHERE category IS NOT NULL AND (({period.sql()}) OR ({reference.sql()}))
        GROUP BY category
        ORDER BY category
        """
    )
    share = period.days / (period.days + reference.days)
    rises = compare_counts(
        [str(r[0]) for r in rows],
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        share,
        min_ratio=min_ratio,
        min_increase=min_increase,
        alpha=alpha,
    )
    return sorted(rises, key=_order)


def rising_terms(
    db: Database,
    period: Period,
    reference: Period | None = None,
    top: int = 20,
    *,
    min_count: int = 10,
    min_ratio: float = MIN_RATIO,
    min_increase: float = MIN_INCREASE,
    alpha: float = ALPHA,
) -> list[Rise]:
    """The terms (unigrams and bigrams) of descriptions whose use rises significantly.

    Only significant rises are returned (the candidates are thousands), largest change first, at
    most `top`; a word that rises mostly inside a rising phrase is left to the phrase, and a term
    whose words all belong to a term listed before is skipped. The BH correction runs over every
    term tested (used in at least `min_count` requests over both periods)."""
    reference = reference or period.previous()
    _check(period, reference)
    rows = db.rows(
        f"""
        SELECT description, CASE WHEN {period.sql()} THEN 1 ELSE 0 END AS is_current
        FROM requests
        WHERE description IS NOT NULL AND (({period.sql()}) OR ({reference.sql()}))
        """
    )
    cleaned = text.clean_all(r[0] for r in rows)
    kept = [i for i, c in enumerate(cleaned) if c]
    if not kept:
        return []
    is_current = np.array([rows[i][1] == 1 for i in kept])
    vectorizer = CountVectorizer(
        analyzer=text.ngrams, binary=True, min_df=max(1, min_count), dtype=np.int32
    )
    try:
        matrix = vectorizer.fit_transform([cleaned[i] for i in kept])
    except ValueError:  # no term reaches min_count
        return []
    terms = [str(t) for t in vectorizer.get_feature_names_out()]
    current = np.asarray(matrix[is_current].sum(axis=0)).ravel()
    previous = np.asarray(matrix[~is_current].sum(axis=0)).ravel()
    n_current, n_reference = int(is_current.sum()), int((~is_current).sum())
    if n_current == 0 or n_reference == 0:
        return []
    share = n_current / (n_current + n_reference)
    rises = compare_counts(
        terms,
        current,
        previous,
        share,
        min_ratio=min_ratio,
        min_increase=min_increase,
        alpha=alpha,
    )
    candidates = sorted((r for r in rises if r.significant), key=_order)
    # A word that rises mostly inside a rising phrase ("frelon" in "frelon asiatique") says
    # less than the phrase: drop it, whatever its rank (its own rise is at least the phrase's).
    by_key = {r.key: r for r in candidates}
    inside = {
        word
        for r in candidates
        if " " in r.key
        for word in r.key.split()
        if word in by_key and by_key[word].current <= PHRASE_SHARE * r.current
    }
    picked: list[Rise] = []
    covered: set[str] = set()
    for rise in candidates:
        words = set(rise.key.split())
        if rise.key in inside or words <= covered:
            continue
        picked.append(rise)
        covered |= words
        if len(picked) >= 2 * top:  # spare ones for the terms dropped below
            break
    # Usual spelling, from the current period's descriptions; terms with a proper noun go.
    spelling = text.surface_forms(
        (rows[i][0] for i in kept if rows[i][1] == 1), {r.key for r in picked}
    )
    shown = []
    for rise in picked:
        if rise.key in spelling:
            rise.label = spelling[rise.key]
            shown.append(rise)
    return shown[:top]
