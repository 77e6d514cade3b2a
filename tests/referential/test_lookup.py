"""Look-ups in the referential: official codes, and commune names as people type them."""

import pytest

from pilotis.referential.lookup import CommuneIndex, OfficialEntity, describe

SAINT_MALO_AGGLO = "243500782"


def test_describe_commune_saint_malo(referential):
    """A commune gives its SIREN, postal codes, population and the SIREN of its EPCI."""
    entity = describe("35288")
    assert entity == OfficialEntity(
        code="35288",
        kind="commune",
        name="Saint-Malo",
        siren="213502883",
        population=47439,
        postal_codes=["35400"],
        parent_epci_code=SAINT_MALO_AGGLO,
        member_codes=[],
    )


def test_describe_epci_lists_its_members(referential):
    """Saint-Malo Agglomération has 18 member communes, Saint-Malo among them."""
    entity = describe(SAINT_MALO_AGGLO)
    assert entity is not None
    assert entity.kind == "epci"
    assert entity.name == "CA du Pays de Saint Malo Agglomération"
    assert len(entity.member_codes) == 18
    assert "35288" in entity.member_codes
    assert "35400" in entity.postal_codes


def test_describe_corsica_and_lower_case(referential):
    entity = describe("2a004")
    assert entity is not None and entity.name == "Ajaccio" and entity.code == "2A004"


def test_describe_two_digits_prefers_department(referential):
    """53 is both Mayenne (department) and Bretagne (region): bare, it is the department."""
    assert describe("53").kind == "departement"
    assert describe("53").name == "Mayenne"
    region = describe("53", kind="region")
    assert region.kind == "region" and region.name == "Bretagne"
    assert region.population > 3_000_000


def test_describe_department_codes(referential):
    assert describe("2B").name == "Haute-Corse"
    assert describe("971").name == "Guadeloupe"
    assert describe("1").name == "Ain"
    assert describe("35").population > 1_000_000


def test_describe_commune_siren_gives_the_commune(referential):
    assert describe("213502883").code == "35288"


def test_describe_arrondissement_municipal(referential):
    """Paris 1er is an arrondissement, whose EPCI is Paris's (Métropole du Grand Paris)."""
    entity = describe("75101")
    assert entity.kind == "arrondissement"
    assert entity.parent_epci_code == describe("75056").parent_epci_code is not None


@pytest.mark.parametrize("code", ["99999", "000000000", "", "ABCDEFGHIJ", "2C"])
def test_describe_unknown_is_none(referential, code):
    assert describe(code) is None


def test_describe_with_kind_looks_only_there(referential):
    assert describe("35288", kind="epci") is None


# Name matching: the index of the shipped snapshot (no database) -------------------------------


@pytest.mark.parametrize(
    "text", ["St Malo", "SAINT-MALO", "saint malo", "St-Malo", "Saint Malo (35)", "SAINTMALO"]
)
def test_by_name_variants_find_saint_malo(shipped_index, text):
    assert shipped_index.by_name(text) == ["35288"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Le Mans", "72181"),
        ("Mans (Le)", "72181"),
        ("MANS", "72181"),
        ("L'Haÿ-les-Roses", "94038"),
        ("l hay les roses", "94038"),
        ("La Fresnais", "35116"),
        ("Fresnais", "35116"),
        ("Chateauneuf d Ille et Vilaine", "35070"),
        ("Bar s/ Aube", "10033"),
        ("Paris 15e", "75115"),
        ("PARIS 15EME ARRONDISSEMENT", "75115"),
        ("Marseille 1er", "13201"),
        ("Ajaccio", "2A004"),
    ],
)
def test_by_name_articles_abbreviations_arrondissements(shipped_index, text, code):
    assert shipped_index.by_name(text) == [code]


def test_by_name_leading_article_kept_when_it_distinguishes(shipped_index):
    """ "Le Pin" names the nine Le Pin, never "Pin" (Haute-Saône); "Pin" names only that one."""
    le_pin = shipped_index.by_name("Le Pin")
    assert len(le_pin) == 9
    assert shipped_index.by_name("Pin") == ["70410"]
    assert "70410" not in le_pin


def test_by_name_homonyms_all_returned_then_narrowed(shipped_index):
    """Twelve communes are called Sainte-Colombe: all returned, one per department."""
    codes = shipped_index.by_name("Ste Colombe")
    assert len(codes) == 12
    assert shipped_index.by_name("Sainte-Colombe", departement="35") == ["35262"]
    assert shipped_index.by_name("Sainte-Colombe (35)") == ["35262"]
    assert shipped_index.by_name("Sainte-Colombe", postal_code="35134") == ["35262"]


def test_by_name_cedex_postal_code_narrows_by_department(shipped_index):
    """A CEDEX code is not in La Poste's list: its department narrows the homonyms instead."""
    assert shipped_index.by_name("Sainte-Colombe", postal_code="35139 CEDEX") == ["35262"]
    assert shipped_index.by_name("Saint-Malo", postal_code="35401 CEDEX 2") == ["35288"]


def test_by_name_wrong_department_gives_nothing(shipped_index):
    assert shipped_index.by_name("Saint-Malo", departement="29") == []


def test_by_name_former_commune_leads_to_its_commune_nouvelle(shipped_index):
    """Antrain became a commune déléguée of Val-Couesnon (35004)."""
    assert shipped_index.by_name("Antrain") == ["35004"]


def test_by_name_unknown(shipped_index):
    assert shipped_index.by_name("Nulle-Part-sur-Mer") == []
    assert shipped_index.by_name("") == []


def test_by_postal_code(shipped_index):
    assert shipped_index.by_postal_code("35400") == ["35288"]
    assert shipped_index.by_postal_code("35400 CEDEX") == ["35288"]
    assert shipped_index.by_postal_code("75015") == ["75056"]  # Paris, not its arrondissement
    assert len(shipped_index.by_postal_code("35430")) > 5  # one code, several communes
    assert shipped_index.by_postal_code("00000") == []


def test_resolve_many_unique_ambiguous_unknown(shipped_index):
    """One code when exactly one commune matches; None when none or several do."""
    names = ["St Malo", "Sainte-Colombe", "Sainte Colombe", None, "", "Nowhere", float("nan")]
    postal_codes = [None, None, 35134, "35400", "35400", "35400", 35400.0]
    assert shipped_index.resolve_many(names, postal_codes) == [
        "35288",
        None,  # twelve Sainte-Colombe
        "35262",
        "35288",  # no name: the postal code alone
        "35288",
        None,
        "35288",
    ]


def test_resolve_many_without_postal_codes(shipped_index):
    assert shipped_index.resolve_many(["ST MALO", "Rennes", "Rennes"]) == [
        "35288",
        "35238",
        "35238",
    ]


def test_resolve_many_lengths_must_match(shipped_index):
    with pytest.raises(ValueError, match="same length"):
        shipped_index.resolve_many(["Rennes"], ["35000", "35200"])


def test_index_from_db_matches_index_from_snapshot(referential, shipped_index):
    """Built from the tables or from the file, the index answers the same."""
    from_db = CommuneIndex.from_db()
    assert len(from_db) == len(shipped_index) > 34_000
    for text in ("Saint-Malo", "Sainte-Colombe", "Antrain", "Paris 15e", "Le Pin"):
        assert from_db.by_name(text) == shipped_index.by_name(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Saint-Maol", "35288"),
        ("Rennnes", "35238"),
        ("Ploërmell", "56165"),
        ("Val-Couesnnon", "35004"),
    ],
)
def test_by_name_fuzzy_finds_one_typo(shipped_index, text, code):
    """With fuzzy, a name one typing error away matches; without, it does not."""
    assert shipped_index.by_name(text) == []
    assert shipped_index.by_name(text, fuzzy=True) == [code]


def test_by_name_fuzzy_never_overrides_an_exact_match(shipped_index):
    """ "Angres" is a commune: it is not read as a typo of Angers."""
    assert shipped_index.by_name("Angres", fuzzy=True) == ["62032"]


def test_resolve_many_fuzzy_ambiguous_typo_is_none(shipped_index):
    """ "Bordeau" is one letter from Bordeaux and from Bourdeau: no guess."""
    assert len(shipped_index.by_name("Bordeau", fuzzy=True)) == 2
    assert shipped_index.resolve_many(["Bordeau", "Tolouse"], fuzzy=True) == [None, "31555"]
