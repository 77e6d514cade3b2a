"""The files of a published version, written once from its Parquet file and served as they are
(a download streams a file from disk: constant memory whatever the size).

Formats: Parquet (the reference, read by the tabular API), CSV in UTF-8 (`,`), a CSV French
Excel opens by a double click (`;`, Windows-1252, decimal comma, dd/mm/yyyy), JSON (an array of
objects), XLSX (up to a sheet's million rows) and GeoJSON when the rows have coordinates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pilotis.exports import FORMULA_PREFIXES, neutralise_cell
from pilotis.warehouse.storage import ident, lit

XLSX_MAX_ROWS = 1_048_575
LATITUDE = ("lat", "latitude")
LONGITUDE = ("long", "lon", "lng", "longitude")


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    extension: str
    media_type: str


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("csv", "CSV (UTF-8)", "csv", "text/csv; charset=utf-8"),
        Format("csv-excel", "CSV Excel (;)", "excel.csv", "text/csv; charset=windows-1252"),
        Format("json", "JSON", "json", "application/json"),
        Format("parquet", "Parquet", "parquet", "application/vnd.apache.parquet"),
        Format(
            "xlsx",
            "XLSX",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Format("geojson", "GeoJSON", "geojson", "application/geo+json"),
    )
}


def coordinates(schema: pa.Schema) -> tuple[str, str] | None:
    """The (latitude, longitude) columns of a table, when it has both."""
    names = {n.lower(): n for n in schema.names}
    lat = next((names[n] for n in LATITUDE if n in names), None)
    lon = next((names[n] for n in LONGITUDE if n in names), None)
    return (lat, lon) if lat and lon else None


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _neutral_select(schema: pa.Schema, decimal_comma: bool = False) -> str:
    """The columns with text made inert for spreadsheets (CSV injection), and with decimal
    commas for French Excel when asked (DuckDB writes decimal points only)."""
    prefixes = ", ".join(lit(p) for p in FORMULA_PREFIXES)
    parts = []
    for f in schema:
        name = ident(f.name)
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
            parts.append(
                f"CASE WHEN left({name}, 1) IN ({prefixes}) THEN '''' || {name} "
                f"ELSE {name} END AS {name}"
            )
        elif decimal_comma and (pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)):
            parts.append(f"replace(CAST({name} AS VARCHAR), '.', ',') AS {name}")
        else:
            parts.append(name)
    return ", ".join(parts) or "*"


def _transcode(source: Path, target: Path, encoding: str) -> None:
    """Re-encode a UTF-8 file chunk by chunk (characters outside the code page become `?`)."""
    with source.open("r", encoding="utf-8", newline="") as src, target.open("wb") as out:
        for chunk in iter(lambda: src.read(1 << 20), ""):
            out.write(chunk.encode(encoding, errors="replace"))


def _write_csv(
    con: duckdb.DuckDBPyConnection, parquet: Path, folder: Path, schema: pa.Schema
) -> None:
    source = f"FROM read_parquet({lit(str(parquet))})"
    select = f"SELECT {_neutral_select(schema)} {source}"  # noqa: S608
    con.execute(f"COPY ({select}) TO {lit(str(folder / 'data.csv'))} (FORMAT csv, HEADER true)")
    utf8 = folder / "excel.utf8.tmp"
    select = f"SELECT {_neutral_select(schema, decimal_comma=True)} {source}"  # noqa: S608
    con.execute(
        f"COPY ({select}) TO {lit(str(utf8))} (FORMAT csv, HEADER true, DELIMITER ';', "
        "DATEFORMAT '%d/%m/%Y', TIMESTAMPFORMAT '%d/%m/%Y %H:%M:%S', NEW_LINE '\r\n')"
    )
    _transcode(utf8, folder / "data.excel.csv", "cp1252")
    utf8.unlink()


def _write_json(con: duckdb.DuckDBPyConnection, parquet: Path, folder: Path) -> None:
    con.execute(
        f"COPY (SELECT * FROM read_parquet({lit(str(parquet))})) "  # noqa: S608
        f"TO {lit(str(folder / 'data.json'))} (FORMAT json, ARRAY true)"
    )


def _rows(parquet: Path) -> Iterator[dict[str, object]]:
    for batch in pq.ParquetFile(parquet).iter_batches(batch_size=10_000):
        yield from batch.to_pylist()


def _write_xlsx(parquet: Path, folder: Path, schema: pa.Schema, title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(title or "Données")[:31])
    bold = Font(bold=True)
    header = []
    for name in schema.names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"
    for row in _rows(parquet):
        sheet.append([_xlsx_value(v) for v in row.values()])
    book.save(folder / "data.xlsx")


def _xlsx_value(value: object) -> object:
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)  # type: ignore[attr-defined]
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return neutralise_cell(value)


def _write_geojson(
    con: duckdb.DuckDBPyConnection, parquet: Path, folder: Path, lat: str, lon: str
) -> None:
    properties = [n for n in pq.read_schema(parquet).names if n not in (lat, lon)]
    props = ", ".join(f"{lit(n)}: {ident(n)}" for n in properties)
    query = (
        "SELECT to_json({'type': 'Feature', 'geometry': CASE WHEN "  # noqa: S608
        f"{ident(lat)} IS NULL OR {ident(lon)} IS NULL THEN NULL ELSE "
        f"{{'type': 'Point', 'coordinates': [{ident(lon)}, {ident(lat)}]}} END, "
        f"'properties': {{{props}}}}})::VARCHAR AS f FROM read_parquet({lit(str(parquet))})"
    )
    reader = con.sql(query).to_arrow_reader(10_000)
    with (folder / "data.geojson").open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        first = True
        for batch in reader:
            for feature in batch.column(0).to_pylist():
                out.write(feature if first else ",\n" + feature)
                first = False
        out.write("\n]}\n")


def write_all(parquet: Path, folder: Path, title: str = "") -> dict[str, dict[str, object]]:
    """Write every format beside `parquet` in `folder`; return format → {file, bytes, sha256}."""
    schema = pq.read_schema(parquet)
    rows = pq.ParquetFile(parquet).metadata.num_rows
    con = duckdb.connect()
    try:
        _write_csv(con, parquet, folder, schema)
        _write_json(con, parquet, folder)
        if rows <= XLSX_MAX_ROWS:
            _write_xlsx(parquet, folder, schema, title)
        found = coordinates(schema)
        if found is not None:
            _write_geojson(con, parquet, folder, *found)
    finally:
        con.close()
    out: dict[str, dict[str, object]] = {}
    for key, fmt in FORMATS.items():
        path = folder / f"data.{fmt.extension}"
        if path.exists():
            out[key] = {"file": path.name, "bytes": path.stat().st_size, "sha256": _digest(path)}
    return out
