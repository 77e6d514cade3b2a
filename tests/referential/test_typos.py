"""One typing error away: the deletion-neighbourhood index behind fuzzy matching."""

import pytest

from pilotis.referential.typos import TypoIndex, within_one_edit


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("saintmalo", "saintmalo", True),
        ("saintmaol", "saintmalo", True),  # swapped neighbours
        ("saintmlo", "saintmalo", True),  # letter missing
        ("saintmaloo", "saintmalo", True),  # letter added
        ("saintmalu", "saintmalo", True),  # letter replaced
        ("saintmuli", "saintmalo", False),  # two replaced
        ("saintmaloxx", "saintmalo", False),
        ("sainmtalo", "saintmalo", True),
        ("asintmalo", "saintmalo", True),
        ("siantmalo", "saintmalo", True),
        ("santimalo", "saintmalo", False),  # a rotation is two edits
    ],
)
def test_within_one_edit(a, b, near):
    assert within_one_edit(a, b) is near
    assert within_one_edit(b, a) is near


def test_typo_index_near():
    index = TypoIndex(["saintmalo", "saintmalon", "rennes", "cancale"])
    assert index.near("saintmaol") == ["saintmalo"]
    assert index.near("saintmalo") == ["saintmalo", "saintmalon"]
    assert index.near("rennnes") == ["rennes"]
    assert index.near("zzzzzzzz") == []


def test_typo_index_ignores_short_queries():
    """Five letters or fewer: one edit away reaches too many names to be of use."""
    assert TypoIndex(["rennes"]).near("renes") == []
