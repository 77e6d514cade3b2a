"""National data schemas (schema.data.gouv.fr) and the check of a file against one of them.

A dataset published by Pilotis may declare a national Table Schema, e.g. `scdl/subventions`
2.1.1. Publication must then fail with a report a clerk can act on, row by row, when the data do
not conform; and for the files French authorities really export (Windows-1252, `;`, amounts
written `137 825,00`, dates `30/01/2018`, header case drift…) Pilotis proposes the fixes it can
make safely, and says which errors no program can repair (a SIRET exported as a decimal number has
lost its digits: only a new export can bring them back).

- The schemas are copies shipped with Pilotis (`schemas/`, see its SOURCES.md and index.json):
  `available()`, `get(name, version)`, and `scdl_schemas()` for the SCDL list of the catalogue.
- `read_table(path)` reads a CSV (any encoding, separator, line ends: sniffed by
  `pilotis.connectors.files.sniff_csv`) or a workbook into a table of text, every value exactly
  as written, and describes the file (`SourceFormat`, with the row number of every table row).
- `validate(table, schema, source)` checks the Table Schema v1 rules the national schemas use
  (header, types and formats, constraints, missing values, primary key, the simple custom checks
  of Validata) in DuckDB, vectorised: one SQL query per field, never a Python loop per row.
  Columns are matched to the schema's fields by name, as Validata does (not by position); a
  column named like a field up to case, accents, spaces and underscores is an “incorrect label”
  and its cells are still checked.
- `propose_fixes`, `apply_fixes` and `check_file(path, name)` give the report, the safe fixes and
  the report once they are applied.

Row numbers are those a spreadsheet shows when it opens the file: the header is row 1, the first
data row 2, empty rows (removed from the table) keep their place, and a value spanning several
lines is one row. `CellError.line` gives the line in a text editor as well.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import functools
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from pilotis.connectors.files import (
    _WRONG_FIELD_COUNT,
    _cell_text,
    _check_container,
    _decoder,
    _pick_sheet,
    _spreadsheet_header,
    detect_format,
    encoding_label,
    sniff_csv,
)
from pilotis.connectors.kinds import SourceError
from pilotis.errors import PilotisError
from pilotis.exports import table_csv

__all__ = [
    "MAX_ERRORS",
    "CellError",
    "Fix",
    "HeaderIssue",
    "NationalSchema",
    "Report",
    "SourceFormat",
    "Unfixable",
    "apply_fixes",
    "available",
    "check_file",
    "get",
    "propose_fixes",
    "read_table",
    "scdl_schemas",
    "to_csv",
    "validate",
    "write_csv",
]

SCHEMA_DIR = Path(__file__).with_name("schemas")
INDEX_FILE = SCHEMA_DIR / "index.json"
SCDL_CATALOGUE = SCHEMA_DIR / "catalog" / "schemas-scdl.json"

MAX_ERRORS = 1_000  # cell errors kept one by one in a report (the counts cover every row)
MAX_EXAMPLES = 3  # examples of a fix, of an unfixable problem, of a rule's failing values
MAX_ROWS_QUOTED = 5  # row numbers quoted by an unfixable problem
MAX_MAPPED_VALUES = 10_000  # distinct values a case fix considers

# --- Messages ------------------------------------------------------------------------------


def _interpolate(message: str | Promise, params: dict[str, Any]) -> str:
    return str(message % params)


_lazy_interpolate = lazy(_interpolate, str)


def _msg(message: str | Promise, **params: Any) -> Promise:
    """`message % params`, translated when it is read (in the language active then)."""
    return cast(Promise, _lazy_interpolate(message, params))


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"“{value}”" for value in values)


def _short(value: str | None, limit: int = 80) -> str:
    text = "" if value is None else value.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- The schemas shipped with Pilotis ------------------------------------------------------


@functools.cache
def _read_json(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    parts = re.split(r"[.\-]", version.strip().lstrip("vV"))
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in parts)


@dataclass(frozen=True)
class NationalSchema:
    """A national Table Schema as schema.data.gouv.fr names it, e.g. scdl/subventions 2.1.1."""

    name: str
    version: str
    title: str
    path: Path

    def descriptor(self) -> dict[str, Any]:
        """The Table Schema descriptor (a copy: change it freely)."""
        data: dict[str, Any] = copy.deepcopy(_read_json(str(self.path)))
        return data

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


def _entries() -> list[dict[str, Any]]:
    data = _read_json(str(INDEX_FILE))
    return list(data["schemas"])


def _schema(entry: dict[str, Any]) -> NationalSchema:
    return NationalSchema(
        name=entry["name"],
        version=entry["version"],
        title=entry["title"],
        path=SCHEMA_DIR / entry["path"],
    )


def available() -> list[NationalSchema]:
    """Every national schema Pilotis ships, by name then version."""
    schemas = [_schema(entry) for entry in _entries()]
    return sorted(schemas, key=lambda schema: (schema.name, _version_key(schema.version)))


def get(name: str, version: str | None = None) -> NationalSchema:
    """The schema `name` (as schema.data.gouv.fr spells it, e.g. "scdl/subventions"; its short
    name, e.g. "subventions", is accepted too) in `version`, by default the latest one shipped."""
    wanted = name.strip().casefold()
    entries = [
        entry
        for entry in _entries()
        if entry["name"].casefold() == wanted
        or wanted in (alias.casefold() for alias in entry.get("aliases", []))
    ]
    if not entries:
        raise PilotisError(
            _("Unknown national schema “%(name)s”. The schemas Pilotis knows are: %(known)s."),
            name=name,
            known=", ".join(sorted({entry["name"] for entry in _entries()})),
        )
    if version is None or not version.strip():
        return _schema(max(entries, key=lambda entry: _version_key(entry["version"])))
    wanted_version = version.strip().lstrip("vV")
    for entry in entries:
        if entry["version"] == wanted_version:
            return _schema(entry)
    raise PilotisError(
        _(
            "Pilotis does not have version %(version)s of the schema “%(name)s”; it has: "
            "%(versions)s."
        ),
        version=version,
        name=entries[0]["name"],
        versions=", ".join(
            entry["version"]
            for entry in sorted(entries, key=lambda entry: _version_key(entry["version"]))
        ),
    )


def scdl_schemas() -> list[dict[str, Any]]:
    """The schemas of the Socle Commun des Données Locales, from schema.data.gouv.fr's catalogue
    (schemas-scdl.json): name, title, latest `version` and its `schema_url`, `schema_type`,
    `homepage`, and `available`, the versions Pilotis ships (empty when it ships none)."""
    shipped: dict[str, list[str]] = {}
    for entry in _entries():
        shipped.setdefault(entry["name"], []).append(entry["version"])
    result = []
    for schema in _read_json(str(SCDL_CATALOGUE))["schemas"]:
        versions = schema.get("versions") or []
        latest = (
            max(versions, key=lambda version: _version_key(version["version_name"]))
            if versions
            else None
        )
        result.append(
            {
                "name": schema["name"],
                "title": schema.get("title", schema["name"]),
                "version": latest["version_name"] if latest else None,
                "schema_url": latest["schema_url"] if latest else schema.get("schema_url"),
                "schema_type": schema.get("schema_type"),
                "homepage": schema.get("homepage"),
                "available": sorted(shipped.get(schema["name"], []), key=_version_key),
            }
        )
    return result


# --- Reading a file ------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFormat:
    """How the file was written, as read: `encoding` a Python codec name ("utf-8",
    "windows-1252"…; "" for a workbook), `delimiter` ("" for a workbook), `line_endings` "CRLF",
    "LF", "CR", "mixed" or "" (one line, or a workbook), `header` the column names as written and
    `header_row` the row they are on; `blank_rows` the rows that were empty (not in the table);
    `rows` and `lines` give, for each row of the table, its row number (as a spreadsheet shows
    it) and the line of the text file where it starts."""

    file: str = ""
    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    line_endings: str = "LF"
    has_bom: bool = False
    header: tuple[str, ...] = ()
    header_row: int = 1
    blank_rows: tuple[int, ...] = ()
    rows: tuple[int, ...] = ()
    lines: tuple[int, ...] = ()

    @property
    def encoding_label(self) -> str:
        return encoding_label(self.encoding) if self.encoding else ""


def _line_endings(text: str) -> str:
    crlf = text.count("\r\n")
    kinds = [
        kind
        for kind, count in (
            ("CRLF", crlf),
            ("LF", text.count("\n") - crlf),
            ("CR", text.count("\r") - crlf),
        )
        if count
    ]
    if not kinds:
        return ""
    return kinds[0] if len(kinds) == 1 else "mixed"


def _is_blank(values: Sequence[str]) -> bool:
    return all(not value.strip() for value in values)


def _table(labels: list[str], columns: list[list[str]]) -> pa.Table:
    keep = [
        index
        for index, label in enumerate(labels)
        if label.strip() or any(value.strip() for value in columns[index])
    ]
    return pa.table(
        [pa.array(columns[index], pa.string()) for index in keep],
        names=[labels[index] for index in keep],
    )


def _read_csv(path: Path) -> tuple[pa.Table, SourceFormat]:
    dialect = sniff_csv(path)
    data = path.read_bytes()
    has_bom = data.startswith(b"\xef\xbb\xbf")
    text = _decoder(dialect.encoding)(data[3:] if has_bom else data, True).lstrip("\ufeff")
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        doublequote=dialect.escapechar == dialect.quotechar,
        escapechar=None if dialect.escapechar == dialect.quotechar else dialect.escapechar,
    )
    labels: list[str] | None = None
    columns: list[list[str]] = []
    rows: list[int] = []
    lines: list[int] = []
    blank: list[int] = []
    header_row = width = row = last_line = 0
    for fields in reader:
        first_line, last_line = last_line + 1, reader.line_num
        if labels is None:
            joined = dialect.delimiter.join(fields)
            if not row and dialect.skip_lines and re.fullmatch(r"sep=.", joined):
                continue  # Excel's "sep=;" line, which spreadsheets do not show
            row += 1
            if not fields or _is_blank(fields):
                continue
            labels, header_row, width = list(fields), row, len(fields)
            columns = [[] for _ in range(width)]
            continue
        row += 1
        if not fields or _is_blank(fields):
            blank.append(row)
            continue
        if len(fields) != width:
            if len(fields) > width and _is_blank(fields[width:]):
                fields = fields[:width]
            else:
                raise SourceError(
                    _WRONG_FIELD_COUNT,
                    line=first_line,
                    file=path.name,
                    found=len(fields),
                    expected=width,
                    excerpt=f"“{_short(dialect.delimiter.join(fields))}”",
                )
        for index, value in enumerate(fields):
            columns[index].append(value)
        rows.append(row)
        lines.append(first_line)
    table = _table(labels or [], columns)
    source = SourceFormat(
        file=path.name,
        format="csv",
        encoding=dialect.encoding,
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        line_endings=_line_endings(text),
        has_bom=dialect.has_bom,
        header=tuple(table.column_names),
        header_row=header_row,
        blank_rows=tuple(blank),
        rows=tuple(rows),
        lines=tuple(lines),
    )
    return table, source


def _read_sheet(path: Path, fmt: str) -> tuple[pa.Table, SourceFormat]:
    _check_container(path, fmt)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_name(_pick_sheet(workbook, None, path))
        header_at, header_cells = _spreadsheet_header(sheet)
        grid = list(sheet.iter_rows())
    except PasswordError:
        raise SourceError(
            _(
                "The workbook “%(file)s” is protected by a password: remove the protection and "
                "load it again."
            ),
            file=path.name,
        ) from None
    except CalamineError as error:
        raise SourceError(
            _(
                "The workbook “%(file)s” could not be read (%(error)s): open it in a spreadsheet "
                "program, save it again, and load the new file."
            ),
            file=path.name,
            error=str(error)[:300],
        ) from None
    if header_cells is None:
        raise SourceError(_("The file “%(file)s” is empty: export the data again."), file=path.name)
    labels = [_cell_text(cell) or "" for cell in header_cells]
    width = len(labels)
    columns: list[list[str]] = [[] for _ in range(width)]
    rows: list[int] = []
    blank: list[int] = []
    for index in range(header_at + 1, len(grid)):
        values = [_cell_text(cell) or "" for cell in grid[index][:width]]
        values += [""] * (width - len(values))
        number = index + 1  # iter_rows starts at the sheet's first row
        if _is_blank(values):
            blank.append(number)
            continue
        for position, value in enumerate(values):
            columns[position].append(value)
        rows.append(number)
    table = _table(labels, columns)
    source = SourceFormat(
        file=path.name,
        format=fmt,
        encoding="",
        delimiter="",
        quotechar="",
        line_endings="",
        header=tuple(table.column_names),
        header_row=header_at + 1,
        blank_rows=tuple(blank),
        rows=tuple(rows),
        lines=tuple(rows),
    )
    return table, source


def read_table(path: Path) -> tuple[pa.Table, SourceFormat]:
    """The file at `path` (CSV, xlsx, xls, ods) as a table of text, every value exactly as written
    ("" for an empty cell), without its empty rows; and how it was written.

    Raises `SourceError` (a `PilotisError`) when the file cannot be read."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "csv":
        return _read_csv(path)
    if fmt in ("xlsx", "xls", "ods"):
        return _read_sheet(path, fmt)
    raise SourceError(
        _(
            "“%(file)s” is a %(format)s file: a national schema applies to a table, a CSV file or "
            "a spreadsheet (xlsx, xls, ods)."
        ),
        file=path.name,
        format=fmt.upper(),
    )


def write_csv(table: pa.Table) -> bytes:
    """The table as the file to publish: UTF-8, comma-separated, quoted where needed."""
    out = io.BytesIO()
    pa_csv.write_csv(
        table.cast(pa.schema([(name, pa.string()) for name in table.column_names])),
        out,
        pa_csv.WriteOptions(quoting_style="needed"),
    )
    return out.getvalue()


# --- Report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderIssue:
    """`kind` "missing" (a field of the schema no column holds), "extra" (a column the schema does
    not have) or "incorrect_label" (a column named like a field up to case, accents, spaces,
    underscores: its cells are checked as that field's)."""

    kind: str
    field: str | None
    found: str | None
    required: bool = False
    column: int | None = None  # 1-based position of the column in the file

    @property
    def message(self) -> Promise:
        if self.kind == "missing":
            if self.required:
                return _msg(_("The required column “%(field)s” is missing."), field=self.field)
            return _msg(
                _("The column “%(field)s” is missing (it may be left empty, not left out)."),
                field=self.field,
            )
        if self.kind == "incorrect_label":
            return _msg(
                _("The column “%(found)s” must be named exactly “%(field)s”."),
                found=self.found,
                field=self.field,
            )
        return _msg(_("The column “%(found)s” is not in the schema."), found=self.found)


@dataclass(frozen=True)
class CellError:
    """A value that breaks a rule: `row` as a spreadsheet numbers it (header = 1), `line` where
    the row starts in a text editor, `field` the schema's field, `column` the column as the file
    names it, `rule` "type", "required", "enum", "pattern", "minimum", "maximum", "minLength",
    "maxLength", "unique", "primaryKey" or the name of a custom check ("french-siret-value"…)."""

    row: int
    line: int
    field: str
    column: str
    rule: str
    value: str | None
    message: Promise | str


@dataclass(frozen=True)
class Unfixable:
    """A problem Pilotis will not repair because the right value cannot be known (digits lost,
    an ambiguous date…): the clerk must correct the source or export it again."""

    kind: str
    column: str
    field: str | None
    count: int
    rows: list[int]
    examples: list[str]
    message: Promise | str


@dataclass(frozen=True)
class Fix:
    """A safe correction: `kind` "encoding", "delimiter" and "line_endings" (the published file
    is UTF-8, comma-separated, one kind of line end: nothing to change in the table),
    "blank_rows" (already left out of the table), "header" (rename a column), "order" (put the
    columns in the schema's order), "trim", "number", "date", "enum_case"; `count` the cells
    changed, `examples` (before, after) pairs. `column` is the column the fix applies to as
    named in the table given to `propose_fixes`, `params` what `apply_fixes` needs."""

    kind: str
    field: str | None
    count: int
    examples: list[tuple[str, str]]
    description: Promise | str
    column: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)


# Table Schema rules as frictionless names its errors (custom checks are not frictionless').
FRICTIONLESS_ERRORS = {
    "type": "type-error",
    "unique": "unique-error",
    "primaryKey": "primary-key",
    **{
        rule: "constraint-error"
        for rule in (
            "required",
            "enum",
            "pattern",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
        )
    },
}
RULE_LABELS: dict[str, Promise] = {
    "type": _("wrong type"),
    "required": _("missing value"),
    "enum": _("value not allowed"),
    "pattern": _("wrong form"),
    "minimum": _("below the minimum"),
    "maximum": _("above the maximum"),
    "exclusiveMinimum": _("below the minimum"),
    "exclusiveMaximum": _("above the maximum"),
    "minLength": _("too short"),
    "maxLength": _("too long"),
    "unique": _("repeated value"),
    "primaryKey": _("repeated key"),
    "french-siret-value": _("invalid SIRET"),
    "french-siren-value": _("invalid SIREN"),
    "one-of-required": _("missing value"),
    "cohesive-columns-value": _("incomplete columns"),
    "compare-columns-value": _("inconsistent columns"),
    "sum-columns-value": _("wrong sum"),
    "year-interval-value": _("wrong period"),
    "missing": _("missing column"),
    "extra": _("column not in the schema"),
    "incorrect_label": _("column name"),
    "blank-row": _("empty row"),
}


@dataclass
class Report:
    """What `validate` found. `counts` gives, for every field, the number of errors of each rule
    over all rows; `errors` the first MAX_ERRORS one by one; `samples` a few failing values of
    each field and rule (for `summary`)."""

    schema: str
    valid: bool
    rows: int
    header: list[HeaderIssue] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    samples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    blank_rows: list[int] = field(default_factory=list)
    unfixable: list[Unfixable] = field(default_factory=list)
    notes: list[Promise | str] = field(default_factory=list)
    source: SourceFormat | None = None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def cell_error_count(self) -> int:
        return sum(sum(rules.values()) for rules in self.counts.values())

    @property
    def error_count(self) -> int:
        """Every error: header issues, empty rows and cell errors (all rows)."""
        return len(self.header) + len(self.blank_rows) + self.cell_error_count

    @property
    def truncated(self) -> bool:
        return self.cell_error_count > len(self.errors)

    def frictionless_counts(self) -> dict[str, int]:
        """The errors as frictionless (schema_sync) counts them, by frictionless error type;
        custom checks (which frictionless does not run) left out."""
        result: dict[str, int] = {}
        for issue in self.header:
            kind = {
                "missing": "missing-label",
                "extra": "extra-label",
                "incorrect_label": "incorrect-label",
            }[issue.kind]
            result[kind] = result.get(kind, 0) + 1
        if self.blank_rows:
            result["blank-row"] = len(self.blank_rows)
        for rules in self.counts.values():
            for rule, count in rules.items():
                if rule in FRICTIONLESS_ERRORS:
                    kind = FRICTIONLESS_ERRORS[rule]
                    result[kind] = result.get(kind, 0) + count
        return result

    def summary(self) -> list[str]:
        """Lines a clerk can read (in the active language): what is wrong and where."""
        lines: list[str] = []
        if self.valid:
            lines.append(
                ngettext(
                    "The file conforms to the schema %(schema)s (%(rows)s row).",
                    "The file conforms to the schema %(schema)s (%(rows)s rows).",
                    self.rows,
                )
                % {"schema": self.schema, "rows": self.rows}
            )
        lines += self._header_lines()
        if self.blank_rows:
            count = len(self.blank_rows)
            lines.append(
                ngettext(
                    "%(count)s empty row (row %(rows)s): remove it.",
                    "%(count)s empty rows (rows %(rows)s): remove them.",
                    count,
                )
                % {"count": count, "rows": _row_list(self.blank_rows)}
            )
        order = list(self.fields) + [name for name in self.counts if name not in self.fields]
        for name in order:
            for rule, count in self.counts.get(name, {}).items():
                lines.append(self._rule_line(name, rule, count))
        lines += [str(problem.message) for problem in self.unfixable]
        lines += [str(note) for note in self.notes]
        if self.truncated:
            lines.append(
                gettext(
                    "Only the first %(kept)s errors are listed one by one; the counts above "
                    "cover all %(count)s."
                )
                % {"kept": len(self.errors), "count": self.cell_error_count}
            )
        return lines

    def _header_lines(self) -> list[str]:
        lines: list[str] = []
        required = [i.field or "" for i in self.header if i.kind == "missing" and i.required]
        optional = [i.field or "" for i in self.header if i.kind == "missing" and not i.required]
        extra = [i.found or "" for i in self.header if i.kind == "extra"]
        if required:
            lines.append(
                ngettext(
                    "Missing required column: %(columns)s.",
                    "Missing required columns: %(columns)s.",
                    len(required),
                )
                % {"columns": _quoted(required)}
            )
        if optional:
            lines.append(
                ngettext(
                    "Missing column (it may stay empty, but it must be there): %(columns)s.",
                    "Missing columns (they may stay empty, but they must be there): %(columns)s.",
                    len(optional),
                )
                % {"columns": _quoted(optional)}
            )
        for issue in self.header:
            if issue.kind == "incorrect_label":
                lines.append(
                    gettext(
                        "The column “%(found)s” must be named exactly “%(field)s” (capitals, "
                        "accents and spaces count)."
                    )
                    % {"found": issue.found, "field": issue.field}
                )
        if extra:
            lines.append(
                ngettext(
                    "Column not in the schema: %(columns)s.",
                    "Columns not in the schema: %(columns)s.",
                    len(extra),
                )
                % {"columns": _quoted(extra)}
            )
        return lines

    def _rule_line(self, name: str, rule: str, count: int) -> str:
        spec = self.fields.get(name, {})
        samples = self.samples.get(name, {}).get(rule, [])
        example = _short(samples[0]) if samples else ""
        params: dict[str, Any] = {"field": name, "count": count, "example": example}
        kind = spec.get("type", "string")
        constraints = spec.get("constraints", {})
        if rule == "type" and kind == "number" and re.search(r"[ ,\u00a0\u202f]", example):
            params["fixed"] = _french_number(example)
            text = ngettext(
                "Column %(field)s: %(count)s row has a number written “%(example)s”; expected a "
                "number without spaces, with a decimal point (e.g. %(fixed)s).",
                "Column %(field)s: %(count)s rows have a number written “%(example)s”; expected "
                "a number without spaces, with a decimal point (e.g. %(fixed)s).",
                count,
            )
        elif rule == "type" and kind == "date":
            params["fixed"] = _iso_date_example(example) or spec.get("example") or "2018-01-30"
            params["expected"] = _date_expected(spec)
            text = ngettext(
                "Column %(field)s: %(count)s row has a date written “%(example)s”; expected "
                "%(expected)s (e.g. %(fixed)s).",
                "Column %(field)s: %(count)s rows have a date written “%(example)s”; expected "
                "%(expected)s (e.g. %(fixed)s).",
                count,
            )
        elif rule == "type":
            params["expected"] = _type_expected(spec)
            text = ngettext(
                "Column %(field)s: %(count)s row has a value that is not %(expected)s "
                "(“%(example)s”).",
                "Column %(field)s: %(count)s rows have a value that is not %(expected)s "
                "(e.g. “%(example)s”).",
                count,
            )
        elif rule == "required":
            text = ngettext(
                "Column %(field)s: %(count)s row is empty, but a value is required.",
                "Column %(field)s: %(count)s rows are empty, but a value is required.",
                count,
            )
        elif rule == "enum":
            params["allowed"] = _quoted(str(value) for value in constraints.get("enum", []))
            text = ngettext(
                "Column %(field)s: %(count)s row has a value that is not allowed (“%(example)s”); "
                "allowed values: %(allowed)s.",
                "Column %(field)s: %(count)s rows have a value that is not allowed (e.g. "
                "“%(example)s”); allowed values: %(allowed)s.",
                count,
            )
        elif rule == "pattern":
            params["expected"] = spec.get("example") or constraints.get("pattern", "")
            text = ngettext(
                "Column %(field)s: %(count)s row has a value of the wrong form (“%(example)s”); "
                "expected a value like “%(expected)s”.",
                "Column %(field)s: %(count)s rows have a value of the wrong form (e.g. "
                "“%(example)s”); expected a value like “%(expected)s”.",
                count,
            )
        elif rule in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            params["limit"] = constraints.get(rule)
            below = rule in ("minimum", "exclusiveMinimum")
            text = (
                ngettext(
                    "Column %(field)s: %(count)s row is below the minimum %(limit)s "
                    "(“%(example)s”).",
                    "Column %(field)s: %(count)s rows are below the minimum %(limit)s (e.g. "
                    "“%(example)s”).",
                    count,
                )
                if below
                else ngettext(
                    "Column %(field)s: %(count)s row is above the maximum %(limit)s "
                    "(“%(example)s”).",
                    "Column %(field)s: %(count)s rows are above the maximum %(limit)s (e.g. "
                    "“%(example)s”).",
                    count,
                )
            )
        elif rule in ("minLength", "maxLength"):
            params["limit"] = constraints.get(rule)
            text = (
                ngettext(
                    "Column %(field)s: %(count)s row has fewer than %(limit)s characters.",
                    "Column %(field)s: %(count)s rows have fewer than %(limit)s characters.",
                    count,
                )
                if rule == "minLength"
                else ngettext(
                    "Column %(field)s: %(count)s row has more than %(limit)s characters.",
                    "Column %(field)s: %(count)s rows have more than %(limit)s characters.",
                    count,
                )
            )
        elif rule in ("unique", "primaryKey"):
            text = ngettext(
                "Column %(field)s: %(count)s row repeats a value that must be unique "
                "(“%(example)s”).",
                "Column %(field)s: %(count)s rows repeat a value that must be unique (e.g. "
                "“%(example)s”).",
                count,
            )
        elif rule in ("french-siret-value", "french-siren-value"):
            text = ngettext(
                "Column %(field)s: %(count)s row has a number whose check digit is wrong "
                "(“%(example)s”): check it in the Sirene directory "
                "(annuaire-entreprises.data.gouv.fr).",
                "Column %(field)s: %(count)s rows have a number whose check digit is wrong (e.g. "
                "“%(example)s”): check them in the Sirene directory "
                "(annuaire-entreprises.data.gouv.fr).",
                count,
            )
        elif rule == "one-of-required":
            params["other"] = self._check_param(rule, name, "column2")
            text = ngettext(
                "Columns %(field)s and %(other)s: %(count)s row has neither; one of them is "
                "required.",
                "Columns %(field)s and %(other)s: %(count)s rows have neither; one of them is "
                "required.",
                count,
            )
        else:
            params["rule"] = str(RULE_LABELS.get(rule, rule))
            text = ngettext(
                "Column %(field)s: %(count)s row fails the check “%(rule)s” (“%(example)s”).",
                "Column %(field)s: %(count)s rows fail the check “%(rule)s” (e.g. “%(example)s”).",
                count,
            )
        return text % params

    def _check_param(self, rule: str, name: str, key: str) -> str:
        for check in self.fields.get(name, {}).get("_checks", []):
            if check.get("name") == rule:
                return str(check.get("params", {}).get(key, ""))
        return ""


def _row_list(rows: Sequence[int], limit: int = 10) -> str:
    text = ", ".join(str(row) for row in rows[:limit])
    return text + ("…" if len(rows) > limit else "")


def _french_number(value: str) -> str:
    """An example written the French way (“137 825,00”) as the schema wants it (137825.00)."""
    text = re.sub(r"[\s\u00a0\u202f€]", "", value)
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    return text


def _iso_date_example(value: str) -> str | None:
    """An example date year first (2018/01/30, 2018-01-30 00:00:00) in ISO; None when the
    order of day and month would be a guess."""
    found = re.fullmatch(
        r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?", value
    )
    if not found:
        return None
    year, month, day = found.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _date_expected(spec: dict[str, Any]) -> Promise | str:
    fmt = str(spec.get("format", "default")).removeprefix("fmt:")
    if fmt in ("default", "%Y-%m-%d"):
        return _("a date written YYYY-MM-DD")
    if fmt == "any":
        return _("a date")
    return _msg(_("a date in the format %(format)s"), format=fmt)


_TYPE_EXPECTED: dict[str, Promise] = {
    "number": _("a number with a decimal point and no spaces (e.g. 1234.56)"),
    "integer": _("a whole number, digits only (e.g. 1234)"),
    "year": _("a year of four digits (e.g. 2024)"),
    "yearmonth": _("a month written YYYY-MM"),
    "datetime": _("a date and time written YYYY-MM-DDThh:mm:ss"),
    "time": _("a time written hh:mm:ss"),
    "duration": _("a duration written the ISO 8601 way (e.g. P1DT2H)"),
    "object": _("a JSON object"),
    "array": _("a JSON array"),
    "geojson": _("a GeoJSON object"),
}


def _type_expected(spec: dict[str, Any]) -> Promise | str:
    kind = spec.get("type", "string")
    fmt = spec.get("format", "default")
    if kind == "boolean":
        values = spec.get("trueValues", _TRUE) + spec.get("falseValues", _FALSE)
        return _msg(_("one of %(values)s"), values=_quoted(values))
    if kind == "string":
        return {
            "email": _("an e-mail address"),
            "uri": _("an address (URI) with its scheme, e.g. https://…"),
            "uuid": _("a UUID"),
            "binary": _("base64 data"),
        }.get(fmt, _("text"))
    if kind == "geopoint":
        return {
            "array": _("a point written [longitude, latitude]"),
            "object": _('a point written {"lon": …, "lat": …}'),
        }.get(fmt, _("a point written “longitude, latitude”"))
    if kind == "date":
        return _date_expected(spec)
    return _TYPE_EXPECTED.get(kind, _msg(_("of type %(type)s"), type=kind))


def to_csv(report: Report) -> bytes:
    """The report's errors as a CSV French Excel opens by a double click (UTF-8 with BOM, `;`):
    row, column, rule, value, message; header issues on row 1. Cells that a spreadsheet would
    take for a formula are neutralised."""
    table_rows: list[list[object]] = []
    for issue in report.header:
        table_rows.append(
            [
                report.source.header_row if report.source else 1,
                issue.found if issue.kind != "missing" else issue.field,
                str(RULE_LABELS[issue.kind]),
                issue.found or "",
                str(issue.message),
            ]
        )
    for row in report.blank_rows:
        table_rows.append(["" if row is None else row, "", str(RULE_LABELS["blank-row"]), "", ""])
    for error in report.errors:
        table_rows.append(
            [
                error.row,
                error.column,
                str(RULE_LABELS.get(error.rule, error.rule)),
                error.value or "",
                str(error.message),
            ]
        )
    if report.truncated:
        table_rows.append(
            [
                "",
                "",
                "",
                "",
                gettext("… and %(count)s more errors (see the counts of the report).")
                % {"count": report.cell_error_count - len(report.errors)},
            ]
        )
    columns = [
        gettext("row"),
        gettext("column"),
        gettext("rule"),
        gettext("value"),
        gettext("message"),
    ]
    return table_csv(columns, table_rows)


# --- Validation ----------------------------------------------------------------------------

_TRUE = ["true", "True", "TRUE", "1"]
_FALSE = ["false", "False", "FALSE", "0"]
_SPACE_CHARS = " \u00a0\u202f"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_URI = r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_BASE64 = r"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|[+-]?INF"
_INTEGER = r"[+-]?\d+"
_FLOAT_TEXT = r"[+-]?\d+(\.\d+)?"
_TIME = r"\d{2}:\d{2}:\d{2}(\.\d+)?"
_YEAR = r"\d{4}"
_YEARS = r"\d{4}/\d{4}"
_SIREN = r"\d{9}"
_DIGITS = r"\d+"
_ZERO_V = "'0' || v"
_ZEROS_V = "'00' || v"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_DURATION = r"P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _strip(sql: str) -> str:
    return f"regexp_replace({sql}, '^\\s+|\\s+$', '', 'g')"


def _full(sql: str, regex: str) -> str:
    return f"regexp_full_match({sql}, {_lit(regex)})"


def _no_outer_space(sql: str) -> str:
    return f"NOT regexp_matches({sql}, '^\\s|\\s$')"


def _number_literal(value: Any) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return f"CAST({number!r} AS DOUBLE)"


@dataclass
class _Typed:
    """How a field's values are checked in SQL: `ok` is true for a non-null value of the type
    (None: any text is), `typed` the value for comparisons, `kind` the family of the value."""

    ok: str | None
    typed: str
    kind: str


@dataclass
class _Column:
    """A schema field matched to a column of the table."""

    name: str
    label: str
    index: int  # in the table
    spec: dict[str, Any]
    position: int  # in the schema
    raw: str  # SQL column of the text as written
    value: str  # SQL column of the value, NULL for a missing value

    @property
    def constraints(self) -> dict[str, Any]:
        constraints: dict[str, Any] = self.spec.get("constraints") or {}
        return constraints


def _descriptor_of(schema: NationalSchema | dict[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(schema, NationalSchema):
        return schema.descriptor(), schema.label
    name = schema.get("name") or schema.get("title") or "Table Schema"
    version = schema.get("version")
    return schema, f"{name} {version}" if version else str(name)


def _label_key(label: str) -> str:
    """A column name without case, accents, spaces, underscores, hyphens, dots or quotes."""
    text = unicodedata.normalize("NFKD", label)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.sub(r"[\s_\-.'’]+", "", text).casefold()


def _primary_key(descriptor: dict[str, Any]) -> list[str]:
    key = descriptor.get("primaryKey") or []
    return [key] if isinstance(key, str) else [str(name) for name in key]


def _match_header(
    labels: Sequence[str], descriptor: dict[str, Any]
) -> tuple[dict[str, int], list[HeaderIssue]]:
    """Which column holds each field (by name; nearly the same name is an incorrect label) and
    the header issues."""
    specs = [spec for spec in descriptor.get("fields", []) if spec.get("name")]
    key_fields = set(_primary_key(descriptor))
    matches: dict[str, int] = {}
    taken: set[int] = set()
    for spec in specs:
        name = spec["name"]
        if name in labels:
            index = list(labels).index(name)
            matches[name] = index
            taken.add(index)
    issues: list[HeaderIssue] = []
    for spec in specs:
        name = spec["name"]
        if name in matches:
            continue
        candidates = [
            index
            for index, label in enumerate(labels)
            if index not in taken and _label_key(label) == _label_key(name)
        ]
        if len(candidates) == 1:
            matches[name] = candidates[0]
            taken.add(candidates[0])
            issues.append(
                HeaderIssue(
                    "incorrect_label", name, labels[candidates[0]], column=candidates[0] + 1
                )
            )
    for spec in specs:
        name = spec["name"]
        if name not in matches:
            required = bool((spec.get("constraints") or {}).get("required")) or name in key_fields
            issues.append(HeaderIssue("missing", name, None, required=required))
    for index, label in enumerate(labels):
        if index not in taken:
            issues.append(HeaderIssue("extra", None, label, column=index + 1))
    return matches, issues


def _typed(spec: dict[str, Any], v: str, notes: list[Promise | str]) -> _Typed:
    kind = spec.get("type", "string") or "string"
    fmt = str(spec.get("format", "default") or "default").removeprefix("fmt:")
    name = spec.get("name", "")
    if kind == "string":
        regex = {"email": _EMAIL, "uri": _URI, "uuid": _UUID, "binary": _BASE64}.get(fmt)
        if regex:
            return _Typed(_full(v, regex), v, "text")
        if fmt != "default":
            notes.append(
                _msg(
                    _("The format “%(format)s” of the field %(field)s is not checked."),
                    format=fmt,
                    field=name,
                )
            )
        return _Typed(None, v, "text")
    if kind == "integer":
        text = _strip(v)
        if spec.get("bareNumber") is False:
            text = f"regexp_replace({text}, '^[^-+0-9]*|[^0-9]*$', '', 'g')"
        return _Typed(_full(text, _INTEGER), f"TRY_CAST({text} AS DOUBLE)", "number")
    if kind == "number":
        text = _strip(v)
        if spec.get("bareNumber") is False:
            text = f"regexp_replace({text}, '^[^-+0-9]*|[^0-9]*$', '', 'g')"
        group = spec.get("groupChar") or ""
        decimal = spec.get("decimalChar") or "."
        if group:
            text = f"replace({text}, {_lit(group)}, '')"
        if decimal != ".":
            text = (
                f"CASE WHEN contains({text}, '.') THEN NULL "
                f"ELSE replace({text}, {_lit(decimal)}, '.') END"
            )
        return _Typed(_full(text, _NUMBER), f"TRY_CAST({text} AS DOUBLE)", "number")
    if kind == "boolean":
        true = [str(value) for value in spec.get("trueValues", _TRUE)]
        false = [str(value) for value in spec.get("falseValues", _FALSE)]
        everything = ", ".join(_lit(value) for value in true + false) or "NULL"
        return _Typed(
            f"{v} IN ({everything})",
            f"({v} IN ({', '.join(_lit(value) for value in true) or 'NULL'}))",
            "boolean",
        )
    if kind == "date":
        if fmt == "default":
            parsed = f"try_strptime({v}, '%Y-%m-%d')"
            ok = f"{_full(v, _ISO_DATE)} AND {parsed} IS NOT NULL"
        elif fmt == "any":
            formats = ["%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d"]
            parsed = f"try_strptime({v}, [{', '.join(_lit(f) for f in formats)}])"
            ok = f"{_no_outer_space(v)} AND {parsed} IS NOT NULL"
        else:
            parsed = f"try_strptime({v}, {_lit(fmt)})"
            ok = f"{_no_outer_space(v)} AND {parsed} IS NOT NULL"
        return _Typed(ok, f"CAST({parsed} AS DATE)", "date")
    if kind == "datetime":
        if fmt in ("default", "any"):
            regex = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"
            if fmt == "any":
                regex = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
            parsed = f"TRY_CAST(replace(substr({v}, 1, 19), 'T', ' ') AS TIMESTAMP)"
            return _Typed(f"{_full(v, regex)} AND {parsed} IS NOT NULL", parsed, "datetime")
        parsed = f"try_strptime({v}, {_lit(fmt)})"
        return _Typed(f"{_no_outer_space(v)} AND {parsed} IS NOT NULL", parsed, "datetime")
    if kind == "time":
        parsed = f"TRY_CAST({v} AS TIME)"
        if fmt not in ("default", "any"):
            parsed = f"CAST(try_strptime({v}, {_lit(fmt)}) AS TIME)"
            return _Typed(f"{_no_outer_space(v)} AND {parsed} IS NOT NULL", parsed, "time")
        return _Typed(f"{_full(v, _TIME)} AND {parsed} IS NOT NULL", parsed, "time")
    if kind == "year":
        return _Typed(_full(v, r"\d{4}"), f"TRY_CAST({v} AS DOUBLE)", "number")
    if kind == "yearmonth":
        return _Typed(_full(v, r"\d{4}-(0[1-9]|1[0-2])"), v, "text")
    if kind == "duration":
        return _Typed(
            f"{_full(v, _DURATION)} AND {v} <> 'P' AND NOT ends_with({v}, 'T')", v, "text"
        )
    if kind == "geopoint":
        if fmt == "array":
            regex = rf"\[\s*({_FLOAT_TEXT})\s*,\s*({_FLOAT_TEXT})\s*\]"
            lon = f"TRY_CAST(regexp_extract({v}, {_lit(regex)}, 1) AS DOUBLE)"
            lat = f"TRY_CAST(regexp_extract({v}, {_lit(regex)}, 3) AS DOUBLE)"
            shape = _full(v, regex)
        elif fmt == "object":
            shape = f"json_valid({v})"
            lon = f"TRY_CAST(json_extract_string({v}, '$.lon') AS DOUBLE)"
            lat = f"TRY_CAST(json_extract_string({v}, '$.lat') AS DOUBLE)"
        else:
            regex = rf"\s*({_FLOAT_TEXT})\s*,\s*({_FLOAT_TEXT})\s*"
            lon = f"TRY_CAST(regexp_extract({v}, {_lit(regex)}, 1) AS DOUBLE)"
            lat = f"TRY_CAST(regexp_extract({v}, {_lit(regex)}, 3) AS DOUBLE)"
            shape = _full(v, regex)
        ok = f"{shape} AND {lon} BETWEEN -180 AND 180 AND {lat} BETWEEN -90 AND 90"
        return _Typed(ok, v, "text")
    if kind in ("object", "array", "geojson"):
        wanted = "ARRAY" if kind == "array" else "OBJECT"
        ok = f"CASE WHEN json_valid({v}) THEN json_type({v}) = '{wanted}' ELSE false END"
        return _Typed(ok, v, "json" if kind == "array" else "text")
    if kind != "any":
        notes.append(
            _msg(
                _("The type “%(type)s” of the field %(field)s is not checked."),
                type=kind,
                field=name,
            )
        )
    return _Typed(None, v, "text")


def _regex_works(con: duckdb.DuckDBPyConnection, regex: str) -> bool:
    try:
        con.execute(f"SELECT regexp_full_match('', {_lit(regex)})").fetchall()  # noqa: S608
    except duckdb.Error:
        return False
    return True


def _format_works(con: duckdb.DuckDBPyConnection, fmt: str) -> bool:
    try:
        con.execute(f"SELECT try_strptime('2000-01-01', {_lit(fmt)})").fetchall()  # noqa: S608
    except duckdb.Error:
        return False
    return True


def _constraints(
    column: _Column, typed: _Typed, con: duckdb.DuckDBPyConnection, notes: list[Promise | str]
) -> list[tuple[str, str]]:
    """(rule, condition a valid value meets) of the field's constraints (besides required and
    unique)."""
    rules: list[tuple[str, str]] = []
    v = column.value
    constraints = column.constraints
    kind = column.spec.get("type", "string")
    if "enum" in constraints and isinstance(constraints["enum"], list):
        values = constraints["enum"]
        if typed.kind == "number":
            literals = [number for value in values if (number := _number_literal(value))]
            rules.append(("enum", f"{typed.typed} IN ({', '.join(literals) or 'NULL'})"))
        else:
            literals = [_lit(str(value)) for value in values]
            rules.append(("enum", f"{v} IN ({', '.join(literals) or 'NULL'})"))
    pattern = constraints.get("pattern")
    if isinstance(pattern, str) and kind == "string":
        if _regex_works(con, pattern):
            rules.append(("pattern", _full(v, pattern)))
        else:
            notes.append(
                _msg(
                    _(
                        "The pattern of the field %(field)s is not checked: Pilotis cannot read "
                        "the regular expression %(pattern)s."
                    ),
                    field=column.name,
                    pattern=pattern,
                )
            )
    for rule in ("minLength", "maxLength"):
        if rule in constraints:
            try:
                limit = int(constraints[rule])
            except (TypeError, ValueError):
                continue
            length = f"json_array_length({v})" if typed.kind == "json" else f"length({v})"
            operator = ">=" if rule == "minLength" else "<="
            rules.append((rule, f"{length} {operator} {limit}"))
    comparisons = {
        "minimum": ">=",
        "maximum": "<=",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    for rule, operator in comparisons.items():
        if rule not in constraints:
            continue
        limit = constraints[rule]
        literal: str | None
        if typed.kind == "number":
            literal = _number_literal(limit)
        elif typed.kind == "date":
            literal = f"TRY_CAST({_lit(str(limit))} AS DATE)"
        elif typed.kind == "datetime":
            literal = f"TRY_CAST({_lit(str(limit))} AS TIMESTAMP)"
        elif typed.kind == "time":
            literal = f"TRY_CAST({_lit(str(limit))} AS TIME)"
        else:
            literal = None
        if literal is not None:
            rules.append((rule, f"{typed.typed} {operator} {literal}"))
    return rules


_ERROR_COLUMNS = (
    "__row, __line, pos, field, value, rule, CAST(ref AS BIGINT) AS ref, "
    "CAST(detail AS VARCHAR) AS detail"
)


def _field_query(
    column: _Column,
    typed: _Typed,
    constraints: list[tuple[str, str]],
    required: bool,
    unique: bool,
) -> str | None:
    v = column.value
    ok = f"({v} IS NOT NULL AND coalesce({typed.ok}, false))" if typed.ok else f"({v} IS NOT NULL)"
    cases: list[str] = []
    if required:
        cases.append(f"CASE WHEN {v} IS NULL THEN 'required' END")
    if typed.ok:
        cases.append(
            f"CASE WHEN {v} IS NOT NULL AND NOT coalesce({typed.ok}, false) THEN 'type' END"
        )
    for rule, condition in constraints:
        cases.append(f"CASE WHEN {ok} AND NOT coalesce({condition}, true) THEN {_lit(rule)} END")
    windows = "NULL AS __dup, NULL AS __first"
    if unique:
        partition = f"PARTITION BY {ok}, {typed.typed}"
        windows = (
            f"row_number() OVER ({partition} ORDER BY __row) AS __dup, "
            f"min(__row) OVER ({partition}) AS __first"
        )
        cases.append(f"CASE WHEN {ok} AND __dup > 1 THEN 'unique' END")
    if not cases:
        return None
    return (
        f"SELECT __row, __line, {column.position} AS pos, {_lit(column.name)} AS field, "  # noqa: S608
        f"{column.raw} AS value, rule, CASE WHEN rule = 'unique' THEN __first END AS ref, "
        f"NULL AS detail FROM (SELECT *, unnest([{', '.join(cases)}]) AS rule FROM "
        f"(SELECT *, {windows} FROM cells)) WHERE rule IS NOT NULL"
    )


def _luhn(sql: str, digits: int) -> str:
    """SQL: the Luhn sum of the `digits`-digit text `sql`."""
    terms = []
    for index in range(1, digits + 1):
        digit = f"TRY_CAST(substr({sql}, {index}, 1) AS INTEGER)"
        if (digits - index) % 2 == 1:
            terms.append(f"((2 * {digit}) % 10 + (2 * {digit}) // 10)")
        else:
            terms.append(digit)
    return "(" + " + ".join(terms) + ")"


def _digit_sum(sql: str, digits: int) -> str:
    return (
        "("
        + " + ".join(f"TRY_CAST(substr({sql}, {i}, 1) AS INTEGER)" for i in range(1, digits + 1))
        + ")"
    )


def _custom_queries(
    descriptor: dict[str, Any],
    columns: dict[str, _Column],
    notes: list[Promise | str],
) -> list[str]:
    """SQL of the custom checks of Validata the schema declares and Pilotis knows."""
    queries: list[str] = []

    def select(column: _Column, rule: str, condition: str, detail: str = "NULL") -> str:
        return (
            f"SELECT __row, __line, {column.position} AS pos, {_lit(column.name)} AS field, "  # noqa: S608
            f"{column.raw} AS value, {_lit(rule)} AS rule, NULL AS ref, {detail} AS detail "
            f"FROM cells WHERE coalesce({condition}, false)"
        )

    for check in descriptor.get("custom_checks") or []:
        name = check.get("name", "")
        params = check.get("params") or {}
        target = columns.get(str(params.get("column", "")))
        if name in ("french-siret-value", "french-siren-value"):
            if target is None:
                continue
            digits = 14 if name == "french-siret-value" else 9
            v = target.value
            valid = f"{_luhn(v, digits)} % 10 = 0"
            if digits == 14:  # La Poste's establishments: the sum of the digits, modulo 5
                valid = (
                    f"CASE WHEN starts_with({v}, '356000000') THEN {_digit_sum(v, 14)} % 5 = 0 "
                    f"ELSE {valid} END"
                )
            shape = _full(v, rf"\d{{{digits}}}")
            condition = f"{v} IS NOT NULL AND {shape} AND NOT ({valid})"
            queries.append(select(target, name, condition))
        elif name == "one-of-required":
            first = columns.get(str(params.get("column1", "")))
            second = columns.get(str(params.get("column2", "")))
            if first is None and second is None:
                continue
            anchor = first or second
            assert anchor is not None  # noqa: S101 - one of them is there
            condition = " AND ".join(f"{c.value} IS NULL" for c in (first, second) if c)
            queries.append(select(anchor, name, condition, _lit(str(params.get("column2", "")))))
        elif name == "cohesive-columns-value":
            names = [str(params.get("column", ""))] + [
                str(n) for n in params.get("othercolumns", [])
            ]
            present = [columns[n] for n in names if n in columns]
            if len(present) != len(names) or target is None:
                notes.append(_skipped(name, _("some of its columns are missing")))
                continue
            filled = " + ".join(f"CAST({c.value} IS NOT NULL AS INTEGER)" for c in present)
            condition = f"({filled}) BETWEEN 1 AND {len(present) - 1}"
            queries.append(select(target, name, condition, _lit(", ".join(names))))
        elif name == "compare-columns-value":
            other = columns.get(str(params.get("column2", "")))
            operator = str(params.get("op", ""))
            if (
                target is None
                or other is None
                or operator not in ("<", "<=", ">", ">=", "==", "!=")
            ):
                if target is not None:
                    notes.append(_skipped(name, _("its second column is missing")))
                continue
            sql_operator = {"==": "=", "!=": "<>"}.get(operator, operator)
            a, b = target.value, other.value
            comparison = (
                f"coalesce(TRY_CAST({a} AS DOUBLE) {sql_operator} TRY_CAST({b} AS DOUBLE), "
                f"TRY_CAST({a} AS DATE) {sql_operator} TRY_CAST({b} AS DATE))"
            )
            queries.append(
                select(
                    target,
                    name,
                    f"NOT {comparison}",
                    f"{_lit(operator + ' ' + other.name + ' ')} || {other.raw}",
                )
            )
        elif name == "sum-columns-value":
            parts = [columns.get(str(n)) for n in params.get("columns", [])]
            if target is None or not parts or any(part is None for part in parts):
                if target is not None:
                    notes.append(_skipped(name, _("some of its columns are missing")))
                continue
            values = [f"TRY_CAST({part.value} AS DOUBLE)" for part in parts if part]
            total = " + ".join(values)
            all_present = " AND ".join(f"{value} IS NOT NULL" for value in values)
            condition = (
                f"TRY_CAST({target.value} AS DOUBLE) IS NOT NULL AND {all_present} AND "
                f"TRY_CAST({target.value} AS DOUBLE) <> {total}"
            )
            queries.append(select(target, name, condition, f"CAST({total} AS VARCHAR)"))
        elif name == "year-interval-value":
            if target is None:
                continue
            v = target.value
            interval = (
                f"({_full(v, _YEARS)} AND "
                f"TRY_CAST(substr({v}, 1, 4) AS INTEGER) < TRY_CAST(substr({v}, 6, 4) AS INTEGER))"
            )
            if str(params.get("allow-year-only", "")).lower() in ("yes", "true", "1", "oui"):
                interval = f"({interval} OR {_full(v, _YEAR)})"
            queries.append(select(target, name, f"{v} IS NOT NULL AND NOT {interval}"))
        elif name == "nomenclature-actes-value":
            notes.append(_skipped(name, _("it needs the national list of act subjects")))
        else:
            notes.append(_skipped(name, _("Pilotis does not know this check")))
    return queries


def _skipped(check: str, reason: Promise | str) -> Promise:
    return _msg(
        _("The check “%(check)s” of the schema is not run: %(reason)s."), check=check, reason=reason
    )


def _cell_message(
    rule: str, spec: dict[str, Any], value: str | None, ref: int | None, detail: str | None
) -> Promise:
    constraints = spec.get("constraints") or {}
    shown = _short(value)
    if rule == "type":
        return _msg(
            _("“%(value)s” is not %(expected)s."), value=shown, expected=_type_expected(spec)
        )
    if rule == "required":
        return _msg(_("A value is required."))
    if rule == "enum":
        return _msg(
            _("“%(value)s” is not one of the allowed values: %(allowed)s."),
            value=shown,
            allowed=_quoted(str(item) for item in constraints.get("enum", [])),
        )
    if rule == "pattern":
        if spec.get("example"):
            return _msg(
                _("“%(value)s” does not have the expected form (e.g. “%(example)s”)."),
                value=shown,
                example=spec["example"],
            )
        return _msg(
            _("“%(value)s” does not match the expected pattern %(pattern)s."),
            value=shown,
            pattern=constraints.get("pattern", ""),
        )
    if rule in ("minimum", "exclusiveMinimum"):
        return _msg(
            _("%(value)s is below the minimum %(limit)s."), value=shown, limit=constraints.get(rule)
        )
    if rule in ("maximum", "exclusiveMaximum"):
        return _msg(
            _("%(value)s is above the maximum %(limit)s."), value=shown, limit=constraints.get(rule)
        )
    if rule == "minLength":
        return _msg(
            _("The value has %(length)s characters, fewer than %(limit)s."),
            length=len(value or ""),
            limit=constraints.get(rule),
        )
    if rule == "maxLength":
        return _msg(
            _("The value has %(length)s characters, more than %(limit)s."),
            length=len(value or ""),
            limit=constraints.get(rule),
        )
    if rule == "unique":
        return _msg(
            _("“%(value)s” is already on row %(first)s: each value must be unique."),
            value=shown,
            first=ref,
        )
    if rule == "primaryKey":
        return _msg(
            _("This key (%(value)s) is already on row %(first)s: each row must have its own key."),
            value=shown,
            first=ref,
        )
    if rule == "french-siret-value":
        return _msg(
            _("“%(value)s” is not a valid SIRET number: its check digit is wrong."), value=shown
        )
    if rule == "french-siren-value":
        return _msg(
            _("“%(value)s” is not a valid SIREN number: its check digit is wrong."), value=shown
        )
    if rule == "one-of-required":
        return _msg(
            _("Fill in %(field)s or %(other)s: one of them is required."),
            field=spec.get("name", ""),
            other=detail or "",
        )
    if rule == "cohesive-columns-value":
        return _msg(
            _("The columns %(columns)s must be all filled in, or all empty."), columns=detail or ""
        )
    if rule == "compare-columns-value":
        return _msg(_("%(value)s must be %(comparison)s."), value=shown, comparison=detail or "")
    if rule == "sum-columns-value":
        return _msg(
            _("%(value)s is not the sum of the other columns (%(total)s)."),
            value=shown,
            total=detail or "",
        )
    if rule == "year-interval-value":
        return _msg(
            _("“%(value)s” is not a period of years written YYYY/YYYY, the first year first."),
            value=shown,
        )
    return _msg(_("“%(value)s” fails the check %(rule)s."), value=shown, rule=rule)


def _numbers(table: pa.Table, source: SourceFormat | None) -> tuple[pa.Array, pa.Array]:
    count = table.num_rows
    if source is not None and len(source.rows) == count:
        return pa.array(source.rows, pa.int64()), pa.array(
            source.lines if len(source.lines) == count else source.rows, pa.int64()
        )
    header_row = source.header_row if source is not None else 1
    numbers = pa.array(range(header_row + 1, header_row + 1 + count), pa.int64())
    return numbers, numbers


class _Frame:
    """The table in DuckDB: `cells` holds, for every matched field i, r{i} (the text) and v{i}
    (NULL for a missing value), with __row and __line."""

    def __init__(
        self,
        table: pa.Table,
        descriptor: dict[str, Any],
        matches: dict[str, int],
        source: SourceFormat | None,
    ) -> None:
        self.con = duckdb.connect(":memory:")
        rows, lines = _numbers(table, source)
        specs = {spec["name"]: spec for spec in descriptor.get("fields", []) if spec.get("name")}
        positions = {name: index for index, name in enumerate(specs)}
        arrays: list[pa.Array | pa.ChunkedArray] = [rows, lines]
        names = ["__row", "__line"]
        missing = [str(value) for value in descriptor.get("missingValues", [""])]
        self.columns: dict[str, _Column] = {}
        selects = ["__row", "__line"]
        for name, index in matches.items():
            i = len(self.columns)
            arrays.append(table.column(index).cast(pa.string()))
            names.append(f"c{i}")
            column = _Column(
                name=name,
                label=table.column_names[index],
                spec=specs[name],
                index=index,
                position=positions[name],
                raw=f"r{i}",
                value=f"v{i}",
            )
            self.columns[name] = column
            test = " OR ".join(f"c{i} = {_lit(value)}" for value in missing)
            nulled = (
                f"CASE WHEN c{i} IS NULL{' OR ' + test if test else ''} THEN NULL ELSE c{i} END"
            )
            selects += [f"c{i} AS r{i}", f"{nulled} AS v{i}"]
        self.data = pa.table(arrays, names=names)
        self.con.register("data", self.data)
        self.con.execute(f"CREATE TEMP TABLE cells AS SELECT {', '.join(selects)} FROM data")  # noqa: S608

    def close(self) -> None:
        self.con.close()


def validate(
    table: pa.Table, schema: NationalSchema | dict[str, Any], source: SourceFormat | None = None
) -> Report:
    """Check the table (text values, as `read_table` gives) against the Table Schema."""
    descriptor, label = _descriptor_of(schema)
    labels = list(table.column_names)
    matches, header = _match_header(labels, descriptor)
    notes: list[Promise | str] = []
    frame = _Frame(table, descriptor, matches, source)
    try:
        key = _primary_key(descriptor)
        queries: list[str] = []
        typed_of: dict[str, _Typed] = {}
        for column in frame.columns.values():
            typed = _typed(column.spec, column.value, notes)
            if column.spec.get("type") in ("date", "datetime", "time"):
                fmt = str(column.spec.get("format", "default")).removeprefix("fmt:")
                if fmt not in ("default", "any") and not _format_works(frame.con, fmt):
                    notes.append(
                        _msg(
                            _("The format “%(format)s” of the field %(field)s is not checked."),
                            format=fmt,
                            field=column.name,
                        )
                    )
                    typed = _Typed(None, column.value, "text")
            typed_of[column.name] = typed
            constraints = column.constraints
            required = bool(constraints.get("required")) or column.name in key
            unique = bool(constraints.get("unique")) or key == [column.name]
            query = _field_query(
                column, typed, _constraints(column, typed, frame.con, notes), required, unique
            )
            if query:
                queries.append(query)
        if len(key) > 1 and all(name in frame.columns for name in key):
            queries.append(_key_query([frame.columns[name] for name in key], typed_of))
        queries += _custom_queries(descriptor, frame.columns, notes)
        errors, counts, samples = _collect(frame, queries, key)
        unfixable = _analyse(frame, descriptor, labels, table, source)[1]
    finally:
        frame.close()
    blank = list(source.blank_rows) if source is not None else []
    fields = {spec["name"]: spec for spec in descriptor.get("fields", []) if spec.get("name")}
    for check in descriptor.get("custom_checks") or []:
        target = str(
            (check.get("params") or {}).get("column")
            or (check.get("params") or {}).get("column1")
            or ""
        )
        if target in fields:
            fields[target] = {
                **fields[target],
                "_checks": [*fields[target].get("_checks", []), check],
            }
    valid = not header and not blank and not counts
    return Report(
        schema=label,
        valid=valid,
        rows=table.num_rows,
        header=header,
        errors=errors,
        counts=counts,
        samples=samples,
        blank_rows=blank,
        unfixable=unfixable,
        notes=notes,
        source=source,
        fields=fields,
    )


def _key_query(columns: list[_Column], typed_of: dict[str, _Typed]) -> str:
    oks = [
        f"({c.value} IS NOT NULL AND coalesce({typed_of[c.name].ok}, false))"
        if typed_of[c.name].ok
        else f"({c.value} IS NOT NULL)"
        for c in columns
    ]
    all_ok = " AND ".join(oks)
    partition = ", ".join([f"({all_ok})"] + [typed_of[c.name].typed for c in columns])
    first = columns[0]
    value = " || ' | ' || ".join(f"coalesce({c.raw}, '')" for c in columns)
    return (
        f"SELECT __row, __line, {first.position} AS pos, {_lit(first.name)} AS field, "  # noqa: S608
        f"{value} AS value, 'primaryKey' AS rule, __first AS ref, NULL AS detail FROM "
        f"(SELECT *, row_number() OVER (PARTITION BY {partition} ORDER BY __row) AS __dup, "
        f"min(__row) OVER (PARTITION BY {partition}) AS __first FROM cells) "
        f"WHERE ({all_ok}) AND __dup > 1"
    )


def _collect(
    frame: _Frame, queries: list[str], key: list[str]
) -> tuple[list[CellError], dict[str, dict[str, int]], dict[str, dict[str, list[str]]]]:
    if not queries:
        return [], {}, {}
    union = " UNION ALL ".join(f"SELECT {_ERROR_COLUMNS} FROM ({query})" for query in queries)  # noqa: S608
    con = frame.con
    con.execute(f"CREATE TEMP TABLE errs AS {union}")
    counts: dict[str, dict[str, int]] = {}
    for name, rule, count in con.execute(
        "SELECT field, rule, count(*) FROM errs GROUP BY field, rule "
        "ORDER BY min(pos), min(__row), rule"
    ).fetchall():
        counts.setdefault(name, {})[rule] = int(count)
    samples: dict[str, dict[str, list[str]]] = {}
    for name, rule, value in con.execute(
        "SELECT field, rule, value FROM (SELECT field, rule, value, min(__row) AS first "
        "FROM errs GROUP BY field, rule, value) "
        "QUALIFY row_number() OVER (PARTITION BY field, rule ORDER BY first) <= ? "
        "ORDER BY field, rule, first",
        [MAX_EXAMPLES],
    ).fetchall():
        samples.setdefault(name, {}).setdefault(rule, []).append("" if value is None else value)
    errors: list[CellError] = []
    for row, line, _pos, name, value, rule, ref, detail in con.execute(
        f"SELECT * FROM errs ORDER BY __row, pos, rule LIMIT {MAX_ERRORS}"  # noqa: S608
    ).fetchall():
        column = frame.columns[name]
        if rule == "primaryKey":
            label = ", ".join(frame.columns[n].label for n in key if n in frame.columns)
        else:
            label = column.label
        errors.append(
            CellError(
                row=int(row),
                line=int(line),
                field=name,
                column=label,
                rule=rule,
                value=value,
                message=_cell_message(rule, column.spec, value, ref, detail),
            )
        )
    return errors, counts, samples


# --- Safe fixes ----------------------------------------------------------------------------

_SP = f"[{_SPACE_CHARS}]"
_EURO = r"(\s?€)?"
# French ways of writing a number: groups of three digits separated by spaces, a decimal comma.
_FR_SPACE = rf"[+-]?(\d{{1,3}}({_SP}\d{{3}})+|\d+)(,\d+)?{_EURO}"
_FR_DOT = rf"[+-]?(\d{{1,3}}(\.\d{{3}})+|\d+)(,\d+)?{_EURO}"
_FR_INTEGER = rf"[+-]?(\d{{1,3}}({_SP}\d{{3}})+|\d+){_EURO}"
_NUMBER_LIKE = rf"[+-]?\d[\d{_SPACE_CHARS}.,]*{_EURO}"
# Dates: year first, or day (or month) first; a time of midnight after them is dropped.
_YMD = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_DMY = r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"
_MIDNIGHT = r"[ T]00:00(:00(\.0+)?)?"
_DATE_LIKE = rf"({_YMD}|{_DMY})({_MIDNIGHT})?"
_PERIOD_SEPARATOR = r"(?:\s*[_/–]\s*|\s+-\s+|\s+au\s+)"
_PERIOD = rf"({_YMD}|{_DMY})(?:{_PERIOD_SEPARATOR}({_YMD}|{_DMY}))?"
# what a spreadsheet writes for a number: "21860194600000.0", "2.18601946E+13"
_IDENTIFIER_AS_NUMBER = r"[+-]?\d+\.0+|\d(\.\d+)?[eE]\+?\d+"

VALUE_FIXES = ("trim", "number", "date", "enum_case")


def _sql_column(
    con: duckdb.DuckDBPyConnection, column: pa.ChunkedArray | pa.Array, expression: str
) -> pa.ChunkedArray:
    """`expression` (SQL of `v`) over the column, in the column's order."""
    con.register("fixcol", pa.table({"v": column}))
    try:
        result = con.sql(f"SELECT {expression} AS v FROM fixcol").to_arrow_table()  # noqa: S608
    finally:
        con.unregister("fixcol")
    return result.column("v")


def _date_sql(part: str, dmy_format: str | None) -> str:
    """SQL: the text `part` (a date, year first or day first, perhaps with a midnight time) in
    ISO, or NULL when it is not a date or its day/month order is not known."""
    bare = f"regexp_replace({part}, {_lit(_MIDNIGHT + '$')}, '')"
    slashed = f"regexp_replace({bare}, '[-.]', '/', 'g')"
    ymd = f"strftime(try_strptime({slashed}, '%Y/%m/%d'), '%Y-%m-%d')"
    dmy = (
        f"strftime(try_strptime({slashed}, {_lit(dmy_format)}), '%Y-%m-%d')"
        if dmy_format
        else "NULL"
    )
    return f"CASE WHEN {_full(bare, _YMD)} THEN {ymd} WHEN {_full(bare, _DMY)} THEN {dmy} END"


def _fix_sql(fix: Fix) -> str:
    """SQL (of `v`) of a value fix, as `apply_fixes` runs it."""
    params = fix.params
    if fix.kind == "trim":
        return _strip("v")
    if fix.kind == "number":
        pattern = params["pattern"]
        text = f"regexp_replace(regexp_replace(v, '\\s?€$', ''), '[{_SPACE_CHARS}]', '', 'g')"
        if params.get("style") == "dot":
            text = f"replace({text}, '.', '')"
        return f"CASE WHEN {_full('v', pattern)} THEN replace({text}, ',', '.') ELSE v END"
    if fix.kind == "date":
        dmy = params.get("dmy")
        if params.get("period"):
            full = _lit(_PERIOD)
            first = _date_sql(f"regexp_extract(v, {full}, 1)", dmy)
            second = _date_sql(f"regexp_extract(v, {full}, 2)", dmy)
            has_second = f"regexp_extract(v, {full}, 2) <> ''"
            converted = f"CASE WHEN {has_second} THEN {first} || '/' || {second} ELSE {first} END"
            candidate = f"{_full('v', _PERIOD)} AND NOT {_full('v', params['valid'])}"
        else:
            converted = _date_sql("v", dmy)
            candidate = (
                f"{_full('v', _DATE_LIKE)} AND NOT ({_full('v', _ISO_DATE)} AND "
                f"try_strptime(v, '%Y-%m-%d') IS NOT NULL)"
            )
        return f"CASE WHEN {candidate} THEN coalesce({converted}, v) ELSE v END"
    raise ValueError(fix.kind)


def _transform(
    con: duckdb.DuckDBPyConnection, column: pa.ChunkedArray | pa.Array, fix: Fix
) -> pa.ChunkedArray:
    if fix.kind == "enum_case":
        mapping: dict[str, str] = fix.params["mapping"]
        keys = pa.array(list(mapping), pa.string())
        targets = pa.array(list(mapping.values()), pa.string())
        found = pc.index_in(column, value_set=keys)
        mapped = pc.take(targets, found)
        result = pc.coalesce(mapped, column)
        return result if isinstance(result, pa.ChunkedArray) else pa.chunked_array([result])
    return _sql_column(con, column, _fix_sql(fix))


def _changes(
    before: pa.ChunkedArray | pa.Array, after: pa.ChunkedArray | pa.Array
) -> tuple[int, list[tuple[str, str]]]:
    changed = pc.fill_null(pc.not_equal(before, after), False)
    count = int(pc.sum(changed).as_py() or 0)
    examples: list[tuple[str, str]] = []
    if count:
        olds = pc.filter(before, changed).slice(0, 200).to_pylist()
        news = pc.filter(after, changed).slice(0, 200).to_pylist()
        for old, new in zip(olds, news, strict=True):
            if (old, new) not in examples:
                examples.append((old, new))
            if len(examples) >= MAX_EXAMPLES:
                break
    return count, examples


class _Analysis:
    """Proposes the fixes of one table and finds what cannot be fixed."""

    def __init__(
        self,
        frame: _Frame,
        descriptor: dict[str, Any],
        labels: list[str],
        table: pa.Table,
        source: SourceFormat | None,
    ) -> None:
        self.frame = frame
        self.con = frame.con
        self.descriptor = descriptor
        self.labels = labels
        self.table = table
        self.source = source
        self.fixes: list[Fix] = []
        self.unfixable: list[Unfixable] = []
        self.missing = [str(value) for value in descriptor.get("missingValues", [""])]
        self.rows = frame.data.column("__row")

    # helpers

    def _present(self, column: pa.ChunkedArray) -> str:
        """SQL: `v` holds a value (not NULL, not a missing value)."""
        tests = " AND ".join(f"v <> {_lit(value)}" for value in self.missing)
        return f"v IS NOT NULL{' AND ' + tests if tests else ''}"

    def _query(self, column: pa.ChunkedArray, sql: str) -> list[tuple[Any, ...]]:
        self.con.register("col", pa.table({"v": column, "__row": self.rows}))
        try:
            return self.con.execute(sql).fetchall()
        finally:
            self.con.unregister("col")

    def _count(self, column: pa.ChunkedArray, condition: str) -> int:
        present = self._present(column)
        result = self._query(column, f"SELECT count(*) FROM col WHERE {present} AND ({condition})")  # noqa: S608
        return int(result[0][0])

    def _where(self, column: pa.ChunkedArray, condition: str) -> tuple[int, list[int], list[str]]:
        """(count, first rows, first distinct values) of the values meeting `condition`."""
        present = self._present(column)
        rows = self._query(
            column,
            f"SELECT __row, v FROM col WHERE {present} AND ({condition}) ORDER BY __row",  # noqa: S608
        )
        examples: list[str] = []
        for _row, value in rows:
            if value not in examples:
                examples.append(value)
            if len(examples) >= MAX_EXAMPLES:
                break
        return len(rows), [int(row) for row, _value in rows[:MAX_ROWS_QUOTED]], examples

    def _unfixable(
        self,
        kind: str,
        label: str,
        name: str | None,
        found: tuple[int, list[int], list[str]],
        message: Promise | str,
    ) -> None:
        count, rows, examples = found
        if count:
            self.unfixable.append(Unfixable(kind, label, name, count, rows, examples, message))

    def _propose(self, fix: Fix, column: pa.ChunkedArray) -> pa.ChunkedArray:
        """Keep `fix` when it changes something; the column once fixed."""
        after = _transform(self.con, column, fix)
        count, examples = _changes(column, after)
        if count:
            before, changed = examples[0]
            self.fixes.append(
                replace(
                    fix,
                    count=count,
                    examples=examples,
                    description=_msg(
                        fix.description, count=count, field=fix.field, before=before, after=changed
                    ),
                )
            )
            return after
        return column

    # the analysis

    def run(self) -> None:
        self._file_fixes()
        specs = {
            spec["name"]: spec for spec in self.descriptor.get("fields", []) if spec.get("name")
        }
        checks = self.descriptor.get("custom_checks") or []
        sirets = {
            str((check.get("params") or {}).get("column"))
            for check in checks
            if check.get("name") == "french-siret-value"
        }
        for name, column in self.frame.columns.items():
            data = self.table.column(column.index).cast(pa.string())
            self._value_fixes(name, column.label, specs[name], data)
            self._identifiers(name, column.label, specs[name], data, name in sirets)
        matched = {column.index for column in self.frame.columns.values()}
        for index, label in enumerate(self.labels):
            if index not in matched and "siret" in _label_key(label):
                spec = {"constraints": {"pattern": r"^\d{14}$"}}
                data = self.table.column(index).cast(pa.string())
                self._identifiers(None, label, spec, data, True)
        self._header_fixes()

    def _file_fixes(self) -> None:
        source = self.source
        if source is None:
            return
        if source.format == "csv" and source.encoding not in ("utf-8", ""):
            accented = 0
            for index in range(self.table.num_columns):
                column = self.table.column(index)
                accented += int(
                    pc.sum(pc.invert(pc.fill_null(pc.string_is_ascii(column), True))).as_py() or 0
                )
            self.fixes.append(
                Fix(
                    "encoding",
                    None,
                    accented,
                    [(source.encoding_label, "UTF-8")],
                    _msg(
                        ngettext_lazy(
                            "The file is encoded in %(encoding)s: it is published in UTF-8 "
                            "(%(count)s value with accents or special characters).",
                            "The file is encoded in %(encoding)s: it is published in UTF-8 "
                            "(%(count)s values with accents or special characters).",
                            "count",
                        ),
                        encoding=source.encoding_label,
                        count=accented,
                    ),
                )
            )
        if source.format == "csv" and source.delimiter not in (",", ""):
            shown = str(_("tab")) if source.delimiter == "\t" else source.delimiter
            self.fixes.append(
                Fix(
                    "delimiter",
                    None,
                    0,
                    [(source.delimiter, ",")],
                    _msg(
                        _(
                            "The values are separated by “%(delimiter)s”: the published file "
                            "uses commas."
                        ),
                        delimiter=shown,
                    ),
                )
            )
        if source.line_endings in ("mixed", "CR"):
            self.fixes.append(
                Fix(
                    "line_endings",
                    None,
                    0,
                    [(source.line_endings, "LF")],
                    _(
                        "The file mixes kinds of line ends (Windows and Unix): the published file "
                        "uses one kind; line breaks inside quoted values are kept."
                    )
                    if source.line_endings == "mixed"
                    else _(
                        "The file ends its lines the old Mac way (CR): the published file does not."
                    ),
                )
            )
        if source.blank_rows:
            rows = list(source.blank_rows)
            self.fixes.append(
                Fix(
                    "blank_rows",
                    None,
                    len(rows),
                    [(str(row), "") for row in rows[:MAX_EXAMPLES]],
                    _msg(
                        ngettext_lazy(
                            "%(count)s empty row is removed (row %(rows)s).",
                            "%(count)s empty rows are removed (rows %(rows)s).",
                            "count",
                        ),
                        count=len(rows),
                        rows=_row_list(rows),
                    ),
                )
            )

    def _header_fixes(self) -> None:
        _matches, issues = _match_header(self.labels, self.descriptor)
        for issue in issues:
            if issue.kind == "incorrect_label" and issue.found is not None:
                self.fixes.append(
                    Fix(
                        "header",
                        issue.field,
                        1,
                        [(issue.found, issue.field or "")],
                        _msg(
                            _(
                                "The column “%(found)s” is renamed “%(field)s”, as the schema "
                                "names it."
                            ),
                            found=issue.found,
                            field=issue.field,
                        ),
                        column=issue.found,
                    )
                )
        names = [spec["name"] for spec in self.descriptor.get("fields", []) if spec.get("name")]
        by_label = {column.label: name for name, column in self.frame.columns.items()}
        current = [by_label[label] for label in self.labels if label in by_label]
        wanted = [name for name in names if name in self.frame.columns]
        if current != wanted:
            moved = sum(1 for a, b in zip(current, wanted, strict=True) if a != b)
            self.fixes.append(
                Fix(
                    "order",
                    None,
                    moved,
                    [(", ".join(current), ", ".join(wanted))],
                    _("The columns are put in the order of the schema (the other columns last)."),
                    params={"columns": wanted},
                )
            )

    def _value_fixes(
        self, name: str, label: str, spec: dict[str, Any], data: pa.ChunkedArray
    ) -> None:
        kind = spec.get("type", "string") or "string"
        fmt = str(spec.get("format", "default") or "default").removeprefix("fmt:")
        constraints = spec.get("constraints") or {}
        plain_text = (
            kind == "string"
            and fmt == "default"
            and not (constraints.get("enum") or constraints.get("pattern"))
        )
        if not plain_text:
            data = self._propose(
                Fix(
                    "trim",
                    name,
                    0,
                    [],
                    ngettext_lazy(
                        "Spaces before or after %(count)s value of %(field)s are removed.",
                        "Spaces before or after %(count)s values of %(field)s are removed.",
                        "count",
                    ),
                    column=label,
                ),
                data,
            )
        if kind in ("number", "integer"):
            data = self._number_fix(name, label, spec, data)
        elif kind == "date" and fmt in ("default", "%Y-%m-%d"):
            data = self._date_fix(name, label, data, period=None)
        elif kind == "string" and isinstance(constraints.get("pattern"), str):
            pattern = constraints["pattern"]
            if _regex_works(self.con, pattern) and self._accepts_periods(pattern):
                data = self._date_fix(name, label, data, period=pattern)
        if kind == "string" and isinstance(constraints.get("enum"), list):
            data = self._case_fix(name, label, [str(value) for value in constraints["enum"]], data)
        elif kind == "boolean":
            true = [str(value) for value in spec.get("trueValues", _TRUE)]
            false = [str(value) for value in spec.get("falseValues", _FALSE)]
            data = self._case_fix(name, label, true + false, data, [true, false])

    def _accepts_periods(self, pattern: str) -> bool:
        result = self.con.execute(
            f"SELECT {_full(_lit('2018-01-30'), pattern)} AND "  # noqa: S608
            f"{_full(_lit('2018-01-30/2018-12-31'), pattern)}"
        ).fetchall()
        return bool(result[0][0])

    def _number_fix(
        self, name: str, label: str, spec: dict[str, Any], data: pa.ChunkedArray
    ) -> pa.ChunkedArray:
        if (
            spec.get("decimalChar", ".") != "."
            or spec.get("groupChar")
            or spec.get("bareNumber") is False
        ):
            return data  # the schema writes numbers its own way: Pilotis does not guess it
        integer = spec.get("type") == "integer"
        valid = _INTEGER if integer else _NUMBER
        invalid = f"NOT {_full(_strip('v'), valid)} AND {_full('v', _NUMBER_LIKE)}"
        if not self._count(data, invalid):
            return data
        like = f"{_full('v', _NUMBER_LIKE)}"
        styles = [("space", _FR_INTEGER)] if integer else [("space", _FR_SPACE), ("dot", _FR_DOT)]
        for style, pattern in styles:
            if not self._count(data, f"{like} AND NOT {_full('v', pattern)}"):
                fix = Fix(
                    "number",
                    name,
                    0,
                    [],
                    ngettext_lazy(
                        "%(count)s number of %(field)s written the French way (“%(before)s”) is "
                        "written with a decimal point and no spaces (“%(after)s”).",
                        "%(count)s numbers of %(field)s written the French way (e.g. "
                        "“%(before)s”) are written with a decimal point and no spaces "
                        "(“%(after)s”).",
                        "count",
                    ),
                    column=label,
                    params={"pattern": pattern, "style": style},
                )
                return self._propose(fix, data)
        found = self._where(data, invalid)
        others = " AND ".join(f"NOT {_full('v', pattern)}" for _style, pattern in styles)
        conflicting = self._where(data, f"{like} AND {others} AND NOT ({invalid})")[2]
        self._unfixable(
            "ambiguous_number",
            label,
            name,
            found,
            _msg(
                ngettext_lazy(
                    "Column %(field)s: %(count)s number is written the French way (%(examples)s) "
                    "but others are not (e.g. %(others)s), so Pilotis cannot tell a decimal mark "
                    "from a thousands separator. Write them all with a decimal point and no "
                    "spaces (e.g. 1234.56).",
                    "Column %(field)s: %(count)s numbers are written the French way (e.g. "
                    "%(examples)s) but others are not (e.g. %(others)s), so Pilotis cannot tell "
                    "a decimal mark from a thousands separator. Write them all with a decimal "
                    "point and no spaces (e.g. 1234.56).",
                    "count",
                ),
                field=name,
                count=found[0],
                examples=_quoted(found[2]),
                others=_quoted(conflicting[:MAX_EXAMPLES]),
            ),
        )
        return data

    def _dmy_order(
        self, data: pa.ChunkedArray, parts: list[str], name: str, label: str
    ) -> str | None:
        """The order of day and month of the day-first dates of the column ("%d/%m/%Y" or
        "%m/%d/%Y"), None (and an unfixable problem) when it cannot be told."""
        dmys = [
            f"CASE WHEN {_full(p, _DMY)} THEN regexp_replace({p}, '[-.]', '/', 'g') END"
            for p in parts
        ]
        conditions = " OR ".join(f"{_full(p, _DMY)}" for p in parts)
        if not self._count(data, conditions):
            return None
        failures = {}
        for fmt in ("%d/%m/%Y", "%m/%d/%Y"):
            bad = " OR ".join(
                f"({d} IS NOT NULL AND try_strptime({d}, {_lit(fmt)}) IS NULL)" for d in dmys
            )
            failures[fmt] = self._count(data, bad)
        if failures["%d/%m/%Y"] == 0 and failures["%m/%d/%Y"] > 0:
            return "%d/%m/%Y"
        if failures["%m/%d/%Y"] == 0 and failures["%d/%m/%Y"] > 0:
            return "%m/%d/%Y"
        found = self._where(data, conditions)
        if failures["%d/%m/%Y"] == 0:
            message = ngettext_lazy(
                "Column %(field)s: %(count)s date (%(examples)s) could be day/month or "
                "month/day: Pilotis does not guess. Write it YYYY-MM-DD.",
                "Column %(field)s: %(count)s dates such as %(examples)s could be day/month or "
                "month/day (no day is above 12): Pilotis does not guess. Write them YYYY-MM-DD.",
                "count",
            )
        else:
            message = ngettext_lazy(
                "Column %(field)s: %(count)s date (%(examples)s) is not a real date: correct it "
                "and write it YYYY-MM-DD.",
                "Column %(field)s: %(count)s dates such as %(examples)s are not all written in "
                "the same order, or are not real dates: correct them and write them YYYY-MM-DD.",
                "count",
            )
        self._unfixable(
            "ambiguous_date",
            label,
            name,
            found,
            _msg(message, field=name, count=found[0], examples=_quoted(found[2])),
        )
        return None

    def _date_fix(
        self, name: str, label: str, data: pa.ChunkedArray, period: str | None
    ) -> pa.ChunkedArray:
        if period is None:
            candidate = (
                f"{_full('v', _DATE_LIKE)} AND NOT ({_full('v', _ISO_DATE)} AND "
                f"try_strptime(v, '%Y-%m-%d') IS NOT NULL)"
            )
            parts = ["regexp_replace(v, " + _lit(_MIDNIGHT + "$") + ", '')"]
        else:
            candidate = f"{_full('v', _PERIOD)} AND NOT {_full('v', period)}"
            parts = [f"regexp_extract(v, {_lit(_PERIOD)}, {group})" for group in (1, 2)]
        if not self._count(data, candidate):
            return data
        scoped = [f"CASE WHEN {candidate} THEN {part} END" for part in parts]
        dmy = self._dmy_order(data, scoped, name, label)
        params: dict[str, Any] = {"dmy": dmy}
        if period is not None:
            params.update(period=True, valid=period)
        fix = Fix(
            "date",
            name,
            0,
            [],
            ngettext_lazy(
                "%(count)s date of %(field)s written “%(before)s” is written the ISO way, year "
                "first (“%(after)s”).",
                "%(count)s dates of %(field)s written like “%(before)s” are written the ISO way, "
                "year first (“%(after)s”).",
                "count",
            ),
            column=label,
            params=params,
        )
        after = _transform(self.con, data, fix)
        if period is not None:
            # a converted period must match the schema's pattern, or the fix is not kept
            self.con.register("conv", pa.table({"v": after}))
            try:
                wrong = self.con.execute(
                    f"SELECT count(*) FROM conv WHERE {_full('v', _PERIOD)} "  # noqa: S608
                    f"AND NOT {_full('v', period)}"
                ).fetchall()[0][0]
            finally:
                self.con.unregister("conv")
            if wrong:
                return data
        return self._propose(fix, data)

    def _case_fix(
        self,
        name: str,
        label: str,
        allowed: list[str],
        data: pa.ChunkedArray,
        meanings: list[list[str]] | None = None,
    ) -> pa.ChunkedArray:
        """Values written as one allowed value up to case (and Unicode normalisation): when
        several allowed values match, only if they mean the same (`meanings`: the true values,
        the false values of a boolean), then the first of them."""
        literals = ", ".join(_lit(value) for value in allowed) or "NULL"
        present = self._present(data)
        wrong = self._query(
            data,
            f"SELECT DISTINCT v FROM col WHERE {present} AND v NOT IN ({literals}) "  # noqa: S608
            f"LIMIT {MAX_MAPPED_VALUES + 1}",
        )
        if not wrong or len(wrong) > MAX_MAPPED_VALUES:
            return data
        folded: dict[str, set[str]] = {}
        for value in allowed:
            folded.setdefault(unicodedata.normalize("NFC", value).casefold(), set()).add(value)
        mapping: dict[str, str] = {}
        for (value,) in wrong:
            targets = folded.get(unicodedata.normalize("NFC", value.strip()).casefold(), set())
            if len(targets) == 1:
                mapping[value] = next(iter(targets))
            elif targets and any(targets <= set(meaning) for meaning in meanings or []):
                mapping[value] = next(item for item in allowed if item in targets)
        if not mapping:
            return data
        fix = Fix(
            "enum_case",
            name,
            0,
            [],
            ngettext_lazy(
                "%(count)s value of %(field)s is written as the schema writes it (“%(before)s” "
                "becomes “%(after)s”).",
                "%(count)s values of %(field)s are written as the schema writes them (e.g. "
                "“%(before)s” becomes “%(after)s”).",
                "count",
            ),
            column=label,
            params={"mapping": mapping},
        )
        return self._propose(fix, data)

    def _identifiers(
        self,
        name: str | None,
        label: str,
        spec: dict[str, Any],
        data: pa.ChunkedArray,
        siret: bool,
    ) -> None:
        """Identifiers a spreadsheet damaged: written as numbers (digits lost), leading zeros
        dropped, a SIREN where a SIRET is expected. None of them can be repaired safely."""
        pattern = (spec.get("constraints") or {}).get("pattern")
        if not isinstance(pattern, str) or spec.get("type", "string") != "string":
            return
        if not _regex_works(self.con, pattern) or not self._accepts_digits(pattern):
            return
        shown = name or label
        wrong = f"NOT {_full('v', pattern)}"
        as_number = self._where(data, f"{wrong} AND {_full(_strip('v'), _IDENTIFIER_AS_NUMBER)}")
        if siret:
            message = ngettext_lazy(
                "Column %(column)s: %(count)s SIRET number was exported as a decimal number "
                "(%(examples)s, row %(rows)s): its last digits may be lost. Pilotis cannot "
                "recover them: export the column again formatted as text (14 digits), or type "
                "the SIRET number.",
                "Column %(column)s: %(count)s SIRET numbers were exported as decimal numbers "
                "(e.g. %(examples)s, rows %(rows)s): the spreadsheet rounded them and their last "
                "digits are lost. Pilotis cannot recover them: export the column again formatted "
                "as text (14 digits), or type the SIRET numbers.",
                "count",
            )
        else:
            message = ngettext_lazy(
                "Column %(column)s: %(count)s identifier was exported as a decimal number "
                "(%(examples)s, row %(rows)s): its digits may be lost. Pilotis cannot recover "
                "them: export the column again formatted as text.",
                "Column %(column)s: %(count)s identifiers were exported as decimal numbers (e.g. "
                "%(examples)s, rows %(rows)s): their digits may be lost. Pilotis cannot recover "
                "them: export the column again formatted as text.",
                "count",
            )
        self._unfixable(
            "siret_as_number" if siret else "identifier_as_number",
            label,
            name,
            as_number,
            _msg(
                message,
                column=shown,
                count=as_number[0],
                examples=_quoted(as_number[2]),
                rows=_row_list(as_number[1]),
            ),
        )
        if siret:
            siren = self._where(data, f"{wrong} AND {_full(_strip('v'), _SIREN)}")
            self._unfixable(
                "siren_not_siret",
                label,
                name,
                siren,
                _msg(
                    ngettext_lazy(
                        "Column %(column)s: %(count)s value is a SIREN number (9 digits, "
                        "%(examples)s, row %(rows)s) where a SIRET (14 digits: SIREN and the "
                        "establishment's NIC) is expected. Pilotis cannot guess the "
                        "establishment: give the SIRET, found in the Sirene directory "
                        "(annuaire-entreprises.data.gouv.fr).",
                        "Column %(column)s: %(count)s values are SIREN numbers (9 digits, e.g. "
                        "%(examples)s, rows %(rows)s) where a SIRET (14 digits: SIREN and the "
                        "establishment's NIC) is expected. Pilotis cannot guess the "
                        "establishment: give the SIRET, found in the Sirene directory "
                        "(annuaire-entreprises.data.gouv.fr).",
                        "count",
                    ),
                    column=shown,
                    count=siren[0],
                    examples=_quoted(siren[2]),
                    rows=_row_list(siren[1]),
                ),
            )
        zeros = self._where(
            data,
            f"{wrong} AND {_full('v', _DIGITS)} AND "
            f"({_full(_ZERO_V, pattern)} OR {_full(_ZEROS_V, pattern)})",
        )
        self._unfixable(
            "leading_zero_lost",
            label,
            name,
            zeros,
            _msg(
                ngettext_lazy(
                    "Column %(column)s: %(count)s value looks like a code whose leading zero was "
                    "dropped by a spreadsheet (%(examples)s, row %(rows)s). Pilotis does not add "
                    "it itself: export the column again formatted as text.",
                    "Column %(column)s: %(count)s values look like codes whose leading zero was "
                    "dropped by a spreadsheet (e.g. %(examples)s, rows %(rows)s). Pilotis does "
                    "not add it itself: export the column again formatted as text.",
                    "count",
                ),
                column=shown,
                count=zeros[0],
                examples=_quoted(zeros[2]),
                rows=_row_list(zeros[1]),
            ),
        )

    def _accepts_digits(self, pattern: str) -> bool:
        """Whether the pattern is that of a code of several digits (SIRET, SIREN, INSEE
        code…), not of any number or of text."""
        samples = ["12345678901234", "123456789", "12345", "75056"]
        tests = " OR ".join(_full(_lit(sample), pattern) for sample in samples)
        others = " OR ".join(_full(_lit(sample), pattern) for sample in ("ABCDE", "1"))
        result = self.con.execute(f"SELECT ({tests}) AND NOT ({others})").fetchall()  # noqa: S608
        return bool(result[0][0])


def _analyse(
    frame: _Frame,
    descriptor: dict[str, Any],
    labels: list[str],
    table: pa.Table,
    source: SourceFormat | None,
) -> tuple[list[Fix], list[Unfixable]]:
    analysis = _Analysis(frame, descriptor, labels, table, source)
    analysis.run()
    return analysis.fixes, analysis.unfixable


def propose_fixes(
    table: pa.Table, schema: NationalSchema | dict[str, Any], source: SourceFormat | None
) -> list[Fix]:
    """The fixes Pilotis can make without guessing, in the order `apply_fixes` makes them. The
    problems it cannot fix are the report's `unfixable`."""
    descriptor, _label = _descriptor_of(schema)
    labels = list(table.column_names)
    matches, _issues = _match_header(labels, descriptor)
    frame = _Frame(table, descriptor, matches, source)
    try:
        return _analyse(frame, descriptor, labels, table, source)[0]
    finally:
        frame.close()


def apply_fixes(table: pa.Table, fixes: Sequence[Fix]) -> pa.Table:
    """The table with the fixes made: values first, then column names, then column order."""
    result = table
    con = duckdb.connect(":memory:")
    try:
        for fix in fixes:
            if fix.kind in VALUE_FIXES and fix.column in result.column_names:
                index = result.column_names.index(fix.column)
                column = result.column(index).cast(pa.string())
                result = result.set_column(index, fix.column, _transform(con, column, fix))
    finally:
        con.close()
    renames = {fix.column: fix.field for fix in fixes if fix.kind == "header" and fix.field}
    if renames:
        result = result.rename_columns([renames.get(name, name) for name in result.column_names])
    for fix in fixes:
        if fix.kind == "order":
            first = [name for name in fix.params["columns"] if name in result.column_names]
            rest = [name for name in result.column_names if name not in first]
            result = result.select(first + rest)
    return result


def check_file(
    path: Path, name: str, version: str | None = None
) -> tuple[Report, list[Fix], Report | None]:
    """Read the file, check it against the national schema, propose the safe fixes, and check the
    table once they are made (None when there is nothing to fix). Row numbers in both reports
    are those of the file as given."""
    schema = get(name, version)
    table, source = read_table(Path(path))
    report = validate(table, schema, source)
    fixes = propose_fixes(table, schema, source)
    if not fixes:
        return report, fixes, None
    fixed = apply_fixes(table, fixes)
    published = replace(
        source,
        encoding="utf-8",
        delimiter=",",
        quotechar='"',
        line_endings="LF",
        has_bom=False,
        header=tuple(fixed.column_names),
        blank_rows=(),
    )
    return report, fixes, validate(fixed, schema, published)
