"""The `file` kind: CSV in every encoding, separator and quoting French exports use, spreadsheets
(xlsx written with openpyxl, ods built by hand), JSON, NDJSON and Parquet, format sniffing, and a
clear SourceError for every kind of bad file (random bytes and mutated CSV included)."""

import datetime as dt
import decimal
import gzip
import json
import random
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotis.connectors import files, kinds
from pilotis.connectors.files import (
    CsvDialect,
    FileKind,
    detect_format,
    explain_duckdb_error,
    sniff_csv,
)
from pilotis.connectors.kinds import SOURCE_ROW, RawInput, SourceError

# --- Helpers ---------------------------------------------------------------------------------


def write(folder: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def open_file(path: Path, **config) -> RawInput:
    return FileKind({"path": str(path), **config}).open()


def rows(raw: RawInput, con: duckdb.DuckDBPyConnection | None = None) -> list[tuple]:
    con = con or duckdb.connect()
    try:
        return raw.to_relation(con).fetchall()
    finally:
        if raw.cleanup:
            raw.cleanup()


def read(path: Path, **config) -> tuple[RawInput, list[tuple]]:
    raw = open_file(path, **config)
    return raw, rows(raw)


def refused(path: Path, **config) -> str:
    """The English message of the SourceError opening `path` raises."""
    with pytest.raises(SourceError) as caught:
        open_file(path, **config)
    return caught.value.in_language("en")


def refused_later(path: Path, **config) -> str:
    """The English message of a file that opens but that DuckDB fails to read."""
    raw = open_file(path, **config)
    with pytest.raises(duckdb.Error) as caught:
        rows(raw)
    error = explain_duckdb_error(caught.value, path)
    assert isinstance(error, SourceError)
    return error.in_language("en")


def test_the_kind_is_registered():
    assert kinds.get("file") is FileKind
    assert set(FileKind.options) >= {"path", "format", "encoding", "delimiter", "decimal"}
    assert {"date_format", "sheet", "records_path"} <= set(FileKind.options)


# --- CSV: encodings --------------------------------------------------------------------------

TEXT = "id;libellé;montant\n1;Café crème;12,5\n2;Œuvre d’art € 3;1 234,50\n"


def test_utf8(tmp_path):
    raw, got = read(write(tmp_path, "a.csv", TEXT))
    assert raw.columns == ["id", "libellé", "montant"]
    assert got == [("1", "Café crème", "12,5", 1), ("2", "Œuvre d’art € 3", "1 234,50", 2)]
    assert "UTF-8" in raw.description
    assert raw.cleanup is None  # read in place


def test_utf8_with_bom_keeps_the_bom_out_of_the_first_name(tmp_path):
    path = write(tmp_path, "a.csv", TEXT, "utf-8-sig")
    raw, got = read(path)
    assert raw.columns[0] == "id"
    assert got[0][0] == "1"
    assert sniff_csv(path).has_bom


def test_windows_1252_with_bytes_latin1_lacks_is_transcoded(tmp_path):
    path = write(tmp_path, "a.csv", TEXT, "cp1252")
    assert b"\x80" in path.read_bytes() and b"\x8c" in path.read_bytes()  # € Œ
    before = set(Path(tempfile.gettempdir()).glob("pilotis-file-*"))
    raw = open_file(path)
    assert "Windows-1252" in raw.description
    assert raw.cleanup is not None
    copies = set(Path(tempfile.gettempdir()).glob("pilotis-file-*")) - before
    assert copies
    got = rows(raw)  # also cleans up
    assert got[1][1] == "Œuvre d’art € 3"
    assert got[0][1] == "Café crème"
    assert not any(copy.exists() for copy in copies)


def test_windows_1252_without_them_is_read_directly_as_latin1(tmp_path):
    path = write(tmp_path, "a.csv", "id;libellé\n1;Café à l'été\n", "cp1252")
    raw = open_file(path)
    assert raw.cleanup is None  # no temporary copy
    assert "Windows-1252" in raw.description
    assert rows(raw) == [("1", "Café à l'été", 1)]


def test_iso_8859_15_is_recognised_by_its_euro_and_oe(tmp_path):
    path = write(tmp_path, "a.csv", "id;libellé\n1;Prix 12 €\n2;Cœur d'œuvre\n", "iso-8859-15")
    raw = open_file(path)
    assert "ISO-8859-15" in raw.description
    assert rows(raw) == [("1", "Prix 12 €", 1), ("2", "Cœur d'œuvre", 2)]


def test_utf16_with_bom(tmp_path):
    raw, got = read(write(tmp_path, "a.csv", "id\tnom\n1\tÉlodie\n", "utf-16"))
    assert raw.columns == ["id", "nom"]
    assert got == [("1", "Élodie", 1)]


def test_accents_after_an_ascii_sample_decide_the_encoding(tmp_path):
    ascii_rows = "".join(f"{i};rue {i}\n" for i in range(10_000))
    path = write(
        tmp_path, "a.csv", "id;voie\n" + ascii_rows + "10000;Allée de l’église\n", "cp1252"
    )
    assert path.stat().st_size > files.SAMPLE_BYTES
    assert sniff_csv(path).encoding == "windows-1252"
    _raw, got = read(path)
    assert got[-1] == ("10000", "Allée de l’église", 10_001)


def test_a_declared_encoding_wins(tmp_path):
    path = write(tmp_path, "a.csv", "id;nom\n1;Café\n", "cp1252")
    raw, got = read(path, encoding="latin-1")
    assert "ISO-8859-1" in raw.description
    assert got == [("1", "Café", 1)]


def test_a_declared_encoding_that_does_not_decode_says_what_it_looks_like(tmp_path):
    path = write(tmp_path, "a.csv", "id;nom\n1;Jean\n2;Café ’\n", "cp1252")
    message = refused(path, encoding="utf-8")
    assert "not in UTF-8" in message and "line 3" in message
    assert "Windows-1252" in message


def test_an_unknown_encoding_is_refused(tmp_path):
    assert "Unknown encoding" in refused(write(tmp_path, "a.csv", TEXT), encoding="klingon")


def test_invalid_utf8_beyond_the_sample_is_explained_with_its_line(tmp_path):
    body = "id;nom\n" + "".join(f"{i};Élodie\n" for i in range(8_000))
    path = write(tmp_path, "a.csv", body.encode() + b"8000;Caf\xe9\n")
    message = refused_later(path)
    assert "not valid UTF-8" in message and "Windows-1252" in message
    assert "Line 8002" in message


# --- CSV: dialect ----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_each_delimiter(tmp_path, delimiter):
    other = {";": ",", ",": ";", "\t": ";", "|": ","}[delimiter]
    lines = [["code", "nom", "note"], ["1", f"a{other}b", "x"], ["2", "c", f"d{other}e"]]
    path = write(tmp_path, "a.csv", "\n".join(delimiter.join(line) for line in lines) + "\n")
    raw, got = read(path)
    assert sniff_csv(path).delimiter == delimiter
    assert raw.columns == ["code", "nom", "note"]
    assert got == [("1", f"a{other}b", "x", 1), ("2", "c", f"d{other}e", 2)]


def test_quoted_fields_hold_separators_newlines_and_quotes(tmp_path):
    text = (
        'id;texte;autre\r\n1;"a; b";"il a dit ""bonjour"""\r\n2;"sur\r\ndeux lignes";x\r\n3;;""\r\n'
    )
    raw, got = read(write(tmp_path, "a.csv", text))
    assert got == [
        ("1", "a; b", 'il a dit "bonjour"', 1),
        ("2", "sur\r\ndeux lignes", "x", 2),
        ("3", None, None, 3),  # empty cells are NULL, quoted or not
    ]


def test_single_quotes_and_backslash_escapes(tmp_path):
    _raw, got = read(write(tmp_path, "a.csv", "id;nom\n1;'a;b'\n2;'c'\n"))
    assert got == [("1", "a;b", 1), ("2", "c", 2)]
    path = write(tmp_path, "b.csv", 'id,texte\n1,"il a dit \\"oui\\""\n')
    assert sniff_csv(path).escapechar == "\\"
    assert rows(open_file(path)) == [("1", 'il a dit "oui"', 1)]


def test_old_mac_line_ends_leading_blank_lines_and_an_excel_sep_line(tmp_path):
    assert rows(open_file(write(tmp_path, "a.csv", "a;b\r1;2\r3;4\r"))) == [
        ("1", "2", 1),
        ("3", "4", 2),
    ]
    assert rows(open_file(write(tmp_path, "b.csv", "\n\na;b\n1;2\n"))) == [("1", "2", 1)]
    raw, got = read(write(tmp_path, "c.csv", "sep=,\na,b;c\n1,2;3\n"))
    assert raw.columns == ["a", "b;c"]
    assert got == [("1", "2;3", 1)]


def test_headers_are_trimmed_and_a_trailing_separator_is_ignored(tmp_path):
    raw, got = read(write(tmp_path, "a.csv", " Nom ; Prénom ;\nDupont;Jean;\n"))
    assert raw.columns == ["Nom", "Prénom"]
    assert got == [("Dupont", "Jean", 1)]


def test_one_column_files_and_their_blank_lines(tmp_path):
    raw, got = read(write(tmp_path, "a.csv", "code\n35288\n\n35238\n\n\n"))
    assert raw.columns == ["code"]
    assert got == [("35288", 1), ("35238", 2)]


def test_options_override_sniffing(tmp_path):
    path = write(tmp_path, "a.csv", "a|b\n1,5|02-01-2023\n")
    raw, got = read(path, delimiter="|", decimal=".", thousands=",", date_format="%d-%m-%Y")
    assert got == [("1,5", "02-01-2023", 1)]
    assert (raw.hints.decimal, raw.hints.thousands) == (".", ",")
    assert raw.hints.date_formats == ["%d-%m-%Y"]
    raw = open_file(write(tmp_path, "b.csv", "a\tb\n1\t2\n"), delimiter="\\t")
    assert rows(raw) == [("1", "2", 1)]


@pytest.mark.parametrize(
    ("values", "decimal", "thousands"),
    [
        (["12,5", "3,25", "0,5"], ",", ""),
        (["137 825,00", "1 234,5", "12,75"], ",", " "),
        (["137\u202f825,00", "2\u202f000,10"], ",", "\u202f"),
        (["1\u00a0234,50"], ",", "\u00a0"),
        (["1.234,56", "12.345.678,9"], ",", "."),
        (["12.5", "0.25", "3.14159"], ".", ""),
        (["1,234.56", "12,345.6"], ".", ","),
        (["1 234", "12 345"], ".", " "),
        (["12", "abc", "2023"], ".", ""),
    ],
)
def test_decimal_mark_and_thousands_separator(tmp_path, values, decimal, thousands):
    text = "id;valeur\n" + "".join(f"{i};{value}\n" for i, value in enumerate(values))
    raw = open_file(write(tmp_path, "a.csv", text))
    assert (raw.hints.decimal, raw.hints.thousands) == (decimal, thousands)
    assert f"“{decimal}”" in raw.description


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("05/01/2023", "%d/%m/%Y"),
        ("5/1/2023", "%d/%m/%Y"),
        ("05/01/2023 10:30", "%d/%m/%Y %H:%M"),
        ("05/01/2023 10:30:15", "%d/%m/%Y %H:%M:%S"),
        ("2023-01-05", "%Y-%m-%d"),
        ("2023-01-05 10:30", "%Y-%m-%d %H:%M"),
        ("2023-01-05 10:30:15", "%Y-%m-%d %H:%M:%S"),
        ("2023-01-05 10:30:15.250", "%Y-%m-%d %H:%M:%S.%f"),
        ("2023-01-05T10:30", "%Y-%m-%dT%H:%M"),
        ("2023-01-05T10:30:15", "%Y-%m-%dT%H:%M:%S"),
        ("2023-01-05T10:30:15.123456", "%Y-%m-%dT%H:%M:%S.%f"),
        ("2023-01-05T10:30:15Z", "%Y-%m-%dT%H:%M:%SZ"),
        ("2023-01-05T10:30:15+01:00", "%Y-%m-%dT%H:%M:%S%z"),
    ],
)
def test_date_formats(tmp_path, value, fmt):
    raw = open_file(write(tmp_path, "a.csv", f"id;quand\n1;{value}\n2;\n"))
    assert raw.hints.date_formats == [fmt]
    parsed = duckdb.connect().execute("SELECT strptime(?, ?)::VARCHAR", [value, fmt]).fetchone()
    assert parsed is not None and parsed[0].startswith("2023-01-0")


def test_date_formats_come_most_specific_first_and_only_real_dates_count(tmp_path):
    text = "a;b;c\n05/01/2023;2023-01-05T10:30:00;31/02/2023\n06/01/2023 08:00;2023-01-06;x\n"
    raw = open_file(write(tmp_path, "a.csv", text))
    assert raw.hints.date_formats == [
        "%Y-%m-%dT%H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%Y-%m-%d",
        "%d/%m/%Y",
    ]


def test_sniff_csv_describes_the_file_for_a_preview(tmp_path):
    path = write(tmp_path, "a.csv", TEXT, "cp1252")
    dialect = sniff_csv(path)
    assert isinstance(dialect, CsvDialect)
    assert (dialect.encoding, dialect.delimiter, dialect.quotechar) == ("windows-1252", ";", '"')
    assert (dialect.decimal, dialect.thousands, dialect.has_bom) == (",", " ", False)
    assert dialect.header == ["id", "libellé", "montant"]
    assert dialect.preview[1] == ["2", "Œuvre d’art € 3", "1 234,50"]
    assert dialect.estimated_rows == 2
    assert dialect.encoding_label == "Windows-1252"


def test_estimated_rows_of_a_big_file(tmp_path):
    text = "id;nom;montant\n" + "".join(f"{i};Nom {i % 97};{i},5\n" for i in range(100_000))
    raw = open_file(write(tmp_path, "a.csv", text))
    assert raw.estimated_rows is not None
    assert 80_000 < raw.estimated_rows < 125_000  # the sample's rows are a little shorter


def test_source_rows_follow_the_file_order_in_parallel(tmp_path):
    text = "id;texte\n" + "".join(f'{i};"ligne {i}\nsuite"\n' for i in range(1, 200_001))
    raw = open_file(write(tmp_path, "a.csv", text))
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")  # as the pipeline does
    relation = raw.to_relation(con)
    assert relation.columns == ["id", "texte", SOURCE_ROW]
    query = f"SELECT count(*) FROM relation WHERE id::BIGINT <> {SOURCE_ROW}"  # noqa: S608
    assert con.sql(query).fetchall() == [(0,)]
    assert con.sql("SELECT count(*) FROM relation").fetchall() == [(200_000,)]


# --- CSV: bad files --------------------------------------------------------------------------


def test_an_empty_file(tmp_path):
    assert "is empty" in refused(write(tmp_path, "a.csv", b""))
    assert "is empty" in refused(write(tmp_path, "b.csv", b"\r\n\n  \n"))


def test_a_header_alone_is_zero_rows(tmp_path):
    raw, got = read(write(tmp_path, "a.csv", "id;nom\n"))
    assert (raw.columns, got) == (["id", "nom"], [])
    assert rows(open_file(write(tmp_path, "b.csv", "id;nom"))) == []


def test_random_bytes_are_not_a_csv_file(tmp_path):
    data = random.Random(4).randbytes(5000)  # noqa: S311 - reproducible, not secret
    message = refused(write(tmp_path, "a.csv", data))
    assert "not a CSV text file" in message and "binary" in message
    assert "PDF" in refused(write(tmp_path, "b.csv", b"%PDF-1.7\n" + data))
    assert "gzip" in refused(write(tmp_path, "c.csv", gzip.compress(TEXT.encode())))


def test_a_file_cut_inside_a_quoted_value(tmp_path):
    message = refused(write(tmp_path, "a.csv", 'id;texte\n1;"complet"\n2;"coupé au mil'))
    assert "Line 3" in message and "never closed" in message and "truncated" in message
    body = "id;texte\n" + "".join(f'{i};"texte {i}"\n' for i in range(10_000))
    big = write(tmp_path, "b.csv", body + '10000;"coupé au mil')
    message = refused_later(big)
    assert "Line 10002" in message and "never closed" in message


def test_repeated_names_are_named(tmp_path):
    message = refused(write(tmp_path, "a.csv", "Nom;date;nom;Date;x\n1;2;3;4;5\n"))
    assert "same name" in message
    assert "“Nom” (1, 3)" in message and "“date” (2, 4)" in message


def test_blank_names_are_refused(tmp_path):
    message = refused(write(tmp_path, "a.csv", "a;;c; ;e\n1;2;3;4;5\n"))
    assert "no name" in message and "2, 4" in message
    assert "no column" in refused(write(tmp_path, "b.csv", ";;\n1;2;3\n"))
    assert "_source_row" in refused(write(tmp_path, "c.csv", "id;_source_row\n1;2\n"))


def test_a_one_gigabyte_line_fails_fast_while_sniffing(tmp_path):
    path = tmp_path / "huge.csv"
    chunk = b"x" * (16 * 1024**2)
    with path.open("wb") as file:
        for _ in range(64):
            file.write(chunk)
    try:
        started = time.monotonic()
        with pytest.raises(SourceError) as caught:
            sniff_csv(path)
        assert time.monotonic() - started < 1
        assert "no line end" in caught.value.in_language("en")
        with pytest.raises(SourceError):
            open_file(path)
    finally:
        path.unlink()


def test_a_long_line_beyond_the_sample_is_refused_by_duckdb(tmp_path):
    body = "id;texte\n" + "".join(f"{i};court\n" for i in range(10_000))
    path = write(tmp_path, "a.csv", body + "10000;" + "x" * (3 * 1024**2) + "\n10001;fin\n")
    message = refused_later(path)
    assert "longer than" in message


@pytest.mark.parametrize(
    ("line", "expected"), [("3;4;5", "(3 instead of 2)"), ("3", "(1 instead of 2)")]
)
def test_too_many_or_too_few_fields_name_the_line(tmp_path, line, expected):
    message = refused(write(tmp_path, "a.csv", f"a;b\n1;2\n{line}\n6;7\n"))
    assert "Line 3" in message and expected in message and f"“{line}”" in message
    body = "a;b\n" + "".join(f"{i};{i}\n" for i in range(20_000))
    message = refused_later(write(tmp_path, "b.csv", body + line + "\n"))
    assert "Line 20002" in message and expected in message


def test_missing_file_folder_and_path(tmp_path):
    assert "does not exist" in refused(tmp_path / "absent.csv")
    assert "folder" in refused(tmp_path)
    with pytest.raises(SourceError):
        FileKind({}).open()
    assert "Unknown file format" in refused(write(tmp_path, "a.csv", TEXT), format="docx")


def test_explain_never_fails_and_names_the_file(tmp_path):
    path = write(tmp_path, "a.csv", TEXT)
    raw = open_file(path)
    path.unlink()
    with pytest.raises(duckdb.Error) as caught:
        rows(raw)
    message = explain_duckdb_error(caught.value, path).in_language("en")
    assert "a.csv" in message
    assert "odd" in explain_duckdb_error(duckdb.Error("odd"), path).in_language("en")


# --- Spreadsheets ----------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    hidden.title = "Cachée"
    hidden["A1"] = "secret"
    hidden.sheet_state = "hidden"
    sheet = workbook.create_sheet("Données")
    sheet["B3"], sheet["C3"], sheet["D3"], sheet["E3"] = " Nom ", "Montant", "Date", "Quand"
    sheet["F3"], sheet["G3"], sheet["H3"] = "Actif", 2023, "Heure"
    sheet.append([])
    sheet["B4"], sheet["C4"], sheet["D4"] = "Café", 12.5, dt.date(2023, 1, 5)
    sheet["E4"], sheet["F4"], sheet["G4"] = dt.datetime(2023, 1, 5, 10, 30, 15), True, 3.0
    sheet["H4"] = dt.time(8, 15)
    sheet["B6"], sheet["C6"], sheet["G6"] = "Thé", 1234567.891, 1e20
    sheet["B7"], sheet["C7"] = "Eau", 0.1 + 0.2
    other = workbook.create_sheet("Autre")
    other.append(["x"])
    other.append([1])
    workbook.save(path)
    return path


def test_xlsx(tmp_path):
    raw, got = read(_workbook(tmp_path / "a.xlsx"))
    assert raw.columns == ["Nom", "Montant", "Date", "Quand", "Actif", "2023", "Heure"]
    assert raw.batches is not None and raw.relation is None
    assert got == [
        ("Café", "12.5", "2023-01-05", "2023-01-05T10:30:15", "true", "3", "08:15:00", 1),
        ("Thé", "1234567.891", None, None, None, "100000000000000000000", None, 3),
        ("Eau", "0.3", None, None, None, None, None, 4),
    ]
    assert raw.hints.date_formats == ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]
    assert raw.hints.decimal == "."
    assert "Données" in raw.description


def test_xlsx_sheet_by_name_or_number(tmp_path):
    path = _workbook(tmp_path / "a.xlsx")
    assert read(path, sheet="Autre")[1] == [("1", 1)]
    assert read(path, sheet=3)[1] == [("1", 1)]
    assert read(path, sheet="1")[0].columns == ["secret"]
    message = refused(path, sheet="Budget")
    assert "no sheet “Budget”" in message and "“Données”" in message


def test_xlsx_streams_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "BATCH_ROWS", 2)
    workbook = openpyxl.Workbook()
    workbook.active.append(["n"])
    for number in range(5):
        workbook.active.append([number])
    workbook.save(tmp_path / "a.xlsx")
    raw = open_file(tmp_path / "a.xlsx")
    assert raw.batches is not None
    sizes = [batch.num_rows for batch in raw.batches()]
    assert sizes == [2, 2, 1]
    assert rows(raw)[-1] == ("4", 5)


def test_an_empty_sheet_and_a_blank_header(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.save(tmp_path / "a.xlsx")
    assert "is empty" in refused(tmp_path / "a.xlsx")
    workbook.active.append(["a", None, "c"])
    workbook.active.append([1, 2, 3])
    workbook.save(tmp_path / "b.xlsx")
    assert "no name" in refused(tmp_path / "b.xlsx")


def _ods(path: Path, table: list[list[object]]) -> Path:
    """A minimal OpenDocument spreadsheet, built by hand."""

    def cell(value: object) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (
                f'<table:table-cell office:value-type="date" '
                f'office:date-value="{value.isoformat()}"><text:p>x</text:p></table:table-cell>'
            )
        if isinstance(value, int | float):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            "</text:p></table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(value) for value in line) + "</table:table-row>"
        for line in table
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Feuille1">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_ods(tmp_path):
    table = [
        ["Nom", "Montant", "Date"],
        ["Café", 12.5, dt.date(2023, 1, 5)],
        ["Thé", 3, dt.datetime(2023, 1, 5, 10, 30)],
    ]
    path = _ods(tmp_path / "a.bin", table)  # found by its content, whatever its name
    assert detect_format(path) == "ods"
    raw, got = read(path)
    assert raw.columns == ["Nom", "Montant", "Date"]
    assert got == [("Café", "12.5", "2023-01-05", 1), ("Thé", "3", "2023-01-05T10:30:00", 2)]
    assert "OpenDocument" in raw.description


def test_a_text_file_named_xlsx_or_xls(tmp_path):
    message = refused(write(tmp_path, "a.xlsx", TEXT))
    assert "not a valid Excel file" in message and "CSV" in message
    assert "HTML" in refused(write(tmp_path, "b.xls", "<html><table></table></html>"))


def test_a_zip_archive_that_is_no_spreadsheet(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("donnees.csv", TEXT)
    assert "ZIP archive" in refused(tmp_path / "a.zip")


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """An xlsx-looking ZIP whose sheet is 256 MB of zeros (about 1 MB packed)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    zeros = bytes(16 * 1024**2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(16):
                member.write(zeros)
    return path


@pytest.fixture
def no_calamine(monkeypatch):
    class Refused:
        @classmethod
        def from_path(cls, *args, **kwargs):
            raise AssertionError("calamine must not open a zip bomb")

    monkeypatch.setattr(files, "CalamineWorkbook", Refused)


def test_a_zip_bomb_too_big_once_uncompressed(zip_bomb, monkeypatch, no_calamine):
    monkeypatch.setattr(files, "MAX_UNCOMPRESSED_BYTES", 128 * 1024**2)
    monkeypatch.setattr(files, "MAX_COMPRESSION_RATIO", 10**6)
    message = refused(zip_bomb)
    assert "once uncompressed" in message and "protect the server" in message


def test_a_zip_bomb_too_compressed(zip_bomb, no_calamine):
    assert files.MAX_UNCOMPRESSED_BYTES > 256 * 1024**2
    assert "times its size" in refused(zip_bomb)


# --- JSON and NDJSON -------------------------------------------------------------------------

RECORDS = [
    {"id": 1, "nom": "Café", "montant": 12.5, "actif": True, "adresse": {"ville": "Rennes"}},
    {"id": 2, "nom": "", "montant": 1e-7, "tags": ["a", "b"], "adresse": {"cp": "35000"}},
    {"id": 3, "nom": None, "montant": 1e20, "actif": False, "quand": "2023-01-05"},
]
FLAT = [
    ("1", "Café", "12.5", "true", "Rennes", None, None, None, 1),
    ("2", None, "0.0000001", None, None, '["a", "b"]', "35000", None, 2),
    ("3", None, "100000000000000000000", "false", None, None, None, "2023-01-05", 3),
]
FLAT_COLUMNS = ["id", "nom", "montant", "actif", "adresse.ville", "tags", "adresse.cp", "quand"]


def test_json_array(tmp_path):
    raw, got = read(write(tmp_path, "a.json", json.dumps(RECORDS)))
    assert raw.columns == FLAT_COLUMNS
    assert got == FLAT
    assert raw.hints.date_formats == ["%Y-%m-%d"]
    assert raw.estimated_rows == 3


def test_json_records_path_and_auto_detection(tmp_path):
    document = {"meta": {"total": 3}, "data": {"items": RECORDS}}
    path = write(tmp_path, "a.json", json.dumps(document))
    raw, got = read(path, records_path="data.items")
    assert got == FLAT
    assert "data.items" in raw.description
    assert read(path)[1] == FLAT  # the only array of objects
    message = refused(path, records_path="data.rows")
    assert "nothing at “data.rows”" in message
    several = write(tmp_path, "b.json", json.dumps({"a": RECORDS, "b": [{"x": 1}]}))
    assert "several arrays" in refused(several)
    assert read(write(tmp_path, "c.json", '{"id": 7}'))[1] == [("7", 1)]


def test_invalid_json_gives_line_and_column(tmp_path):
    message = refused(write(tmp_path, "a.json", '[\n  {"id": 1},\n  {"id": 2,,}\n]'))
    assert "not valid JSON" in message and "line 3" in message and "column 12" in message
    assert "not a JSON object" in refused(write(tmp_path, "b.json", "[1, 2]"))


def test_a_json_file_too_big_to_parse_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_JSON_BYTES", 100)
    assert "NDJSON" in refused(write(tmp_path, "a.json", json.dumps(RECORDS)))


def test_ndjson(tmp_path):
    text = "\n".join(json.dumps(record) for record in RECORDS[:2]) + "\n\n"
    text += json.dumps(RECORDS[2]) + "\n"
    path = write(tmp_path, "a.json", text)  # NDJSON inside, whatever the extension
    assert detect_format(path) == "ndjson"
    raw, got = read(path)
    assert raw.columns == FLAT_COLUMNS
    assert got == FLAT
    assert raw.estimated_rows == 3


def test_invalid_ndjson_gives_the_line(tmp_path):
    message = refused(write(tmp_path, "a.ndjson", '{"id": 1}\n{"id": 2\n'))
    assert "Line 2" in message and "not valid JSON" in message
    assert "Line 2" in refused(write(tmp_path, "b.ndjson", '{"id": 1}\n[2]\n'))


def test_a_batch_error_is_explained(tmp_path):
    path = write(tmp_path, "a.ndjson", '{"id": 1}\n{"id": 2}\n')
    raw = open_file(path)
    path.write_text('{"id": 1}\n{"id": \n')  # changed between opening and reading
    with pytest.raises(duckdb.Error) as caught:
        rows(raw)
    message = explain_duckdb_error(caught.value, path).in_language("en")
    assert "Line 2" in message and "not valid JSON" in message


# --- Parquet ---------------------------------------------------------------------------------


def test_parquet(tmp_path):
    table = pa.table(
        {
            "nom": pa.array(["Café", "", None]),
            "n": pa.array([1, None, -3], pa.int64()),
            "x": pa.array([3.0, 1e-7, 12.5]),
            "ok": pa.array([True, False, None]),
            "jour": pa.array([dt.date(2023, 1, 5), None, None]),
            "quand": pa.array(
                [dt.datetime(2023, 1, 5, 10, 30), None, dt.datetime(2023, 1, 6)], pa.timestamp("us")
            ),
            "utc": pa.array(
                [dt.datetime(2023, 1, 5, 10, 30, tzinfo=dt.UTC), None, None],
                pa.timestamp("ms", tz="UTC"),
            ),
            "fin": pa.array([dt.datetime(2023, 1, 5, 10, 30, 0, 250000), None, None]),
            "prix": pa.array([decimal.Decimal("12.50"), None, None], pa.decimal128(6, 2)),
            "liste": pa.array([[1, 2], None, []]),
            "cat": pa.array(["a", "b", "a"]).dictionary_encode(),
            "vide": pa.nulls(3),
        }
    )
    path = tmp_path / "a.data"
    pq.write_table(table, path, row_group_size=2)
    raw, got = read(path)
    assert raw.columns == table.column_names
    assert raw.estimated_rows == 3
    assert got == [
        (
            "Café",
            "1",
            "3",
            "true",
            "2023-01-05",
            "2023-01-05T10:30:00",
            "2023-01-05T10:30:00",
            "2023-01-05T10:30:00.250000",
            "12.50",
            "[1, 2]",
            "a",
            None,
            1,
        ),
        (None, None, "0.0000001", "false", None, None, None, None, None, None, "b", None, 2),
        (
            None,
            "-3",
            "12.5",
            None,
            None,
            "2023-01-06T00:00:00",
            None,
            None,
            None,
            "[]",
            "a",
            None,
            3,
        ),
    ]
    assert raw.hints.date_formats == ["%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


def test_a_broken_parquet_file(tmp_path):
    assert "not a valid Parquet file" in refused(write(tmp_path, "a.parquet", b"PAR1garbage"))


# --- Format sniffing -------------------------------------------------------------------------


def test_formats_by_content_then_extension(tmp_path):
    _workbook(tmp_path / "w.bin")
    assert detect_format(tmp_path / "w.bin") == "xlsx"
    pq.write_table(pa.table({"a": [1]}), tmp_path / "p.dat")
    assert detect_format(tmp_path / "p.dat") == "parquet"
    assert detect_format(write(tmp_path, "j.txt", '[{"a": 1}]')) == "json"
    assert detect_format(write(tmp_path, "n.txt", '{"a": 1}\n{"a": 2}\n')) == "ndjson"
    assert detect_format(write(tmp_path, "c.csv", "[a];[b]\n1;2\n")) == "csv"
    assert detect_format(write(tmp_path, "c.tsv", "a\tb\n")) == "csv"
    assert detect_format(write(tmp_path, "x", "a;b\n")) == "csv"
    assert detect_format(write(tmp_path, "y.json", "a;b\n"), "csv") == "csv"
    assert detect_format(write(tmp_path, "l.jsonl", '{"a": 1}\n')) == "ndjson"


# --- Never another exception -----------------------------------------------------------------

VALID_CSV = (
    'id;nom;montant;date\r\n1;"Dupont; Jean";12,5;01/02/2023\r\n'
    '2;"sur\ndeux ""lignes""";"1 234,50";2023-02-01T10:00:00\r\n3;Œuvre ’ €;;\r\n'
)


def _outcome(data: bytes, name: str) -> str:
    """ "refused", "explained" or "read": never anything else."""
    with tempfile.TemporaryDirectory(prefix="pilotis-test-files-") as folder:
        return _outcome_in(Path(folder) / name, data)


def _outcome_in(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    try:
        raw = open_file(path)
    except SourceError as error:
        assert error.in_language("en") and str(error)
        return "refused"
    try:
        with duckdb.connect() as con:
            got = raw.to_relation(con).fetchall()
        assert all(len(row) == len(raw.columns) + 1 for row in got)
        assert [row[-1] for row in got] == sorted(row[-1] for row in got)
    except duckdb.Error as error:
        explained = explain_duckdb_error(error, path)
        assert isinstance(explained, SourceError) and explained.in_language("en")
        return "explained"
    finally:
        if raw.cleanup:
            raw.cleanup()
    return "read"


QUICK = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(data=st.binary(max_size=3000), name=st.sampled_from(["a.csv", "a", "a.json", "a.xlsx"]))
def test_random_bytes_never_raise_anything_else(data, name):
    _outcome(data, name)


@st.composite
def mutated_csv(draw) -> bytes:
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]))
    data = bytearray(VALID_CSV.encode(encoding))
    for _ in range(draw(st.integers(0, 4))):
        operation = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if operation == "cut":
            del data[position:]
        elif operation == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[position:position] = draw(st.sampled_from([b'"', b";", b"\n", b"\r", b"\xe9"]))
        elif data:
            del data[position]
    return bytes(data)


@QUICK
@given(data=mutated_csv())
def test_mutated_csv_never_raises_anything_else(data):
    _outcome(data, "a.csv")


def test_the_valid_csv_of_the_properties_reads(tmp_path):
    raw, got = read(write(tmp_path, "a.csv", VALID_CSV, "cp1252"))
    assert got[1] == ("2", 'sur\ndeux "lignes"', "1 234,50", "2023-02-01T10:00:00", 2)
    assert raw.hints.decimal == "," and raw.hints.thousands == " "
    assert raw.hints.date_formats == ["%Y-%m-%dT%H:%M:%S", "%d/%m/%Y"]


def test_streams_are_text_and_numbers(tmp_path):
    raw = open_file(write(tmp_path, "a.json", json.dumps(RECORDS)))
    schema = raw.arrow_schema()
    assert [field.type for field in schema] == [pa.string()] * len(FLAT_COLUMNS) + [pa.int64()]
    assert raw.batches is not None
    batches = list(raw.batches())
    assert all(batch.schema == schema for batch in batches)
