"""National schemas (schema.data.gouv.fr): the copies Pilotis ships, the check of a file against
them, and the safe fixes. The files are under tests/opendata/fixtures (see their SOURCES.md):
the official examples of scdl/subventions 2.1.1 and five files French authorities really
published, read exactly as they are (Windows-1252, `;`, CRLF…)."""

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotis.connectors.kinds import SourceError
from pilotis.errors import PilotisError
from pilotis.opendata import national
from pilotis.opendata.national import Fix, Report

FIXTURES = Path(__file__).parent / "fixtures"
SUBVENTIONS = FIXTURES / "subventions"
REAL = SUBVENTIONS / "real-world"
SOMME = REAL / "somme-20180330-conventions.csv"
HAUTE_GARONNE = REAL / "haute-garonne-datalocale-2017.csv"
LOT = REAL / "lot-2017.csv"
POITIERS = REAL / "poitiers-2017.csv"
NIEVRE = REAL / "nievre-cd58-2016.csv"


@pytest.fixture(autouse=True)
def _english():
    """The messages are asserted in English here; the page tests read them in French."""
    with translation.override("en"):
        yield


def raw_records(path: Path, encoding: str, delimiter: str) -> tuple[list[list[str]], list[str]]:
    """The file as a spreadsheet shows it (one record per row, empty lines included: row n is
    records[n - 1]) and as a text editor does (line n is lines[n - 1]), read independently."""
    text = path.read_bytes().decode(encoding)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return records, text.splitlines()


def assert_error_in_file(report: Report, path: Path, encoding: str, delimiter: str) -> None:
    """Every error listed quotes the value the file holds at its row, in its column, and the
    row starts on the line it gives (a row spans several lines when a value does)."""
    records, lines = raw_records(path, encoding, delimiter)
    header = records[0]
    assert report.errors
    for error in report.errors:
        if error.rule in ("primaryKey", "one-of-required"):
            continue
        record = records[error.row - 1]
        assert record[header.index(error.column)] == error.value, error
        span = 1 + sum(len(value.splitlines()) - 1 for value in record if value)
        text = "\n".join(lines[error.line - 1 : error.line - 1 + span])
        assert text.startswith(record[0].splitlines()[0] if record[0] else ""), error
        for line in (error.value or "").splitlines():
            assert line in text, error


def kinds(fixes: list[Fix]) -> list[str]:
    return [fix.kind for fix in fixes]


def fix_of(fixes: list[Fix], kind: str, field: str | None = None) -> Fix:
    found = [fix for fix in fixes if fix.kind == kind and (field is None or fix.field == field)]
    assert len(found) == 1, (kind, field, fixes)
    return found[0]


# --- The schemas shipped ---------------------------------------------------------------------


def test_every_schema_is_shipped_and_named_as_schema_data_gouv_fr_names_it():
    index = json.loads(national.INDEX_FILE.read_text(encoding="utf-8"))["schemas"]
    catalogue = json.loads((national.SCHEMA_DIR / "catalog" / "schemas.json").read_text("utf-8"))
    listed = {schema["name"]: schema for schema in catalogue["schemas"]}
    expected = {
        ("scdl/subventions", "2.1.1"),
        ("scdl/deliberations", "2.1.5"),
        ("scdl/budget", "0.8.3"),
        ("scdl/equipements", "0.1.5"),
        ("etalab/schema-irve-statique", "2.3.0"),
        ("etalab/schema-hautes-remunerations", "0.1.0"),
        ("etalab/schema-stationnement", "0.1.5"),
        ("etalab/schema-catalogue-donnees", "0.3.0"),
        ("colinmaudry/decp-table-schema", "2.0.0"),
    }
    assert {(schema.name, schema.version) for schema in national.available()} == expected
    for entry in index:
        if entry["listed_on_schema_data_gouv_fr"]:
            versions = [v["version_name"] for v in listed[entry["name"]]["versions"]]
            assert entry["version"] in versions
        else:
            assert entry["name"] not in listed
    for schema in national.available():
        # shipped in the package, never read from the reference folder
        assert schema.path.is_relative_to(national.SCHEMA_DIR)
        descriptor = schema.descriptor()
        assert descriptor["fields"] and schema.title == descriptor["title"]
        descriptor["fields"].clear()  # a copy: the next caller gets the schema intact
        assert schema.descriptor()["fields"]
    sources = (national.SCHEMA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for schema in national.available():
        assert str(schema.path.relative_to(national.SCHEMA_DIR)) in sources


def test_get_finds_a_schema_by_name_alias_and_version():
    latest = national.get("scdl/subventions")
    assert (latest.name, latest.version, latest.title) == (
        "scdl/subventions",
        "2.1.1",
        "Subventions",
    )
    assert national.get("Subventions") == latest
    assert national.get("scdl/subventions", "2.1.1") == latest
    assert national.get("etalab/schema-irve-statique", "v2.3.0").version == "2.3.0"
    assert national.get("decp").name == "colinmaudry/decp-table-schema"
    with pytest.raises(PilotisError) as unknown:
        national.get("scdl/nope")
    assert "scdl/nope" in str(unknown.value) and "scdl/subventions" in str(unknown.value)
    with pytest.raises(PilotisError) as version:
        national.get("scdl/subventions", "1.0")
    assert "1.0" in str(version.value) and "2.1.1" in str(version.value)


def test_scdl_schemas_lists_the_socle_commun_with_latest_versions():
    scdl = {schema["name"]: schema for schema in national.scdl_schemas()}
    assert len(scdl) == 14
    subventions = scdl["scdl/subventions"]
    assert subventions["version"] == "2.1.1"
    assert subventions["schema_url"].endswith("/scdl/subventions/2.1.1/schema.json")
    assert subventions["available"] == ["2.1.1"]
    assert scdl["etalab/schema-irve-statique"]["version"] == "2.3.1"  # newer than the copy
    assert scdl["etalab/schema-irve-statique"]["available"] == ["2.3.0"]
    assert scdl["scdl/prenoms"]["available"] == []
    assert all(schema["title"] and schema["version"] for schema in scdl.values())


# --- The official examples -------------------------------------------------------------------


def test_the_valid_example_is_valid_and_needs_no_fix():
    report, fixes, after = national.check_file(
        SUBVENTIONS / "exemple-valide.csv", "scdl/subventions"
    )
    assert report.valid and report.rows == 29
    assert report.errors == [] and report.header == [] and report.unfixable == []
    assert fixes == [] and after is None
    assert report.summary() == ["The file conforms to the schema scdl/subventions 2.1.1 (29 rows)."]
    assert report.source is not None
    assert (report.source.encoding, report.source.delimiter) == ("utf-8", ",")


def test_the_cell_errors_example_has_the_errors_frictionless_counts():
    report, _fixes, _after = national.check_file(
        SUBVENTIONS / "exemple-invalide-erreurs-cellules.csv", "scdl/subventions"
    )
    assert not report.valid
    # SOURCES.md: 1 missing-label, 10 constraint-error, 5 type-error (frictionless 5.21)
    assert report.frictionless_counts() == {
        "missing-label": 1,
        "constraint-error": 10,
        "type-error": 5,
    }
    # Besides, Pilotis runs the schema's custom checks (Validata's), which frictionless does not:
    # the SIRET check digits (21860194600000 is not a real SIRET) and "idBeneficiaire or
    # rnaBeneficiaire". They are counted under their own rule, not in the frictionless counts.
    assert report.counts["idAttribuant"] == {"french-siret-value": 28, "pattern": 1}
    assert report.counts["idBeneficiaire"]["one-of-required"] == 1
    assert report.counts["pourcentageSubvention"] == {"maximum": 3, "type": 1}
    first = report.errors[0]
    assert (first.row, first.field, first.rule) == (2, "idAttribuant", "french-siret-value")
    assert_error_in_file(
        report, SUBVENTIONS / "exemple-invalide-erreurs-cellules.csv", "utf-8", ","
    )


def test_the_column_errors_example_matches_columns_by_name():
    report, fixes, after = national.check_file(
        SUBVENTIONS / "exemple-invalide-erreurs-colonnes.csv", "scdl/subventions"
    )
    # SOURCES.md counts 1 missing-label, 3 incorrect-label, 38 constraint-error, 5 type-error:
    # frictionless matches columns by position, so the swapped idAttribuant/nomAttribuant give
    # 2 incorrect labels and 28 SIRET pattern errors ("Ville de Poitiers" checked as a SIRET).
    # Pilotis matches by name, as Validata (schema.data.gouv.fr's validator) does: the swap is
    # only an order to restore, NOM_Beneficiaire is an incorrect label for nomBeneficiaire (its
    # cells are checked as such), and the cell errors are those of the other example.
    assert report.frictionless_counts() == {
        "incorrect-label": 1,
        "missing-label": 1,
        "constraint-error": 10,
        "type-error": 5,
    }
    assert [(i.kind, i.field, i.found) for i in report.header] == [
        ("incorrect_label", "nomBeneficiaire", "NOM_Beneficiaire"),
        ("missing", "dispositifAide", None),
    ]
    assert fix_of(fixes, "header").examples == [("NOM_Beneficiaire", "nomBeneficiaire")]
    order = fix_of(fixes, "order")
    assert order.params["columns"][:2] == ["nomAttribuant", "idAttribuant"]
    assert after is not None
    assert [i.kind for i in after.header] == ["missing"]
    assert after.error_count < report.error_count


def frictionless_cells(path: Path, schema: dict, sync: bool, encoding: str | None = None):
    """(row, field, error type) of the cell errors frictionless finds."""
    frictionless = pytest.importorskip("frictionless")
    resource = frictionless.Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=frictionless.Schema.from_descriptor(schema),
        detector=frictionless.Detector(schema_sync=sync),
        **({"encoding": encoding} if encoding else {}),
    )
    report = resource.validate(limit_errors=100_000)
    return Counter(
        (row, name, kind)
        for row, name, kind in report.flatten(["rowNumber", "fieldName", "type"])
        if kind in set(national.FRICTIONLESS_ERRORS.values())
    )


def pilotis_cells(report: Report, fields: set[str] | None = None) -> Counter:
    assert not report.truncated
    return Counter(
        (
            error.row,
            None if error.rule == "primaryKey" else error.field,  # frictionless names no field
            national.FRICTIONLESS_ERRORS[error.rule],
        )
        for error in report.errors
        if error.rule in national.FRICTIONLESS_ERRORS and (fields is None or error.field in fields)
    )


@pytest.mark.filterwarnings("ignore:The --schema-sync option is deprecated")
@pytest.mark.parametrize(
    ("path", "sync", "encoding"),
    [
        (SUBVENTIONS / "exemple-invalide-erreurs-cellules.csv", False, None),
        (SUBVENTIONS / "exemple-invalide-erreurs-colonnes.csv", True, None),
        (HAUTE_GARONNE, True, None),
        (SOMME, True, "cp1252"),
        (LOT, True, "cp1252"),
    ],
)
def test_cell_errors_are_those_frictionless_finds_row_by_row(path, sync, encoding):
    """The same cell errors, at the same rows, as frictionless 5.21 (by name with schema_sync
    when the columns are not in the schema's order). Frictionless only checks the columns named
    exactly like a field: the comparison leaves out the fields whose column has an incorrect
    label, which Pilotis checks too."""
    schema = national.get("scdl/subventions")
    table, source = national.read_table(path)
    report = national.validate(table, schema, source)
    exact = {name for name in (f["name"] for f in schema.descriptor()["fields"])} & set(
        table.column_names
    )
    assert pilotis_cells(report, exact) == frictionless_cells(
        path, schema.descriptor(), sync, encoding
    )


# --- Real files ------------------------------------------------------------------------------


def test_somme_windows_1252_french_numbers_slashed_dates_and_lower_case_header():
    report, fixes, after = national.check_file(SOMME, "scdl/subventions")
    source = report.source
    assert source is not None
    assert (source.encoding, source.delimiter, source.line_endings) == ("windows-1252", ";", "CRLF")
    assert report.rows == 11 and source.header_row == 1
    assert report.counts == {
        "dateConvention": {"type": 11},
        "montant": {"type": 11},
        "conditionsVersement": {"maxLength": 11},
        "datesPeriodeVersement": {"pattern": 11},
    }
    header = {(issue.kind, issue.field, issue.found) for issue in report.header}
    assert ("incorrect_label", "datesPeriodeVersement", "datesperiodeversement") in header
    assert ("extra", None, "type") in header
    assert ("missing", "notificationUE", None) in header
    montant = [e for e in report.errors if e.field == "montant"]
    assert (montant[0].row, montant[0].line, montant[0].value) == (2, 2, "137 825,00")
    assert_error_in_file(report, SOMME, "cp1252", ";")
    summary = report.summary()
    assert (
        "Column montant: 11 rows have a number written “137 825,00”; expected a number without "
        "spaces, with a decimal point (e.g. 137825.00)." in summary
    )

    assert fix_of(fixes, "encoding").examples == [("Windows-1252", "UTF-8")]
    assert fix_of(fixes, "delimiter").examples == [(";", ",")]
    assert fix_of(fixes, "header").examples == [("datesperiodeversement", "datesPeriodeVersement")]
    number = fix_of(fixes, "number", "montant")
    assert number.count == 11 and number.examples[0] == ("137 825,00", "137825.00")
    date = fix_of(fixes, "date", "dateConvention")
    assert date.count == 11 and date.examples[0] == ("2018/01/30", "2018-01-30")
    period = fix_of(fixes, "date", "datesPeriodeVersement")
    assert period.examples[0] == ("2018/01/30_2022/01/29", "2018-01-30/2022-01-29")
    assert "137 825,00" in str(number.description)

    assert after is not None
    assert after.error_count < report.error_count
    # what no program can fix: free text too long, a required column the file does not have
    assert after.counts == {"conditionsVersement": {"maxLength": 11}}
    assert [i.field for i in after.header if i.kind == "missing" and i.required] == [
        "notificationUE"
    ]


def test_haute_garonne_capitalised_enum_values_and_underscored_periods():
    report, fixes, after = national.check_file(HAUTE_GARONNE, "scdl/subventions")
    source = report.source
    assert source is not None
    assert (source.encoding, source.delimiter, source.line_endings) == ("utf-8", ";", "CRLF")
    assert report.rows == 69
    assert report.counts["nature"] == {"enum": 69}
    assert report.counts["datesPeriodeVersement"] == {"pattern": 40, "required": 29}
    nature = [e for e in report.errors if e.field == "nature"][0]
    assert (nature.row, nature.value) == (2, "Aide en numéraire")
    assert_error_in_file(report, HAUTE_GARONNE, "utf-8", ";")

    case = fix_of(fixes, "enum_case", "nature")
    assert case.count == 69 and case.params["mapping"] == {"Aide en numéraire": "aide en numéraire"}
    period = fix_of(fixes, "date", "datesPeriodeVersement")
    assert period.count == 40 and period.examples[0] == (
        "2017-01-01_2017-12-31",
        "2017-01-01/2017-12-31",
    )
    assert "encoding" not in kinds(fixes)  # already UTF-8
    assert after is not None
    assert "nature" not in after.counts
    assert after.counts["datesPeriodeVersement"] == {"required": 29}  # empty: nothing to guess
    assert after.error_count < report.error_count


def test_lot_blank_rows_header_case_and_french_amounts():
    report, fixes, after = national.check_file(LOT, "scdl/subventions")
    source = report.source
    assert source is not None
    # a value spanning several lines (LF inside a CRLF file): the line ends are mixed
    assert (source.encoding, source.delimiter, source.line_endings) == (
        "windows-1252",
        ";",
        "mixed",
    )
    assert report.rows == 13
    assert report.blank_rows == list(range(15, 36)) and not report.valid
    header = {(issue.kind, issue.field, issue.found) for issue in report.header}
    assert ("incorrect_label", "nomAttribuant", "NomAttribuant") in header
    assert ("incorrect_label", "datesPeriodeVersement", "datesperiodeVersement") in header
    assert report.counts["montant"] == {"type": 13}
    # the rows after the value on five lines: row and line differ, both are right
    records, lines = raw_records(LOT, "cp1252", ";")
    last = [e for e in report.errors if e.field == "montant"][-1]
    assert (last.row, last.value) == (14, "13 291,00")
    assert last.line == 18 and "13 291,00" in lines[17]
    assert_error_in_file(report, LOT, "cp1252", ";")

    assert fix_of(fixes, "blank_rows").count == 21
    assert {fix.examples[0] for fix in fixes if fix.kind == "header"} == {
        ("NomAttribuant", "nomAttribuant"),
        ("datesperiodeVersement", "datesPeriodeVersement"),
    }
    number = fix_of(fixes, "number", "montant")
    assert number.count == 13 and number.examples[0] == ("40 000,00", "40000.00")
    assert fix_of(fixes, "encoding").count > 0
    assert after is not None
    assert after.blank_rows == [] and after.counts == {}
    # only the optional columns the file does not have remain
    assert {(i.kind, i.field) for i in after.header} == {
        ("missing", "rnaBeneficiaire"),
        ("missing", "dispositifAide"),
    }
    assert after.error_count == 2 < report.error_count


def test_poitiers_siret_exported_as_numbers_is_reported_not_fixed():
    report, fixes, after = national.check_file(POITIERS, "scdl/subventions")
    source = report.source
    assert source is not None
    assert (source.encoding, source.delimiter, source.line_endings) == ("utf-8", ";", "mixed")
    assert report.rows == 562
    # pre-SCDL column names: every field is missing, nothing is renamed by guess
    missing = [issue.field for issue in report.header if issue.kind == "missing"]
    assert len(missing) == 16 and "notificationUE" in missing
    extra = [issue.found for issue in report.header if issue.kind == "extra"]
    assert "Notification à la commission Européenne" in extra and "COLL_SIRET" in extra
    assert "header" not in kinds(fixes)

    problems = {problem.column: problem for problem in report.unfixable}
    coll = problems["COLL_SIRET"]
    assert coll.kind == "siret_as_number" and coll.count == 562
    assert coll.rows == [2, 3, 4, 5, 6] and coll.examples == ["21860194600000.0"]
    assert problems["ATTRIB_SIRET"].kind == "siret_as_number"
    assert "formatted as text" in str(coll.message)
    records, _lines = raw_records(POITIERS, "utf-8", ";")
    for row in coll.rows:
        assert records[row - 1][records[0].index("COLL_SIRET")] == "21860194600000.0"
    # nothing touches the SIRET columns; only the file's form is fixed
    assert set(kinds(fixes)) == {"delimiter", "line_endings"}
    assert after is not None and after.error_count == report.error_count

    # values on several lines: the table knows where each row starts in the text file
    table, read = national.read_table(POITIERS)
    shifted = [
        i for i, (row, line) in enumerate(zip(read.rows, read.lines, strict=True)) if row != line
    ]
    assert shifted
    text_lines = POITIERS.read_bytes().decode("utf-8").splitlines()
    for index in (shifted[0], shifted[-1]):
        row = table.slice(index, 1).to_pylist()[0]
        assert records[read.rows[index] - 1][6] == row["ATTRIB_NOM"]
        assert text_lines[read.lines[index] - 1].startswith(
            f"2017;Ville de Poitiers;{row['COLL_SIRET']}"
        )


def test_nievre_pre_scdl_columns_are_missing_fields_and_siren_is_not_siret():
    report, fixes, after = national.check_file(NIEVRE, "scdl/subventions")
    source = report.source
    assert source is not None
    assert (source.encoding, source.delimiter, source.line_endings) == ("windows-1252", ",", "CRLF")
    assert report.rows == 97
    required = [
        issue.field for issue in report.header if issue.kind == "missing" and issue.required
    ]
    assert len(required) == 11 and "montant" in required and "nomAttribuant" in required
    assert len([issue for issue in report.header if issue.kind == "extra"]) == 17
    assert report.counts == {}  # no column is a field: no cell is checked against a guess
    siren = [problem for problem in report.unfixable if problem.kind == "siren_not_siret"]
    assert len(siren) == 1 and siren[0].column == "COLL_SIRET" and siren[0].count == 97
    assert siren[0].examples == ["225800010"] and siren[0].rows[:2] == [2, 3]
    records, _lines = raw_records(NIEVRE, "cp1252", ",")
    assert records[siren[0].rows[0] - 1][1] == "225800010"
    # the amounts "17 833" are in SUB_MONTANT, not montant: Pilotis does not rewrite them
    assert kinds(fixes) == ["encoding"]
    assert after is not None and after.error_count == report.error_count


# --- Other national schemas ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "rows"),
    [
        ("colinmaudry/decp-table-schema", FIXTURES / "decp-marches" / "exemple-valide.csv", 4),
        ("colinmaudry/decp-table-schema", FIXTURES / "decp-marches" / "fichier-vide.csv", 0),
        (
            "etalab/schema-hautes-remunerations",
            FIXTURES / "hautes-remunerations" / "exemple-valide.csv",
            2,
        ),
        ("etalab/schema-stationnement", FIXTURES / "stationnement" / "exemple-valide.csv", 2),
        ("etalab/schema-irve-statique", FIXTURES / "irve" / "exemple-valide-statique.csv", 2),
        (
            "etalab/schema-catalogue-donnees",
            FIXTURES / "catalogue-donnees" / "exemple-valide.csv",
            1,
        ),
    ],
)
def test_valid_examples_of_other_national_schemas(name, path, rows):
    report, _fixes, _after = national.check_file(path, name)
    assert report.valid, report.summary()
    assert report.rows == rows


def test_invalid_parking_example():
    report, _fixes, _after = national.check_file(
        FIXTURES / "stationnement" / "exemple-invalide.csv", "etalab/schema-stationnement"
    )
    # frictionless: the id pattern and the tarif_pmr enum; Pilotis also checks the SIRET key
    assert report.frictionless_counts() == {"constraint-error": 2}
    assert report.counts["id"] == {"pattern": 1} and report.counts["tarif_pmr"] == {"enum": 1}
    assert report.counts["num_siret"] == {"french-siret-value": 1}


@pytest.mark.parametrize("schema", national.available(), ids=lambda schema: schema.label)
def test_every_schema_checks_a_table_of_its_own_columns(schema):
    """Every rule of every shipped schema compiles and runs (on empty and on text cells)."""
    names = [spec["name"] for spec in schema.descriptor()["fields"]]
    empty = pa.table({name: pa.array([""], pa.string()) for name in names})
    garbage = pa.table({name: pa.array(["x=1;é\"'"], pa.string()) for name in names})
    for table in (empty, garbage):
        report = national.validate(table, schema)
        assert report.header == [] and not report.valid
        national.apply_fixes(table, national.propose_fixes(table, schema, None))


# --- Rules, on tables built here -------------------------------------------------------------

RULES = {
    "name": "rules",
    "missingValues": ["", "NA"],
    "primaryKey": ["code", "annee"],
    "fields": [
        {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}\\d{2}"}},
        {"name": "annee", "type": "year"},
        {"name": "nombre", "type": "integer", "constraints": {"minimum": 0, "maximum": 10}},
        {"name": "taux", "type": "number", "decimalChar": ",", "groupChar": " "},
        {"name": "actif", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
        {"name": "jour", "type": "date", "format": "%d/%m/%Y"},
        {"name": "quand", "type": "datetime"},
        {"name": "courriel", "type": "string", "format": "email"},
        {"name": "site", "type": "string", "format": "uri"},
        {"name": "uid", "type": "string", "format": "uuid", "constraints": {"unique": True}},
        {"name": "point", "type": "geopoint"},
        {
            "name": "genre",
            "type": "string",
            "constraints": {"required": True, "enum": ["a", "b"], "minLength": 1, "maxLength": 1},
        },
    ],
}
GOOD = {
    "code": "AB12",
    "annee": "2024",
    "nombre": "3",
    "taux": "1 234,5",
    "actif": "oui",
    "jour": "30/01/2024",
    "quand": "2024-01-30T10:00:00Z",
    "courriel": "mairie@exemple.fr",
    "site": "https://exemple.fr/a",
    "uid": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "point": "2.35, 48.85",
    "genre": "a",
}
BAD = {
    "code": "ab12",  # pattern
    "annee": "24",  # type
    "nombre": "11",  # maximum
    "taux": "1.5",  # type: the decimal mark is a comma
    "actif": "Oui",  # type
    "jour": "2024-01-30",  # type
    "quand": "30/01/2024",  # type
    "courriel": "mairie.exemple.fr",  # type
    "site": "exemple.fr",  # type
    "uid": "0f8fad5b-d9cb-469f-a165-70867728950e",  # unique (same as GOOD's)
    "point": "200, 48",  # type: longitude out of range
    "genre": "c",  # enum
}


def rules_table(*rows: dict) -> pa.Table:
    names = [spec["name"] for spec in RULES["fields"]]
    return pa.table({name: pa.array([row[name] for row in rows], pa.string()) for name in names})


def test_each_table_schema_rule():
    missing = {**GOOD, "code": "CD34", "uid": "NA", "genre": "NA", "nombre": ""}
    duplicate_key = {**GOOD, "uid": "1f8fad5b-d9cb-469f-a165-70867728950e"}
    table = rules_table(GOOD, BAD, missing, duplicate_key)
    report = national.validate(table, RULES)
    assert report.counts == {
        "code": {"pattern": 1, "primaryKey": 1},
        "annee": {"type": 1},
        "nombre": {"maximum": 1},
        "taux": {"type": 1},
        "actif": {"type": 1},
        "jour": {"type": 1},
        "quand": {"type": 1},
        "courriel": {"type": 1},
        "site": {"type": 1},
        "uid": {"unique": 1},
        "point": {"type": 1},
        "genre": {"enum": 1, "required": 1},
    }
    assert not report.valid and report.rows == 4
    unique = [e for e in report.errors if e.rule == "unique"][0]
    assert unique.row == 3 and "row 2" in str(unique.message)
    key = [e for e in report.errors if e.rule == "primaryKey"][0]
    assert key.row == 5 and key.value == "AB12 | 2024" and key.column == "code, annee"
    assert national.validate(rules_table(GOOD), RULES).valid


def test_the_rules_agree_with_frictionless(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    missing = {**GOOD, "code": "CD34", "uid": "NA", "genre": "NA", "nombre": ""}
    duplicate_key = {**GOOD, "uid": "1f8fad5b-d9cb-469f-a165-70867728950e"}
    rows = [GOOD, BAD, missing, duplicate_key]
    path = tmp_path / "rules.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(GOOD))
        writer.writeheader()
        writer.writerows(rows)
    ours = pilotis_cells(national.validate(rules_table(*rows), RULES))
    resource = frictionless.Resource(
        path=path.name, basepath=str(tmp_path), schema=frictionless.Schema.from_descriptor(RULES)
    )
    theirs = Counter(
        (row, name, kind)
        for row, name, kind in resource.validate().flatten(["rowNumber", "fieldName", "type"])
        if kind in set(national.FRICTIONLESS_ERRORS.values())
    )
    assert ours == theirs


def test_custom_checks_of_deliberations():
    schema = national.get("scdl/deliberations")
    names = [spec["name"] for spec in schema.descriptor()["fields"]]
    base = dict.fromkeys(names, "")
    row = {
        **base,
        "BUDGET_ANNEE": "2024/2023",  # year-interval-value
        "BUDGET_NOM": "",  # cohesive-columns-value with BUDGET_ANNEE
        "VOTE_EFFECTIF": "10",
        "VOTE_REEL": "12",  # compare: VOTE_EFFECTIF >= VOTE_REEL
        "VOTE_POUR": "5",
        "VOTE_CONTRE": "1",
        "VOTE_ABSTENTION": "1",  # sum: 5 + 1 + 1 != 12
    }
    table = pa.table({name: pa.array([row[name]], pa.string()) for name in names})
    report = national.validate(table, schema)
    rules = {rule for counts in report.counts.values() for rule in counts}
    assert {
        "year-interval-value",
        "cohesive-columns-value",
        "compare-columns-value",
        "sum-columns-value",
    } <= rules
    assert any("nomenclature-actes-value" in str(note) for note in report.notes)


def test_to_csv_is_excel_friendly_and_neutralises_formulas():
    schema = national.get("scdl/subventions")
    table, source = national.read_table(SOMME)
    index = table.column_names.index("montant")
    values = table.column(index).to_pylist()
    values[0] = '=HYPERLINK("http://x")'
    table = table.set_column(index, "montant", pa.array(values, pa.string()))
    data = national.to_csv(national.validate(table, schema, source))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["row", "column", "rule", "value", "message"]
    assert [
        "1",
        "type",
        "column not in the schema",
        "type",
        "The column “type” is not in the schema.",
    ] in rows
    formula = [row for row in rows if row[1] == "montant" and row[0] == "2"][0]
    assert formula[3].startswith("'=HYPERLINK")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_summary_and_messages_speak_the_active_language():
    report, fixes, _after = national.check_file(SOMME, "scdl/subventions")
    with translation.override("fr"):
        french = report.summary()
        assert all(isinstance(line, str) and line for line in french)
        assert all(str(fix.description) for fix in fixes)
        assert all(str(error.message) for error in report.errors)
    with translation.override("en"):
        assert any("137 825,00" in line for line in report.summary())
        assert report.summary() != french
    assert any(line.startswith("Colonne ") for line in french)


# --- Safe fixes, on tables built here --------------------------------------------------------

SUBSIDY_FIELDS = [spec["name"] for spec in national.get("scdl/subventions").descriptor()["fields"]]


def subsidies(**columns: list[str]) -> pa.Table:
    count = len(next(iter(columns.values())))
    return pa.table(
        {name: pa.array(columns.get(name, [""] * count), pa.string()) for name in SUBSIDY_FIELDS}
    )


def propose(table: pa.Table):
    schema = national.get("scdl/subventions")
    return national.propose_fixes(table, schema, None), national.validate(table, schema).unfixable


def test_dates_day_and_month_order_is_never_guessed():
    ambiguous = subsidies(dateConvention=["05/12/2016", "01/02/2017"])
    fixes, unfixable = propose(ambiguous)
    assert "date" not in kinds(fixes)
    assert [problem.kind for problem in unfixable] == ["ambiguous_date"]

    french = subsidies(dateConvention=["05/12/2016", "30/01/2017", "2017-02-01"])
    fixes, unfixable = propose(french)
    assert fix_of(fixes, "date").examples == [
        ("05/12/2016", "2016-12-05"),
        ("30/01/2017", "2017-01-30"),
    ]
    assert unfixable == []
    american = subsidies(dateConvention=["12/05/2016", "01/30/2017"])
    assert fix_of(propose(american)[0], "date").examples[1] == ("01/30/2017", "2017-01-30")

    fixed = national.apply_fixes(french, fixes)
    assert fixed.column("dateConvention").to_pylist() == ["2016-12-05", "2017-01-30", "2017-02-01"]

    midnight = subsidies(
        dateConvention=["2018-01-30 00:00:00", "2018-01-31 14:00:00", "30-01-2018"]
    )
    fix = fix_of(propose(midnight)[0], "date")
    assert national.apply_fixes(midnight, [fix]).column("dateConvention").to_pylist() == [
        "2018-01-30",
        "2018-01-31 14:00:00",  # an hour is not dropped
        "2018-01-30",
    ]


def test_numbers_are_fixed_only_when_the_column_follows_one_french_way():
    french = subsidies(montant=["137 825,00", "17 833", "2400", "12,5", "inconnu"])
    fix = fix_of(propose(french)[0], "number")
    assert national.apply_fixes(french, [fix]).column("montant").to_pylist() == [
        "137825.00",
        "17833",
        "2400",
        "12.5",
        "inconnu",  # not a number at all: left for the clerk
    ]
    dots = subsidies(montant=["1.234,5", "1.234", "12,5"])
    fix = fix_of(propose(dots)[0], "number")
    assert national.apply_fixes(dots, [fix]).column("montant").to_pylist() == [
        "1234.5",
        "1234",
        "12.5",
    ]
    mixed = subsidies(montant=["1 000,50", "2.5"])
    fixes, unfixable = propose(mixed)
    assert "number" not in kinds(fixes)
    assert [problem.kind for problem in unfixable] == ["ambiguous_number"]
    assert "“2.5”" in str(unfixable[0].message)


def test_damaged_identifiers_are_reported_never_fixed():
    table = subsidies(
        idAttribuant=[
            "21860194600000.0",
            "2.18601946E+13",
            "218601946",
            "2186019460001",
            "21860194600013",
        ]
    )
    fixes, unfixable = propose(table)
    assert not [fix for fix in fixes if fix.field == "idAttribuant"]
    found = {problem.kind: problem for problem in unfixable}
    assert found["siret_as_number"].count == 2 and found["siret_as_number"].rows == [2, 3]
    assert found["siren_not_siret"].examples == ["218601946"]
    assert found["leading_zero_lost"].rows == [5]


def test_case_and_spaces_fixes():
    table = subsidies(
        nature=["Aide en numéraire", "AIDE EN NATURE", "aide", " aide en nature "],
        notificationUE=["Oui", "NON", "peut-être", "non "],
    )
    fixes, _unfixable = propose(table)
    fixed = national.apply_fixes(table, fixes)
    assert fixed.column("nature").to_pylist() == [
        "aide en numéraire",
        "aide en nature",
        "aide",
        "aide en nature",
    ]
    assert fixed.column("notificationUE").to_pylist() == ["oui", "non", "peut-être", "non"]
    assert fix_of(fixes, "trim", "nature").examples == [(" aide en nature ", "aide en nature")]


def test_fixed_table_written_as_csv_reads_back_with_the_same_report(tmp_path):
    schema = national.get("scdl/subventions")
    _report, fixes, after = national.check_file(LOT, "scdl/subventions")
    table, _source = national.read_table(LOT)
    published = tmp_path / "lot.csv"
    published.write_bytes(national.write_csv(national.apply_fixes(table, fixes)))
    again_table, again_source = national.read_table(published)
    assert (again_source.encoding, again_source.delimiter) == ("utf-8", ",")
    again = national.validate(again_table, schema, again_source)
    assert after is not None and again.counts == after.counts == {}
    assert [i.field for i in again.header] == [i.field for i in after.header]
    assert again_table.column("montant").to_pylist()[0] == "40000.00"


# --- Reading ---------------------------------------------------------------------------------


def test_read_a_workbook(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B2"], sheet["C2"] = "nomAttribuant", "montant"
    sheet["B3"], sheet["C3"] = "Ville", 1234.5
    sheet["B5"], sheet["C5"] = "Département", "1 000,00"
    path = tmp_path / "subventions.xlsx"
    workbook.save(path)
    table, source = national.read_table(path)
    assert table.to_pylist() == [
        {"nomAttribuant": "Ville", "montant": "1234.5"},
        {"nomAttribuant": "Département", "montant": "1 000,00"},
    ]
    assert (source.format, source.header_row, source.rows, source.blank_rows) == (
        "xlsx",
        2,
        (3, 5),
        (4,),
    )
    report = national.validate(table, national.get("scdl/subventions"), source)
    assert [(e.row, e.field, e.rule) for e in report.errors if e.field == "montant"] == [
        (5, "montant", "type")
    ]


def test_read_excel_separator_line_and_empty_lines(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b'sep=;\r\nnomAttribuant;montant\r\n\r\nA;1 000,5\r\n;\r\n"B\nC";2\r\n')
    table, source = national.read_table(path)
    assert table.to_pylist() == [
        {"nomAttribuant": "A", "montant": "1 000,5"},
        {"nomAttribuant": "B\nC", "montant": "2"},
    ]
    # Excel hides the "sep=" line: the header is row 1, the empty line row 2
    assert (source.rows, source.lines, source.blank_rows) == ((3, 5), (4, 6), (2, 4))


def test_unreadable_files_raise_a_clear_error(tmp_path):
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceError):
        national.read_table(empty)
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(b"a;b\r\n" + b"1;2\r\n" * 30_000 + b"1;2;3;4\r\n")
    with pytest.raises(SourceError) as error:
        national.read_table(ragged)
    assert "30002" in str(error.value)


# --- Robustness ------------------------------------------------------------------------------

ALL_FIXTURES = [
    ("scdl/subventions", path)
    for path in sorted(SUBVENTIONS.glob("*.csv")) + sorted(REAL.glob("*.csv"))
] + [
    ("colinmaudry/decp-table-schema", FIXTURES / "decp-marches" / "exemple-valide.csv"),
    (
        "etalab/schema-hautes-remunerations",
        FIXTURES / "hautes-remunerations" / "exemple-valide.csv",
    ),
]
TABLES = {path: national.read_table(path) for _name, path in ALL_FIXTURES}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    which=st.integers(min_value=0, max_value=len(ALL_FIXTURES) - 1),
    cells=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0), st.text(max_size=30)),
        min_size=1,
        max_size=12,
    ),
)
def test_garbage_cells_never_crash(which, cells):
    name, path = ALL_FIXTURES[which]
    table, source = TABLES[path]
    if not table.num_rows:
        return
    columns = {n: table.column(n).to_pylist() for n in table.column_names}
    for row, column, text in cells:
        columns[table.column_names[column % table.num_columns]][row % table.num_rows] = text
    garbled = pa.table({n: pa.array(v, pa.string()) for n, v in columns.items()})
    schema = national.get(name)
    report = national.validate(garbled, schema, source)
    fixes = national.propose_fixes(garbled, schema, source)
    after = national.validate(national.apply_fixes(garbled, fixes), schema, source)
    assert report.summary() and national.to_csv(report)
    assert after.rows == report.rows
