"""The RGPD register as an XLSX workbook and a printable page, and cell neutralisation."""

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from pilotis.catalog.models import ProcessingRecord
from pilotis.catalog.register import sheet_title
from pilotis.exports import neutralise_cell
from pilotis.tenants.roles import Role
from tests.catalog.test_models import COMPLETE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+33 2 99 00 00 00", "'+33 2 99 00 00 00"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Saint-Malo", "Saint-Malo"),
        ("", ""),
        (-12, -12),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def test_sheet_titles_are_valid_for_excel():
    title = sheet_title(3, "Gestion [RH]: paie/congés ? * très long nom de traitement")
    assert len(title) <= 31
    assert not set("[]:*?/\\") & set(title)
    assert title.startswith("03 ")


@pytest.fixture
def records(tenant):
    first = ProcessingRecord.objects.create(tenant=tenant, **COMPLETE)
    second = ProcessingRecord.objects.create(
        tenant=tenant, name="=cmd|' /C calc'!A0", purposes="@SUM(1+1)", sensitive_data=True
    )
    return first, second


def test_xlsx_has_a_summary_and_one_sheet_per_processing(client, people, records, tenant):
    client.force_login(people[Role.ANALYST])
    response = client.get(f"/t/{tenant.code}/donnees/catalogue/registre/export.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 3
    assert book.sheetnames[0] == "Summary"
    summary = book["Summary"]
    assert summary["A4"].value == "Sheet"
    assert [summary.cell(row=r, column=3).value for r in (5, 6)] == [
        "'=cmd|' /C calc'!A0",  # neutralised, not a formula; sorted by name
        "Gestion des demandes des usagers",
    ]
    assert [summary.cell(row=r, column=1).value for r in (5, 6)] == book.sheetnames[1:]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)

    sheet = book[book.sheetnames[1]]
    labels = [row[0].value for row in sheet.iter_rows() if row[0].value]
    # The CNIL model's order: actors, purposes, security, data, subjects, recipients, transfers.
    order = [
        "Description of the processing",
        "Actors",
        "Purposes",
        "Security measures",
        "Personal data",
        "Data subjects",
        "Recipients",
        "Transfers outside the European Union",
    ]
    positions = [labels.index(title) for title in order]
    assert positions == sorted(positions)
    values = {row[0].value: row[1].value for row in sheet.iter_rows() if row[0].value}
    assert values["name of the processing"] == "'=cmd|' /C calc'!A0"
    assert values["purposes"] == "'@SUM(1+1)"
    assert values["includes sensitive data (GDPR article 9)"] == "Yes"
    assert isinstance(values["created"], datetime)
    assert "purposes" not in values["Items still to fill in"]
    assert "controller's address" in values["Items still to fill in"]


def test_printable_register(client, people, records, tenant):
    client.force_login(people[Role.ELECTED])
    url = f"/t/{tenant.code}/donnees/catalogue/registre/imprimer/"
    assert client.get(url).status_code == 403
    client.force_login(people[Role.ANALYST])
    page = client.get(url).content.decode()
    assert "Gestion des demandes des usagers" in page
    assert "catalog/print.js" in page
    assert "<script>" not in page  # no inline script (CSP)
