"""Normalising names and postal codes as people type them."""

import pytest

from pilotis.referential.names import (
    departement_code,
    departements_of_postal_code,
    name_key,
    postal_code,
)


@pytest.mark.parametrize(
    "text",
    [
        "Saint-Malo",
        "St Malo",
        "SAINT-MALO",
        "saint malo",
        "St-Malo",
        "ST. MALO",
        "Saint-Malo (35)",
        "  Saint–Malo  ",
        "Saint-Malo Cedex 2",
        "saint_malo",
    ],
)
def test_name_key_variants_give_one_key(text):
    """Case, accents, punctuation, "St" and "Cedex" do not matter."""
    assert name_key(text).full == "saint malo"


@pytest.mark.parametrize(
    ("text", "full", "bare"),
    [
        ("Le Mans", "le mans", "mans"),
        ("Mans (Le)", "le mans", "mans"),
        ("ROCHELLE, LA", "la rochelle", "rochelle"),
        ("L'Haÿ-les-Roses", "l hay les roses", "hay les roses"),
        ("Ste-Colombe", "sainte colombe", "sainte colombe"),
        ("Châlons s/ Saône", "chalons sur saone", "chalons sur saone"),
        ("Bar s/Aube", "bar sur aube", "bar sur aube"),
        ("Vitry s/s Bois", "vitry sous bois", "vitry sous bois"),
        ("Cœuvres-et-Valsery", "coeuvres et valsery", "coeuvres et valsery"),
        ("Paris 15e Arrondissement", "paris 15", "paris 15"),
        ("PARIS 01", "paris 1", "paris 1"),
        ("Lyon 1er", "lyon 1", "lyon 1"),
        ("Mt-de-Marsan", "mont de marsan", "mont de marsan"),
        ("Le", "le", "le"),
    ],
)
def test_name_key_articles_abbreviations_ordinals(text, full, bare):
    key = name_key(text)
    assert (key.full, key.bare) == (full, bare)
    assert key.compact == bare.replace(" ", "")


def test_name_key_reads_a_trailing_department():
    assert name_key("Sainte-Colombe (35)").departement == "35"
    assert name_key("Ajaccio (2a)").departement == "2A"
    assert name_key("Sainte-Colombe").departement is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("35400", "35400"),
        ("35401 CEDEX 2", "35401"),
        ("F-35400", "35400"),
        (1400, "01400"),
        ("1400", "01400"),
        ("", None),
        ("abc", None),
        (None, None),
        ("123", None),
        (3.5, None),
    ],
)
def test_postal_code_cleaning(raw, code):
    assert postal_code(raw) == code


def test_departements_of_postal_code():
    assert departements_of_postal_code("35400") == ("35",)
    assert departements_of_postal_code("20000") == ("2A", "2B")
    assert departements_of_postal_code("97400") == ("974",)


def test_departement_code():
    assert departement_code("1") == "01"
    assert departement_code(" 2a ") == "2A"
    assert departement_code("971") == "971"
