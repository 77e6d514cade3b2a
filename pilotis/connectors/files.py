"""The file source kind: CSV, Excel (xlsx, xls), OpenDocument (ods), JSON, NDJSON and Parquet files.

`FileKind.open()` finds the format (magic bytes first, then the extension, else CSV), reads what it
needs to describe the file (header, encoding, separator, decimal mark, date formats…) and hands
the pipeline a `RawInput` of text columns named after the file's headers (trimmed) plus
`_source_row`. Empty cells are NULL; nothing else is decided here.

CSV goes through DuckDB's own reader (`relation`), streaming and parallel: a file of any size is
read in constant memory. Windows-1252 and ISO-8859-15 files are read as latin-1 when their bytes
mean the same thing in both encodings, else transcoded to a temporary UTF-8 file first (streaming).
Spreadsheets, JSON and Parquet are read in Python and streamed as Arrow batches (`batches`).

Anything that makes the file unreadable raises `SourceError` with a message a clerk can act on;
errors DuckDB only meets while executing the relation are translated by `explain_duckdb_error`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from pilotis.connectors.kinds import (
    SOURCE_ROW,
    RawInput,
    ReadHints,
    SourceError,
    SourceKind,
    register,
)

__all__ = [
    "FORMATS",
    "CsvDialect",
    "FileKind",
    "detect_format",
    "explain_duckdb_error",
    "sniff_csv",
]

# Limits. Module constants, read at call time, so that tests (and operators) can change them.
SAMPLE_BYTES = 64 * 1024  # what sniffing reads of a CSV file
SCAN_CHUNK_BYTES = 4 * 1024 * 1024  # chunks of the byte scans and of the transcoding
MAX_LINE_BYTES = 2 * 1024**2  # longest CSV record (DuckDB's max_line_size), and NDJSON line
BATCH_ROWS = 50_000  # rows per Arrow batch of the Python readers
SNIFF_ROWS = 1_000  # rows of a spreadsheet / JSON / Parquet file whose values are sniffed
MAX_COLUMNS = 5_000
MAX_UNCOMPRESSED_BYTES = 1024**3  # a spreadsheet (a ZIP archive) may not expand beyond this
MAX_COMPRESSION_RATIO = 100  # … nor expand more than this many times its size,
RATIO_CHECK_MIN_BYTES = 20 * 1024**2  # once it expands beyond this (small files may compress well)
MAX_JSON_BYTES = 200 * 1024**2  # a JSON (not NDJSON) file is parsed whole: up to this size

FORMATS = ("csv", "xlsx", "xls", "ods", "json", "ndjson", "parquet")
DELIMITERS = (";", ",", "\t", "|")

_FORMAT_ALIASES = {
    "txt": "csv",
    "tsv": "csv",
    "xlsm": "xlsx",
    "xlsb": "xlsx",
    "excel": "xlsx",
    "jsonl": "ndjson",
    "pq": "parquet",
}
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".tab": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xlsb": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".json": "json",
    ".geojson": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FORMAT_LABELS: dict[str, Promise] = {
    "csv": _("CSV"),
    "xlsx": _("Excel"),
    "xls": _("Excel 97-2003"),
    "ods": _("OpenDocument"),
    "json": _("JSON"),
    "ndjson": _("NDJSON"),
    "parquet": _("Parquet"),
}

_lazy_size = lazy(filesizeformat, str)

# Messages given in more than one place (sniffing, and DuckDB's errors explained).
_WRONG_FIELD_COUNT = _(
    "Line %(line)s of “%(file)s” does not have as many fields as the first line (%(found)s "
    "instead of %(expected)s): check the separators and quotes on that line (a value holding "
    "the separator must be in double quotes). The line starts with: %(excerpt)s"
)
_UNCLOSED_QUOTE = _(
    "Line %(line)s of “%(file)s” opens a quoted value that is never closed: the file may be "
    "truncated (an incomplete copy or download), or a quote is missing on that line. The line "
    "starts with: %(excerpt)s"
)
_EMPTY = _("The file “%(file)s” is empty: export the data again.")


def _size(number: int | float) -> Any:
    """A byte count for a message, in the language the message is finally written in."""
    return _lazy_size(number)


def _name(path: str | os.PathLike[str]) -> str:
    """How messages name a file: its name, which is what the clerk knows."""
    return Path(path).name or str(path)


# --- Encodings -------------------------------------------------------------------------------

_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "windows-1252": "Windows-1252",
    "iso-8859-15": "ISO-8859-15",
    "iso-8859-1": "ISO-8859-1",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
}
_CODEC_NAMES = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp1252": "windows-1252",
    "iso8859-15": "iso-8859-15",
    "iso8859-1": "iso-8859-1",
    "latin-1": "iso-8859-1",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
}
# Bytes that DuckDB's latin-1 reader refuses (C1 controls) or that mean something else in the
# encoding than in latin-1: a file without any of them is read by DuckDB directly as latin-1.
_C1 = bytes(range(0x80, 0xA0))
_LATIN9_ONLY = bytes([0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE])
_NOT_AS_LATIN1 = {
    "windows-1252": _C1,
    "iso-8859-1": _C1,
    "iso-8859-15": _C1 + _LATIN9_ONLY,
}


def _as_latin1(error: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: undefined bytes stand for the latin-1 character of that code."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(chr(byte) for byte in error.object[error.start : error.end]), error.end


# Windows-1252 as browsers decode it: the five bytes it leaves undefined map to C1 controls.
codecs.register_error("pilotis-as-latin1", _as_latin1)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 26)) + b"\x7f"
_LATIN9_HINT = re.compile(
    rb"\xa4|[A-Za-z\xc0-\xff][\xa6\xa8\xb4\xb8\xbc\xbd\xbe][A-Za-z\xc0-\xff]"
    rb"|(?:^|[\s;,|\"'])[\xbc\xbd][a-z]"
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def encoding_label(encoding: str) -> str:
    """How an encoding is shown: "Windows-1252" for "windows-1252"."""
    return _ENCODING_LABELS.get(encoding, encoding.upper())


def _canonical_encoding(name: str) -> str:
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        raise SourceError(
            _(
                "Unknown encoding “%(encoding)s”: use for instance UTF-8, Windows-1252 or "
                "ISO-8859-15."
            ),
            encoding=name,
        ) from None
    return _CODEC_NAMES.get(codec, codec)


def _decoder(encoding: str) -> Callable[[bytes, bool], str]:
    """A streaming decoder: `decode(chunk, final)`."""
    if encoding == "windows-1252":
        return codecs.getincrementaldecoder("cp1252")("pilotis-as-latin1").decode
    incremental = codecs.getincrementaldecoder(encoding)("strict")
    return incremental.decode


def _is_utf8(data: bytes, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(data, final)
    except UnicodeDecodeError:
        return False
    return True


def _guess_8bit(data: bytes) -> str:
    """Windows-1252 or ISO-8859-15, for bytes that are not UTF-8."""
    if data.translate(None, _C1) != data:
        return "windows-1252"  # 0x80–0x9F: “ ” ’ € œ… in Windows-1252, unused controls elsewhere
    if _LATIN9_HINT.search(data):
        return "iso-8859-15"  # € next to digits, œ / Œ inside words
    return "windows-1252"


def _guess_encoding(data: bytes, final: bool = True) -> str:
    if data.startswith(b"\xef\xbb\xbf") or _is_utf8(data, final):
        return "utf-8"
    return _guess_8bit(data)


def _first_non_ascii(path: Path, start: int) -> bytes | None:
    """The bytes from the first non-ASCII byte at or after `start` (a sample), or None."""
    with path.open("rb") as file:
        file.seek(start)
        offset = start
        while chunk := file.read(SCAN_CHUNK_BYTES):
            if not chunk.isascii():
                found = _NON_ASCII.search(chunk)
                position = offset + (found.start() if found else 0)
                file.seek(position)
                return file.read(SAMPLE_BYTES)
            offset += len(chunk)
    return None


def _contains_any(path: Path, forbidden: bytes) -> bool:
    """Whether the file holds any of the `forbidden` bytes (a fast chunked scan)."""
    buffer = bytearray(SCAN_CHUNK_BYTES)
    with path.open("rb", buffering=0) as file:
        while True:
            count = file.readinto(buffer)
            if not count:
                return False
            view = buffer if count == len(buffer) else buffer[:count]
            if view.isascii():
                continue
            if len(view.translate(None, forbidden)) != count:
                return True


def _file_guess(path: Path) -> str:
    """The encoding the file looks like, judged on its first bytes that are not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with path.open("rb") as file:
        while chunk := file.read(SCAN_CHUNK_BYTES):
            try:
                decoder.decode(chunk, False)
            except UnicodeDecodeError as error:
                return _guess_8bit(chunk[max(0, error.start - 1024) : error.start + SAMPLE_BYTES])
    return "utf-8"


# --- Value sniffing: decimal mark, thousands separator, date formats -------------------------

_GROUPED_COMMA_DECIMAL = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f.])\d{3}(?:\1\d{3})*,\d+")
_GROUPED_DOT_DECIMAL = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f,])\d{3}(?:\1\d{3})*\.\d+")
_COMMA_DECIMAL = re.compile(r"[+-]?(\d+),(\d+)")
_DOT_DECIMAL = re.compile(r"[+-]?(\d+)\.(\d+)")
_GROUPED_INTEGER = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f.,])\d{3}(?:\1\d{3})*")

_DMY = r"\d{1,2}/\d{1,2}/\d{4}"
_YMD = r"\d{4}-\d{2}-\d{2}"
_HM = r"\d{1,2}:\d{2}"
_HMS = _HM + r":\d{2}"
_FRACTION = r"\.\d{1,6}"
_OFFSET = r"[+-]\d{2}:?\d{2}"
# (strptime format, pattern), most specific first.
_DATE_FORMATS: list[tuple[str, re.Pattern[str]]] = [
    (fmt, re.compile(pattern))
    for fmt, pattern in (
        ("%Y-%m-%dT%H:%M:%S.%f%z", _YMD + "T" + _HMS + _FRACTION + _OFFSET),
        ("%Y-%m-%dT%H:%M:%S.%fZ", _YMD + "T" + _HMS + _FRACTION + "Z"),
        ("%Y-%m-%dT%H:%M:%S%z", _YMD + "T" + _HMS + _OFFSET),
        ("%Y-%m-%dT%H:%M:%SZ", _YMD + "T" + _HMS + "Z"),
        ("%Y-%m-%dT%H:%M:%S.%f", _YMD + "T" + _HMS + _FRACTION),
        ("%Y-%m-%dT%H:%M:%S", _YMD + "T" + _HMS),
        ("%Y-%m-%dT%H:%M", _YMD + "T" + _HM),
        ("%Y-%m-%d %H:%M:%S.%f", _YMD + " " + _HMS + _FRACTION),
        ("%Y-%m-%d %H:%M:%S", _YMD + " " + _HMS),
        ("%Y-%m-%d %H:%M", _YMD + " " + _HM),
        ("%d/%m/%Y %H:%M:%S", _DMY + " " + _HMS),
        ("%d/%m/%Y %H:%M", _DMY + " " + _HM),
        ("%Y-%m-%d", _YMD),
        ("%d/%m/%Y", _DMY),
    )
]
_DATE_ORDER = {fmt: index for index, (fmt, _pattern) in enumerate(_DATE_FORMATS)}
_ISO_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


def _ordered_formats(formats: Iterable[str]) -> list[str]:
    """Date formats without repeats, most specific first (unknown ones, e.g. given, first)."""
    return sorted(set(formats), key=lambda fmt: (_DATE_ORDER.get(fmt, -1), fmt))


def _date_format(value: str) -> str | None:
    if not 8 <= len(value) <= 35 or not value[0].isdigit():
        return None
    for fmt, pattern in _DATE_FORMATS:
        if pattern.fullmatch(value):
            try:
                dt.datetime.strptime(value, fmt)  # noqa: DTZ007 - only checks the format
            except ValueError:
                return None
            return fmt
    return None


def _sniff_values(values: Iterable[str | None]) -> tuple[str, str, list[str]]:
    """(decimal mark, thousands separator, date formats) of text values."""
    comma = dot = weak_comma = weak_dot = 0
    thousands: Counter[str] = Counter()
    formats: set[str] = set()
    for raw in values:
        if not raw:
            continue
        value = raw.strip()
        if not value or not (value[0].isdigit() or value[0] in "+-"):
            continue
        if match := _GROUPED_COMMA_DECIMAL.fullmatch(value):
            comma += 1
            thousands[match.group(1)] += 1
        elif match := _GROUPED_DOT_DECIMAL.fullmatch(value):
            dot += 1
            thousands[match.group(1)] += 1
        elif match := _COMMA_DECIMAL.fullmatch(value):
            if _could_be_grouping(match.group(1), match.group(2)):
                weak_comma += 1
            else:
                comma += 1
        elif match := _DOT_DECIMAL.fullmatch(value):
            if _could_be_grouping(match.group(1), match.group(2)):
                weak_dot += 1
            else:
                dot += 1
        elif match := _GROUPED_INTEGER.fullmatch(value):
            separator = match.group(1)
            if separator not in ".," or value.count(separator) >= 2:
                thousands[separator] += 1
        elif fmt := _date_format(value):
            formats.add(fmt)
    if comma or dot:
        decimal = "," if comma > dot else "."
    else:
        decimal = "," if weak_comma > weak_dot or thousands.get(".", 0) else "."
    separator = next((sep for sep, _count in thousands.most_common() if sep != decimal), "")
    return decimal, separator, _ordered_formats(formats)


def _could_be_grouping(integer: str, fraction: str) -> bool:
    """Whether "1,234" / "1.234" could be a thousands-grouped integer rather than a decimal."""
    return len(fraction) == 3 and len(integer) <= 3 and not integer.startswith("0")


# --- Text of values ------------------------------------------------------------------------


def _plain_number(text: str) -> str:
    """`text` (a float's repr) without an exponent: "1e-07" → "0.0000001"."""
    if "e" not in text and "E" not in text:
        return text
    try:
        plain = format(Decimal(text), "f")
    except InvalidOperation:
        return text
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain


def _float_text(value: float, digits: int | None = None) -> str | None:
    """A float as text: integral ones without ".0", never an exponent. `digits` significant
    digits (spreadsheets keep 15, what they show), else the shortest exact form."""
    if math.isnan(value) or math.isinf(value):
        return None
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = format(value, f".{digits}g") if digits else repr(value)
    return _plain_number(text)


def _duration_text(value: dt.timedelta) -> str:
    seconds = value.total_seconds()
    sign = "-" if seconds < 0 else ""
    whole, fraction = divmod(abs(seconds), 1)
    hours, rest = divmod(int(whole), 3600)
    text = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text + (f"{fraction:.6f}"[1:].rstrip("0") if fraction else "")


def _cell_text(value: object) -> str | None:
    """A spreadsheet cell as text (None when empty)."""
    if isinstance(value, str):
        return value or None
    if value is None:
        return None
    if isinstance(value, float):
        return _float_text(value, 15)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(
            timespec="microseconds" if value.microsecond else "seconds"
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    return str(value)


def _json_text(value: object) -> str | None:
    """A JSON scalar or array as text (None for null and "")."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    return json.dumps(value, ensure_ascii=False)


# --- Column names ----------------------------------------------------------------------------


def _check_names(names: Sequence[str], path: Path) -> None:
    """Refuse blank, reserved, repeated (DuckDB compares names case-insensitively) or too many
    column names."""
    file = _name(path)
    if not names:
        raise SourceError(
            _("The first line of “%(file)s” names no column: it must hold the column names."),
            file=file,
        )
    if len(names) > MAX_COLUMNS:
        raise SourceError(
            _("“%(file)s” has %(count)s columns, more than the %(limit)s Pilotis reads."),
            file=file,
            count=len(names),
            limit=MAX_COLUMNS,
        )
    blank = [str(index) for index, name in enumerate(names, start=1) if not name]
    if blank:
        raise SourceError(
            _(
                "Some columns of “%(file)s” have no name in the first line (column numbers: "
                "%(columns)s). Give every column a name, or remove the empty columns."
            ),
            file=file,
            columns=", ".join(blank),
        )
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(names, start=1):
        if name.lower() == SOURCE_ROW:
            raise SourceError(
                _("“%(file)s” has a column named “%(name)s”, a name Pilotis keeps: rename it."),
                file=file,
                name=name,
            )
        positions.setdefault(name.lower(), []).append(index)
    repeated = [numbers for numbers in positions.values() if len(numbers) > 1]
    if repeated:
        raise SourceError(
            _(
                "Several columns of “%(file)s” have the same name (column numbers in brackets): "
                "%(names)s. Give every column a different name."
            ),
            file=file,
            names="; ".join(
                f"“{names[numbers[0] - 1]}” ({', '.join(map(str, numbers))})"
                for numbers in repeated
            ),
        )


# The name given to a nameless first column: the row number R's write.csv and pandas' to_csv
# put there (the SF 311 and SFpark exports start so).
INDEX_COLUMN = "index"


def _header_names(cells: Sequence[str | None], path: Path) -> list[str]:
    """Trimmed names; unnamed columns at the end (a trailing separator) are left out, and a
    nameless first column before named ones is the row index R and pandas write: `index`."""
    names = [(cell or "").strip().lstrip("\ufeff").strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    if len(names) > 1 and not names[0] and all(names[1:]):
        taken = {n.lower() for n in names}
        name, n = INDEX_COLUMN, 1
        while name in taken:
            n += 1
            name = f"{INDEX_COLUMN}_{n}"
        names[0] = name
    _check_names(names, path)
    return names


# --- Format detection ------------------------------------------------------------------------


def _normalise_format(value: str) -> str:
    fmt = value.strip().lower().lstrip(".")
    fmt = _FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise SourceError(
            _("Unknown file format “%(format)s”: use one of %(known)s."),
            format=value,
            known=", ".join(FORMATS),
        )
    return fmt


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype").decode("ascii", errors="replace").strip()
                if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        extension = _EXTENSIONS.get(path.suffix.lower())
        return extension if extension in ("xlsx", "ods") else "xlsx"
    if "[Content_Types].xml" in names and (
        "xl/workbook.xml" in names or "xl/workbook.bin" in names
    ):
        return "xlsx"
    raise SourceError(
        _(
            "“%(file)s” is a ZIP archive, not a spreadsheet: extract the data file from it "
            "and load that file."
        ),
        file=_name(path),
    )


def _json_flavour(head: bytes) -> str:
    """ "json" (one document) or "ndjson" (one object per line), from the first bytes."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "json"
    try:
        _value, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        return "json"  # one big object (or invalid JSON, which the JSON reader will explain)
    return "ndjson" if text[end:].lstrip().startswith("{") else "json"


def _looks_like_json(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    try:
        json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as error:
        return error.pos >= len(text.rstrip()) - 1  # only cut short by the end of the sample
    return True


def detect_format(path: str | os.PathLike[str], declared: str | None = None) -> str:
    """One of FORMATS: the declared one, else by magic bytes, else by extension, else "csv"."""
    file = _check_file(Path(path))
    if declared:
        return _normalise_format(declared)
    with file.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    extension = _EXTENSIONS.get(file.suffix.lower())
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(file)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        if extension == "ndjson":
            return "ndjson"
        if extension != "csv" or _looks_like_json(head):
            return _json_flavour(head)
    return extension or "csv"


def _check_file(path: Path) -> Path:
    file = _name(path)
    try:
        if path.is_dir():
            raise SourceError(_("“%(file)s” is a folder, not a file."), file=file)
        if not path.exists():
            raise SourceError(_("The file “%(file)s” does not exist: check its path."), file=file)
        with path.open("rb"):
            pass
    except OSError as error:
        raise SourceError(
            _("The file “%(file)s” cannot be read: %(error)s."),
            file=file,
            error=error.strerror or str(error),
        ) from None
    return path


# --- CSV -------------------------------------------------------------------------------------


@dataclass
class CsvDialect:
    """What sniffing found out about a CSV file (also what the UI shows in its preview).

    `encoding` is a Python codec name ("utf-8", "windows-1252", "iso-8859-15"…), `header` the
    trimmed column names (unnamed columns at the end left out), `field_count` the number of fields
    of the header line, `skip_lines` the lines before it (blank lines, an Excel "sep=" line).
    `preview` holds the first data rows of the sample (None for empty cells).
    """

    encoding: str
    delimiter: str
    quotechar: str
    decimal: str
    thousands: str
    date_formats: list[str]
    has_bom: bool
    header: list[str]
    escapechar: str = '"'
    field_count: int = 0
    skip_lines: int = 0
    estimated_rows: int | None = None
    preview: list[list[str | None]] = field(default_factory=list)

    @property
    def encoding_label(self) -> str:
        return encoding_label(self.encoding)


def _binary_reason(sample: bytes) -> Promise | None:
    """Why the sample is not text (None when it is)."""
    if sample.startswith(b"%PDF"):
        return _("it is a PDF document, not a data file: ask for the data as CSV or Excel")
    if sample.startswith(b"\x1f\x8b"):
        return _("it is compressed (gzip): decompress it, then load the extracted file")
    if sample.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _("it is a ZIP archive (a spreadsheet or compressed files): choose its format")
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if b"\x00" in sample or controls > len(sample) // 100:
        return _(
            "it contains binary data: export the data as CSV (text), or choose the format of "
            "the file (Excel, OpenDocument, JSON, Parquet)"
        )
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _records(
    text: str, delimiter: str, quotechar: str, escapechar: str, strict: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of each record of `text`; blank lines are skipped."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar=quotechar,
        doublequote=escapechar == quotechar,
        escapechar=None if escapechar == quotechar else escapechar,
        strict=strict,
    )
    last = 0
    for fields in reader:
        first, last = last + 1, reader.line_num
        if fields:
            yield first, fields


def _choose_quote(text: str) -> str:
    double = len(re.findall(r'(?:^|[;,\t|])"', text, re.MULTILINE))
    single = len(re.findall(r"(?:^|[;,\t|])'[^'\r\n]*'(?=[;,\t|\r\n]|$)", text, re.MULTILINE))
    return "'" if single and not double else '"'


def _choose_escape(text: str, quote: str) -> str:
    backslashed = text.count("\\" + quote)
    doubled = len(re.findall(rf"[^;,\t|\r\n]{quote}{quote}[^;,\t|\r\n]", text))
    return "\\" if backslashed and not doubled else quote


def _choose_delimiter(text: str, quote: str, escape: str) -> str:
    best: tuple[bool, float, int] | None = None
    chosen = ""
    for index, candidate in enumerate(DELIMITERS):
        if candidate not in text:
            continue
        try:
            counts = [
                len(fields)
                for _line, fields in islice(_records(text, candidate, quote, escape), 1000)
            ]
        except csv.Error:
            continue
        if not counts:
            continue
        header, rest = counts[0], counts[1:]
        consistency = sum(count == header for count in rest) / len(rest) if rest else 1.0
        score = (header > 1, round(consistency, 2), -index)
        if best is None or score > best:
            best, chosen = score, candidate
    if best is not None and best[0]:
        return chosen
    # One column: any separator the text does not hold.
    return next((candidate for candidate in DELIMITERS if candidate not in text), ";")


def _excerpt(text: str, limit: int = 80) -> str:
    line = text.replace("\r", " ").replace("\n", " ").strip()
    return f"“{line[:limit]}…”" if len(line) > limit else f"“{line}”"


def _delimiter_option(value: str) -> str:
    text = {"\\t": "\t", "tab": "\t", "tabulation": "\t", "space": " "}.get(value.lower(), value)
    if len(text) != 1:
        raise SourceError(
            _("The separator must be one character, not “%(delimiter)s”."), delimiter=value
        )
    return text


def sniff_csv(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | Sequence[str] | None = None,
) -> CsvDialect:
    """Describe the CSV file at `path` from its first SAMPLE_BYTES; given values win.

    Raises SourceError when the file cannot be read as CSV (empty, binary, no line end, not in
    the declared encoding, bad header, a record of the sample with a wrong number of fields…).
    """
    file = _check_file(Path(path))
    name = _name(file)
    size = file.stat().st_size
    if size == 0:
        raise SourceError(_EMPTY, file=name)
    with file.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    partial = size > len(sample)

    has_bom = sample.startswith(b"\xef\xbb\xbf")
    body = sample[3:] if has_bom else sample
    declared = _canonical_encoding(encoding) if encoding else None
    sniffed: str | None = None
    if has_bom:
        sniffed = "utf-8"
    elif sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        sniffed = "utf-16"
    else:
        sniffed = _utf16_without_bom(sample)
    wide = (declared or sniffed or "").startswith("utf-16")
    if not wide:
        reason = _binary_reason(body)
        if reason is not None:
            raise SourceError(
                _("The file “%(file)s” is not a CSV text file: %(reason)s."),
                file=name,
                reason=reason,
            )
    if partial and b"\n" not in sample and b"\r" not in sample:
        raise SourceError(
            _(
                "The first %(size)s of “%(file)s” hold no line end: this is not a CSV file with "
                "one record per line. Check the format of the file."
            ),
            file=name,
            size=_size(SAMPLE_BYTES),
        )

    if declared or sniffed:
        chosen = declared or sniffed or "utf-8"
        _check_declared_encoding(body, chosen, partial, name)
    elif body.isascii():
        window = _first_non_ascii(file, len(sample)) if partial else None
        chosen = "utf-8" if window is None else _guess_encoding(window, final=False)
    else:
        chosen = _guess_encoding(body, final=not partial)
    try:
        text = _decoder(chosen)(body, not partial)
    except UnicodeDecodeError:  # only an odd number of UTF-16 bytes gets here
        text = _decoder(chosen)(body[:-1], False)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise SourceError(_EMPTY, file=name)
    if partial:  # keep whole lines only
        end = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: end + 1] if end >= 0 else text

    skip = len(text) - len(text.lstrip("\r\n"))
    skip_lines = text[:skip].count("\n") + text[:skip].replace("\r\n", "\n").count("\r")
    text = text[skip:]
    declared_delimiter = _delimiter_option(delimiter) if delimiter else None
    excel_sep = re.match(r"sep=(.)\r?\n", text)
    if excel_sep and not declared_delimiter:
        declared_delimiter = excel_sep.group(1)
    if excel_sep:
        skip_lines += 1
        text = text[excel_sep.end() :]

    quote = _choose_quote(text)
    escape = _choose_escape(text, quote)
    delim = declared_delimiter or _choose_delimiter(text, quote, escape)
    try:
        records = list(_records(text, delim, quote, escape))
    except csv.Error as error:  # pragma: no cover - the csv module is lenient when not strict
        raise SourceError(
            _("The file “%(file)s” could not be read as CSV: %(error)s"), file=name, error=error
        ) from None
    if not records:
        raise SourceError(_EMPTY, file=name)
    header_cells = records[0][1]
    header = _header_names(header_cells, file)
    width = len(header_cells)
    rows = records[1:]
    if not partial:
        _check_complete(text, delim, quote, escape, skip_lines, name)
    checked = rows[:-1] if partial else rows  # the last record of a cut sample may be cut too
    for line, fields in checked:
        if len(fields) != width:
            raise SourceError(
                _WRONG_FIELD_COUNT,
                line=line + skip_lines,
                file=name,
                found=len(fields),
                expected=width,
                excerpt=_excerpt(delim.join(fields)),
            )

    values = (value for _line, fields in rows for value in fields)
    sniffed_decimal, sniffed_thousands, formats = _sniff_values(values)
    final_decimal = decimal or sniffed_decimal
    final_thousands = sniffed_thousands if thousands is None else thousands
    if final_thousands == final_decimal:
        final_thousands = ""
    if date_format:
        formats = [date_format] if isinstance(date_format, str) else list(date_format)

    if not partial:
        estimated: int | None = len(rows)
    elif rows:
        used = len(text.encode(chosen if chosen != "windows-1252" else "latin-1", "replace"))
        estimated = max(len(rows), round(size * len(records) / max(used, 1)) - 1)
    else:
        estimated = None
    return CsvDialect(
        encoding=chosen,
        delimiter=delim,
        quotechar=quote,
        decimal=final_decimal,
        thousands=final_thousands,
        date_formats=formats,
        has_bom=has_bom or sample.startswith((b"\xff\xfe", b"\xfe\xff")),
        header=header,
        escapechar=escape,
        field_count=width,
        skip_lines=skip_lines,
        estimated_rows=estimated,
        preview=[[value or None for value in fields[: len(header)]] for _l, fields in rows[:20]],
    )


def _check_declared_encoding(body: bytes, encoding: str, partial: bool, name: str) -> None:
    """Refuse a declared encoding the sample is not in, saying what it looks like."""
    position: int | None = None
    if encoding in ("iso-8859-1", "iso-8859-15"):
        found = re.search(rb"[\x80-\x9f]", body)  # C1 controls: never text, Windows-1252 quotes
        position = found.start() if found else None
    else:
        strict = "cp1252" if encoding == "windows-1252" else encoding
        try:
            codecs.getincrementaldecoder(strict)("strict").decode(body, not partial)
        except UnicodeDecodeError as error:
            position = error.start
    if position is None:
        return
    guess = _guess_encoding(body, final=not partial)
    if guess == encoding:
        guess = "iso-8859-1" if encoding != "iso-8859-1" else "windows-1252"
    raise SourceError(
        _(
            "The file “%(file)s” is not in %(declared)s: line %(line)s cannot be read in that "
            "encoding. It looks like %(guess)s: choose that encoding, or leave the encoding "
            "empty to detect it."
        ),
        file=name,
        declared=encoding_label(encoding),
        line=body.count(b"\n", 0, position) + 1,
        guess=encoding_label(guess),
    )


def _check_complete(
    text: str, delimiter: str, quote: str, escape: str, skip_lines: int, name: str
) -> None:
    """Refuse a whole file that ends inside a quoted value (a truncated file)."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar=quote,
        doublequote=escape == quote,
        escapechar=None if escape == quote else escape,
        strict=True,
    )
    ended = 0  # the last line of the last whole record
    try:
        for _fields in reader:
            ended = reader.line_num
    except csv.Error as error:
        if "unexpected end of data" not in str(error):
            return  # other quoting oddities: DuckDB decides, and says where
        lines = re.split(r"\r\n|\r|\n", text)
        start = ended + 1
        while start < len(lines) and not lines[start - 1].strip():
            start += 1
        raise SourceError(
            _UNCLOSED_QUOTE,
            line=start + skip_lines,
            file=name,
            excerpt=_excerpt(lines[start - 1] if 0 < start <= len(lines) else ""),
        ) from None


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_name(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _csv_sql(source: Path, duck_encoding: str, dialect: CsvDialect, columns: list[str]) -> str:
    internal = [f"c{index}" for index in range(dialect.field_count)]
    types = ", ".join(f"'{name}': 'VARCHAR'" for name in internal)
    select = ", ".join(f"{internal[i]} AS {_sql_name(name)}" for i, name in enumerate(columns))
    where = " WHERE c0 IS NOT NULL" if dialect.field_count == 1 else ""  # blank lines
    read = (
        f"read_csv({_sql_text(str(source))}, columns={{{types}}}, auto_detect=false, "
        f"header=true, skip={dialect.skip_lines}, delim={_sql_text(dialect.delimiter)}, "
        f"quote={_sql_text(dialect.quotechar)}, escape={_sql_text(dialect.escapechar)}, "
        f"encoding={_sql_text(duck_encoding)}, max_line_size={MAX_LINE_BYTES}, "
        f"strict_mode=true)"
    )
    # row_number() OVER () streams and follows the file order, even in parallel.
    number = f"row_number() OVER () AS {_sql_name(SOURCE_ROW)}"
    return f"SELECT {select}, {number} FROM (SELECT * FROM {read}{where})"  # noqa: S608 - quoted


def _transcode(path: Path, encoding: str, folder: str) -> Path:
    """Copy `path` into `folder` as UTF-8, streaming."""
    target = Path(folder) / "utf8.csv"
    decode = _decoder(encoding)
    line = 1
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as output:
        while True:
            chunk = source.read(SCAN_CHUNK_BYTES)
            try:
                text = decode(chunk, not chunk)
            except UnicodeDecodeError as error:
                bad = line + chunk.count(b"\n", 0, max(0, error.start))
                raise SourceError(
                    _(
                        "Line %(line)s of “%(file)s” is not in %(encoding)s. It looks like "
                        "%(guess)s: choose that encoding."
                    ),
                    line=bad,
                    file=_name(path),
                    encoding=encoding_label(encoding),
                    guess=encoding_label(_guess_encoding(chunk)),
                ) from None
            output.write(text.lstrip("\ufeff") if line == 1 else text)
            line += text.count("\n")
            if not chunk:
                return target


def _open_csv(path: Path, config: dict[str, Any]) -> RawInput:
    dialect = sniff_csv(
        path,
        encoding=_option(config, "encoding"),
        delimiter=_option(config, "delimiter"),
        decimal=_option(config, "decimal"),
        thousands=_option(config, "thousands"),
        date_format=config.get("date_format") or None,
    )
    source, duck_encoding, folder = path, "utf-8", None
    forbidden = _NOT_AS_LATIN1.get(dialect.encoding)
    if dialect.encoding != "utf-8":
        if forbidden is not None and not _contains_any(path, forbidden):
            duck_encoding = "latin-1"  # the same characters, byte for byte
        else:
            folder = tempfile.mkdtemp(prefix="pilotis-file-")
            try:
                source = _transcode(path, dialect.encoding, folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
    sql = _csv_sql(source, duck_encoding, dialect, dialect.header)

    def relation(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        return con.sql(sql)

    def cleanup() -> None:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    separator = str(_("tab")) if dialect.delimiter == "\t" else dialect.delimiter
    description = str(_("CSV, %(encoding)s, separator “%(delimiter)s”, decimal “%(decimal)s”")) % {
        "encoding": dialect.encoding_label,
        "delimiter": separator,
        "decimal": dialect.decimal,
    }
    return RawInput(
        columns=list(dialect.header),
        hints=ReadHints(dialect.decimal, dialect.thousands, list(dialect.date_formats)),
        relation=relation,
        estimated_rows=dialect.estimated_rows,
        description=description,
        cleanup=cleanup if folder else None,
    )


# --- DuckDB errors ---------------------------------------------------------------------------

_DUCK_LINE = re.compile(r"CSV Error on Line: (\d+)")
_DUCK_ORIGINAL = re.compile(r"Original Line: ?([^\n]*)")
_DUCK_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
# Errors the Python readers met while DuckDB was pulling their batches, by file.
_STREAM_ERRORS: dict[str, SourceError] = {}


def _stream_key(path: str | os.PathLike[str]) -> str:
    return os.path.abspath(os.fspath(path))


def explain_duckdb_error(error: duckdb.Error, path: str | os.PathLike[str]) -> SourceError:
    """The clerk's message for an error DuckDB raised while reading the file at `path`."""
    try:
        return _explain(error, path)
    except Exception:  # noqa: BLE001 - the explanation must never hide the error
        return SourceError(
            _("The file “%(file)s” could not be read: %(error)s"),
            file=_name(path),
            error=(str(error).splitlines() or [""])[0][:300],
        )


def _explain(error: duckdb.Error, path: str | os.PathLike[str]) -> SourceError:
    message = str(error)
    file = _name(path)
    stashed = _STREAM_ERRORS.pop(_stream_key(path), None)
    if stashed is not None and ("Python exception" in message or "Arrow" in message):
        return stashed
    found_line = _DUCK_LINE.search(message)
    line = int(found_line.group(1)) if found_line else None
    original = _DUCK_ORIGINAL.search(message)
    excerpt = _excerpt(original.group(1) if original else "")
    if "does not support a full read" in message or (
        "Maximum line size" in message and line is None
    ):
        return SourceError(
            _(
                "A line of “%(file)s” is longer than %(limit)s: the separator or the quotes are "
                "probably wrong, or the file is not a CSV file."
            ),
            file=file,
            limit=_size(MAX_LINE_BYTES),
        )
    if line is not None:
        if "Maximum line size" in message:
            return SourceError(
                _(
                    "Line %(line)s of “%(file)s” is longer than %(limit)s: the separator or the "
                    "quotes are probably wrong (a quote never closed?), or the file is not a CSV "
                    "file."
                ),
                line=line,
                file=file,
                limit=_size(MAX_LINE_BYTES),
            )
        if columns := _DUCK_COLUMNS.search(message):
            return SourceError(
                _WRONG_FIELD_COUNT,
                line=line,
                file=file,
                found=columns.group(2),
                expected=columns.group(1),
                excerpt=excerpt,
            )
        if "unterminated quote" in message:
            return SourceError(
                _UNCLOSED_QUOTE,
                line=line,
                file=file,
                excerpt=excerpt,
            )
        if "Invalid unicode" in message or "not utf-8" in message:
            return SourceError(
                _(
                    "Line %(line)s of “%(file)s” is not valid UTF-8 text. The file looks like "
                    "%(guess)s: choose that encoding, or export the file again in UTF-8."
                ),
                line=line,
                file=file,
                guess=encoding_label(_file_guess(Path(path))),
            )
        return SourceError(
            _("Line %(line)s of “%(file)s” could not be read: %(error)s"),
            line=line,
            file=file,
            error=_duck_reason(message),
        )
    if "not latin-1 encoded" in message or "Invalid unicode" in message:
        return SourceError(
            _(
                "The file “%(file)s” is not in the expected encoding. It looks like %(guess)s: "
                "choose that encoding."
            ),
            file=file,
            guess=encoding_label(_file_guess(Path(path))),
        )
    if isinstance(error, duckdb.IOException) or "No files found" in message:
        return SourceError(
            _("The file “%(file)s” cannot be read (moved or deleted?): %(error)s"),
            file=file,
            error=_duck_reason(message),
        )
    return SourceError(
        _("The file “%(file)s” could not be read: %(error)s"),
        file=file,
        error=_duck_reason(message),
    )


def _duck_reason(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    reasons = [
        line
        for line in lines[1:]
        if not line.startswith(("Original Line", "Possible", "*", "file =")) and "=" not in line
    ]
    first = re.sub(r"^[A-Za-z ]+Error: ", "", lines[0]) if lines else ""
    return (reasons[0] if reasons and first.startswith("CSV Error") else first)[:300]


# --- Python readers: shared ------------------------------------------------------------------


def _batch(
    schema: pa.Schema, columns: list[list[str | None]], numbers: list[int]
) -> pa.RecordBatch:
    arrays = [pa.array(values, pa.string()) for values in columns]
    arrays.append(pa.array(numbers, pa.int64()))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _rows_to_batches(
    schema: pa.Schema, width: int, rows: Iterable[tuple[int, Sequence[str | None]]]
) -> Iterator[pa.RecordBatch]:
    """Arrow batches of BATCH_ROWS rows from (row number, texts) pairs."""
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    for number, values in rows:
        for index in range(width):
            columns[index].append(values[index] if index < len(values) else None)
        numbers.append(number)
        if len(numbers) >= BATCH_ROWS:
            yield _batch(schema, columns, numbers)
            columns = [[] for _ in range(width)]
            numbers = []
    if numbers:
        yield _batch(schema, columns, numbers)


def _guarded(
    path: Path, make: Callable[[], Iterator[pa.RecordBatch]]
) -> Callable[[], Iterator[pa.RecordBatch]]:
    """`make`, whose failures become SourceErrors that `explain_duckdb_error` finds again (DuckDB
    only keeps their text when it pulls the batches)."""

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from make()
        except SourceError as error:
            _STREAM_ERRORS[_stream_key(path)] = error
            raise
        except Exception as error:
            wrapped = SourceError(
                _("The file “%(file)s” could not be read: %(error)s"),
                file=_name(path),
                error=str(error)[:300] or error.__class__.__name__,
            )
            _STREAM_ERRORS[_stream_key(path)] = wrapped
            raise wrapped from error

    return batches


def _raw_input(
    columns: list[str],
    rows: Callable[[], Iterable[tuple[int, Sequence[str | None]]]],
    path: Path,
    hints: ReadHints,
    description: str,
    estimated_rows: int | None = None,
) -> RawInput:
    raw = RawInput(
        columns=columns, hints=hints, estimated_rows=estimated_rows, description=description
    )
    schema = raw.arrow_schema()
    raw.batches = _guarded(path, lambda: _rows_to_batches(schema, len(columns), rows()))
    return raw


def _value_hints(rows: Iterable[Sequence[str | None]], dates: Iterable[str] = ()) -> ReadHints:
    decimal, thousands, formats = _sniff_values(value for row in rows for value in row)
    return ReadHints(decimal, thousands, _ordered_formats([*formats, *dates]))


# --- Spreadsheets ----------------------------------------------------------------------------


def _not_a_workbook(path: Path, fmt: str) -> SourceError:
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        reason = _("it is a web page (HTML or XML) with another extension: export it again")
    elif _binary_reason(head) is None:
        reason = _("it looks like a text (CSV) file: choose the CSV format")
    else:
        reason = _("its content is not in that format: it may be damaged")
    return SourceError(
        _("The file “%(file)s” is not a valid %(format)s file: %(reason)s."),
        file=_name(path),
        format=_FORMAT_LABELS[fmt],
        reason=reason,
    )


def _check_container(path: Path, fmt: str) -> None:
    """Refuse a workbook that is not in its container format (a ZIP archive for xlsx and ods,
    an OLE file for xls), or a ZIP archive that would expand too much (a zip bomb), before
    calamine opens it."""
    file = _name(path)
    if fmt == "xls":
        with path.open("rb") as handle:
            if handle.read(8) != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                raise _not_a_workbook(path, fmt)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise _not_a_workbook(path, fmt) from None
    expanded = sum(member.file_size for member in members)
    packed = max(1, sum(member.compress_size for member in members))
    if expanded > MAX_UNCOMPRESSED_BYTES or (
        expanded > RATIO_CHECK_MIN_BYTES and expanded / packed > MAX_COMPRESSION_RATIO
    ):
        raise SourceError(
            _(
                "The file “%(file)s” would take %(size)s once uncompressed (%(ratio)s times its "
                "size): Pilotis refuses it to protect the server. Split the workbook, or export "
                "the data as CSV."
            ),
            file=file,
            size=_size(expanded),
            ratio=round(expanded / packed),
        )


def _pick_sheet(workbook: CalamineWorkbook, wanted: Any, path: Path) -> str:
    names = workbook.sheet_names
    if wanted is not None and str(wanted).strip() != "":
        text = str(wanted).strip()
        if text in names:
            return text
        if text.isdigit() and 1 <= int(text) <= len(names):
            return names[int(text) - 1]  # a number: 1 is the first sheet
        lowered = [name.lower() for name in names]
        if text.lower() in lowered:
            return names[lowered.index(text.lower())]
        raise SourceError(
            _("The workbook “%(file)s” has no sheet “%(sheet)s”. Its sheets are: %(sheets)s."),
            file=_name(path),
            sheet=text,
            sheets=", ".join(f"“{name}”" for name in names),
        )
    for meta in workbook.sheets_metadata:
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return meta.name
    if not names:
        raise SourceError(_("The workbook “%(file)s” has no sheet."), file=_name(path))
    return names[0]


def _open_spreadsheet(path: Path, fmt: str, config: dict[str, Any]) -> RawInput:
    file = _name(path)
    _check_container(path, fmt)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet_name = _pick_sheet(workbook, config.get("sheet"), path)
        sheet = workbook.get_sheet_by_name(sheet_name)
    except PasswordError:
        raise SourceError(
            _(
                "The workbook “%(file)s” is protected by a password: remove the protection and "
                "load it again."
            ),
            file=file,
        ) from None
    except CalamineError as error:
        raise SourceError(
            _(
                "The workbook “%(file)s” could not be read (%(error)s): open it in a spreadsheet "
                "program, save it again, and load the new file."
            ),
            file=file,
            error=str(error)[:300],
        ) from None

    header_at, header_cells = _spreadsheet_header(sheet)
    if header_cells is None:
        raise SourceError(
            _("The sheet “%(sheet)s” of “%(file)s” is empty."), sheet=sheet_name, file=file
        )
    columns = _header_names([_cell_text(cell) for cell in header_cells], path)
    width = len(columns)

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        for offset, cells in enumerate(islice(sheet.iter_rows(), header_at + 1, None), start=1):
            values = [_cell_text(cell) for cell in cells[:width]]
            if any(value is not None for value in values):
                yield offset, values

    hints = _value_hints((values for _n, values in islice(rows(), SNIFF_ROWS)), _ISO_FORMATS)
    label = {
        "xlsx": _("Excel workbook, sheet “%(sheet)s”"),
        "xls": _("Excel 97-2003 workbook, sheet “%(sheet)s”"),
        "ods": _("OpenDocument spreadsheet, sheet “%(sheet)s”"),
    }[fmt]
    return _raw_input(columns, rows, path, hints, str(label) % {"sheet": sheet_name})


def _spreadsheet_header(sheet: CalamineSheet) -> tuple[int, list[Any] | None]:
    """(index, cells) of the first row that holds something."""
    for index, cells in enumerate(sheet.iter_rows()):
        if any(cell not in ("", None) for cell in cells):
            return index, list(cells)
    return 0, None


# --- JSON and NDJSON -------------------------------------------------------------------------


def _flatten(record: dict[str, Any], out: dict[str, str | None], prefix: str = "") -> None:
    """Nested objects become "parent.child" columns; arrays stay JSON text."""
    for key, value in record.items():
        name = prefix + str(key).strip()
        if isinstance(value, dict):
            _flatten(value, out, name + ".")
        else:
            out[name] = _json_text(value)


def _flat(record: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    _flatten(record, out)
    return out


def _json_error(error: json.JSONDecodeError, path: Path, line_offset: int = 0) -> SourceError:
    return SourceError(
        _("“%(file)s” is not valid JSON: %(error)s at line %(line)s, column %(column)s."),
        file=_name(path),
        error=error.msg,
        line=error.lineno + line_offset,
        column=error.colno,
    )


def _decode_json_text(data: bytes, encoding: str | None, path: Path, line: int = 1) -> str:
    codec = _canonical_encoding(encoding) if encoding else "utf-8"
    try:
        return data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as error:
        raise SourceError(
            _(
                "Line %(line)s of “%(file)s” is not in %(encoding)s (it looks like %(guess)s): "
                "export the file again in UTF-8, or set its encoding."
            ),
            line=line + data.count(b"\n", 0, error.start),
            file=_name(path),
            encoding=encoding_label(codec),
            guess=encoding_label(_guess_encoding(data)),
        ) from None


def _record_arrays(
    node: dict[str, Any], prefix: str, depth: int = 0
) -> Iterator[tuple[str, list[Any]]]:
    for key, value in node.items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            yield prefix + str(key), value
        elif isinstance(value, dict) and depth < 5:
            yield from _record_arrays(value, prefix + str(key) + ".", depth + 1)


def _find_records(data: Any, records_path: str | None, path: Path) -> tuple[list[Any], str]:
    file = _name(path)
    if records_path:
        node = data
        for part in records_path.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SourceError(
                    _(
                        "“%(file)s” has nothing at “%(path)s”: check the records path "
                        "(e.g. “data.items”)."
                    ),
                    file=file,
                    path=records_path,
                )
        if isinstance(node, dict):
            return [node], records_path
        if not isinstance(node, list):
            raise SourceError(
                _("In “%(file)s”, “%(path)s” is not an array of objects."),
                file=file,
                path=records_path,
            )
        return node, records_path
    if isinstance(data, list):
        return data, ""
    if isinstance(data, dict):
        candidates = list(_record_arrays(data, ""))
        if len(candidates) == 1:
            where, records = candidates[0]
            return records, where
        if candidates:
            raise SourceError(
                _(
                    "“%(file)s” holds several arrays of records (%(paths)s): set the records "
                    "path to the one to load."
                ),
                file=file,
                paths=", ".join(f"“{where}” ({len(items)})" for where, items in candidates),
            )
        return [data], ""  # one object: one record
    raise SourceError(
        _("“%(file)s” holds no records: it must be an array of objects, or an object."),
        file=file,
    )


def _collect_columns(records: Iterable[dict[str, str | None]], path: Path) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        for name in record:
            if name not in seen:
                seen[name] = None
                if len(seen) > MAX_COLUMNS:
                    break
    names = list(seen)
    if names:
        _check_names(names, path)
    return names


def _open_json(path: Path, config: dict[str, Any]) -> RawInput:
    file = _name(path)
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise SourceError(
            _(
                "The JSON file “%(file)s” takes %(size)s: above %(limit)s, write it as NDJSON "
                "(one object per line), which Pilotis reads as a stream."
            ),
            file=file,
            size=_size(size),
            limit=_size(MAX_JSON_BYTES),
        )
    if size == 0:
        raise SourceError(_EMPTY, file=file)
    text = _decode_json_text(path.read_bytes(), _option(config, "encoding"), path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _json_error(error, path) from None
    except RecursionError:
        raise SourceError(_("“%(file)s” is nested too deeply."), file=file) from None
    records, where = _find_records(data, _option(config, "records_path"), path)
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise SourceError(
                _(
                    "Record %(index)s of “%(file)s” is not a JSON object: the records must be "
                    "objects ({…})."
                ),
                index=index,
                file=file,
            )
    columns = _collect_columns((_flat(record) for record in records), path)

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        for number, record in enumerate(records, start=1):
            flat = _flat(record)
            yield number, [flat.get(name) for name in columns]

    hints = _value_hints(values for _n, values in islice(rows(), SNIFF_ROWS))
    description = (
        str(_("JSON, records at “%(path)s”")) % {"path": where} if where else str(_("JSON"))
    )
    return _raw_input(columns, rows, path, hints, description, len(records))


def _ndjson_records(
    path: Path, encoding: str | None
) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(record number, flat record) of each non-blank line."""
    file = _name(path)
    number = 0
    with path.open("rb") as handle:
        for line_number in itertools.count(1):
            line = handle.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            if len(line) > MAX_LINE_BYTES:
                raise SourceError(
                    _(
                        "Line %(line)s of “%(file)s” is longer than %(limit)s: each line must "
                        "hold one JSON object."
                    ),
                    line=line_number,
                    file=file,
                    limit=_size(MAX_LINE_BYTES),
                )
            if not line.strip():
                continue
            text = _decode_json_text(line, encoding, path, line_number)
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise SourceError(
                    _(
                        "Line %(line)s of “%(file)s” is not valid JSON: %(error)s at column "
                        "%(column)s. Each line must hold one JSON object."
                    ),
                    line=line_number,
                    file=file,
                    error=error.msg,
                    column=error.colno,
                ) from None
            except RecursionError:
                raise SourceError(_("“%(file)s” is nested too deeply."), file=file) from None
            if not isinstance(value, dict):
                raise SourceError(
                    _(
                        "Line %(line)s of “%(file)s” is not a JSON object: each line must hold "
                        "one object ({…})."
                    ),
                    line=line_number,
                    file=file,
                )
            number += 1
            yield number, _flat(value)


def _open_ndjson(path: Path, config: dict[str, Any]) -> RawInput:
    encoding = _option(config, "encoding")
    if path.stat().st_size == 0:
        raise SourceError(_EMPTY, file=_name(path))
    seen: dict[str, None] = {}
    count = 0
    sample: list[list[str | None]] = []
    for count, record in _ndjson_records(path, encoding):
        for name in record:
            if name not in seen:
                seen[name] = None
                if len(seen) > MAX_COLUMNS:
                    _check_names(list(seen), path)
        if count <= SNIFF_ROWS:
            sample.append(list(record.values()))
    columns = list(seen)
    if columns:
        _check_names(columns, path)

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        for number, record in _ndjson_records(path, encoding):
            yield number, [record.get(name) for name in columns]

    description = str(_("NDJSON (one JSON object per line)"))
    return _raw_input(columns, rows, path, _value_hints(sample), description, count)


# --- Parquet ---------------------------------------------------------------------------------


def _arrow_text(array: pa.Array) -> pa.Array:
    """Any Arrow column as text: ISO dates and times, numbers without exponent, nested values
    as JSON; empty strings become NULL."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = array.cast(pa.string())
    elif pa.types.is_timestamp(kind):
        naive = array.cast(pa.timestamp(kind.unit)) if kind.tz else array  # UTC wall clock
        if kind.unit != "s" and pc.any(pc.not_equal(pc.subsecond(naive), 0)).as_py():
            naive = naive.cast(pa.timestamp("us"), safe=False)
        else:
            naive = naive.cast(pa.timestamp("s"), safe=False)
        text = pc.strftime(naive, format="%Y-%m-%dT%H:%M:%S")
    elif pa.types.is_time(kind):
        text = pc.replace_substring_regex(array.cast(pa.string()), r"\.0+$", "")
    elif pa.types.is_floating(kind):
        text = array.cast(pa.string())
        if pc.any(pc.match_substring_regex(text, "[en]")).as_py():
            text = pa.array(
                [None if value is None else _float_text(value) for value in array.to_pylist()],
                pa.string(),
            )
    elif (
        pa.types.is_integer(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_date(kind)
    ):
        text = array.cast(pa.string())
    elif pa.types.is_null(kind):
        text = pa.nulls(len(array), pa.string())
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            text = array.cast(pa.string())
        except pa.ArrowInvalid:
            text = pa.array(
                [None if value is None else value.hex() for value in array.to_pylist()],
                pa.string(),
            )
    else:
        text = pa.array(
            [
                None if value is None else json.dumps(value, ensure_ascii=False, default=str)
                for value in array.to_pylist()
            ],
            pa.string(),
        )
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _open_parquet(path: Path, config: dict[str, Any]) -> RawInput:
    file = _name(path)
    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        total = parquet.metadata.num_rows
    except (pa.ArrowException, OSError) as error:
        raise SourceError(
            _("“%(file)s” is not a valid Parquet file (%(error)s)."),
            file=file,
            error=str(error)[:300],
        ) from None
    columns = [name.strip() for name in schema.names]
    _check_names(columns, path)
    dates: list[str] = []
    for kind in schema.types:
        if pa.types.is_timestamp(kind):
            dates += ["%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"]
        elif pa.types.is_date(kind):
            dates.append("%Y-%m-%d")
    raw = RawInput(columns=columns, estimated_rows=total)
    out_schema = raw.arrow_schema()

    def batches() -> Iterator[pa.RecordBatch]:
        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            arrays = [_arrow_text(batch.column(index)) for index in range(batch.num_columns)]
            arrays.append(pa.array(range(number + 1, number + batch.num_rows + 1), pa.int64()))
            number += batch.num_rows
            yield pa.RecordBatch.from_arrays(arrays, schema=out_schema)

    first: list[list[str | None]] = []
    for batch in islice(batches(), 1):
        table = batch.slice(0, SNIFF_ROWS).to_pylist()
        first = [[row[name] for name in columns] for row in table]
    raw.hints = _value_hints(first, dates)
    raw.batches = _guarded(path, batches)
    raw.description = str(_("Parquet, %(rows)s rows")) % {"rows": total}
    return raw


# --- The kind --------------------------------------------------------------------------------


def _option(config: dict[str, Any], key: str) -> str | None:
    """A configuration value as text; None when absent or empty (a space or a tab is a value:
    a separator)."""
    value = config.get(key)
    if value is None or value == "":
        return None
    return str(value)


def _override_hints(hints: ReadHints, config: dict[str, Any]) -> None:
    if decimal := _option(config, "decimal"):
        hints.decimal = decimal
    if (thousands := _option(config, "thousands")) is not None:
        hints.thousands = thousands
    if hints.thousands == hints.decimal:
        hints.thousands = ""
    date_format = config.get("date_format")
    if date_format:
        hints.date_formats = [date_format] if isinstance(date_format, str) else list(date_format)


_OPENERS: dict[str, Callable[[Path, dict[str, Any]], RawInput]] = {
    "csv": _open_csv,
    "xlsx": lambda path, config: _open_spreadsheet(path, "xlsx", config),
    "xls": lambda path, config: _open_spreadsheet(path, "xls", config),
    "ods": lambda path, config: _open_spreadsheet(path, "ods", config),
    "json": _open_json,
    "ndjson": _open_ndjson,
    "parquet": _open_parquet,
}


@register
class FileKind(SourceKind):
    """A file on the server: CSV, Excel, OpenDocument, JSON, NDJSON or Parquet."""

    name = "file"
    label = _("File (CSV, Excel, ODS, JSON, Parquet)")
    options: ClassVar[dict[str, str | Promise]] = {
        "path": _("Path of the file (required)."),
        "format": _(
            "csv, xlsx, xls, ods, json, ndjson or parquet; detected from the content when empty."
        ),
        "encoding": _(
            "CSV or JSON text encoding, e.g. UTF-8 or Windows-1252; detected when empty."
        ),
        "delimiter": _("CSV separator: ; , | or tab; detected when empty."),
        "decimal": _("Decimal mark of numbers, “,” or “.”; detected when empty."),
        "thousands": _("Thousands separator of numbers (e.g. a space); detected when empty."),
        "date_format": _("Format of dates, e.g. %d/%m/%Y; detected when empty."),
        "sheet": _("Sheet of a workbook: its name, or its number (1 is the first sheet)."),
        "records_path": _(
            "JSON: where the array of records is, e.g. “data.items”; found when there is one."
        ),
    }

    def open(self) -> RawInput:
        location = self.config.get("path")
        if not location or not str(location).strip():
            raise SourceError(_("The file source needs a path: set the “path” option."))
        path = Path(str(location)).expanduser()
        fmt = detect_format(path, _option(self.config, "format"))
        config = dict(self.config)
        if str(config.get("format", "")).strip().lower() == "tsv":
            config.setdefault("delimiter", "\t")
        raw = _OPENERS[fmt](path, config)
        _override_hints(raw.hints, config)
        _STREAM_ERRORS.pop(_stream_key(path), None)
        return raw
