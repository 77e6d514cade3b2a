"""Rows read = rows loaded + rows quarantined, on every fixture, counted independently of
Pilotis: real public samples (Paris DansMaRue CSV, a Chicago Open311 answer) and exports
written in the French ways (Windows-1252, `;`, decimal comma, quotes, Excel)."""

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from pilotis.connectors import pipeline
from pilotis.connectors.mapping import Mapping

DATA = Path(__file__).resolve().parent / "data"

DANSMARUE = """table: requests
fields:
  service_request_id: NUMERO
  status: {value: open}
  service_name: TYPE
  description: SOUSTYPE
  requested_datetime: DATEDECL
  address: ADRESSE
  zipcode: CODE_POSTAL
"""
CHICAGO = """table: requests
fields:
  service_request_id: service_code        # the sample has no id: codes repeat, duplicates rejected
  status: {column: status, values: {submitted: open}}
  requested_datetime: requested_datetime
  lat: lat
  long: long
"""
FRENCH = """table: requests
fields:
  service_request_id: N° demande
  status: {column: Statut, values: {Clôturée: closed, En cours: open}}
  requested_datetime: Date
  lat: Latitude
"""
FRENCH_ROWS = [
    ["N° demande", "Statut", "Date", "Latitude", "Objet"],
    ["1", "Clôturée", "03/01/2026 09:15", "48,65", "Tag « rue de Dinan »; œuvre"],
    ["2", "En cours", "04/01/2026", "48,6", 'Texte avec "guillemets"\net retour à la ligne'],
    ["3", "Perdue", "05/01/2026", "48,6", "statut inconnu"],
    ["4", "Clôturée", "32/01/2026", "abc", "date et latitude fausses"],
    ["4", "Clôturée", "06/01/2026", "48,6", "doublon"],
]


def french_csv(tmp_path: Path) -> tuple[Path, int]:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(FRENCH_ROWS)
    path = tmp_path / "export.csv"
    path.write_bytes(buffer.getvalue().encode("cp1252"))
    return path, len(FRENCH_ROWS) - 1


def french_xlsx(tmp_path: Path) -> tuple[Path, int]:
    book = openpyxl.Workbook()
    for row in FRENCH_ROWS:
        book.active.append(row)
    path = tmp_path / "export.xlsx"
    book.save(path)
    return path, len(FRENCH_ROWS) - 1


def dansmarue(tmp_path: Path) -> tuple[Path, int]:
    path = DATA / "portals" / "dansmarue_paris_sample_2017.csv"
    with open(path, encoding="utf-8", newline="") as f:
        return path, sum(1 for _ in csv.DictReader(f, delimiter=";"))


def chicago(tmp_path: Path) -> tuple[Path, int]:
    path = DATA / "open311" / "chicago_requests_2012-12-01.json"
    return path, len(json.loads(path.read_text()))


@pytest.mark.parametrize(
    ("fixture", "mapping"),
    [(french_csv, FRENCH), (french_xlsx, FRENCH), (dansmarue, DANSMARUE), (chicago, CHICAGO)],
)
def test_every_row_is_either_loaded_or_quarantined(commune, tmp_path, fixture, mapping):
    path, rows = fixture(tmp_path)
    run = pipeline.start_run(
        commune,
        Mapping.from_yaml(mapping),
        kind="file",
        config={"path": str(path)},
        source_name=path.name,
    )
    outcome = pipeline.execute(run)
    assert outcome.read == rows
    assert outcome.read == outcome.loaded + outcome.quarantined
    assert len(pipeline.quarantine_rows(run)) == outcome.quarantined
    if fixture in (french_csv, french_xlsx):
        # Row 5 repeats the key of row 4, which is invalid: the valid one is kept.
        assert (outcome.loaded, outcome.quarantined) == (3, 2)
