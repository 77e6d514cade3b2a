"""The monthly steering report: a PDF that renders (pages, text, charts as images), a
workbook that opens with numbers stored as numbers in French-Excel formats, and an e-mail
delivered to a real SMTP server (aiosmtpd) with both attached — once per month."""

from __future__ import annotations

import io
import socket

import pytest
from django.core.management import call_command
from django.test import override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from pilotis.home import board, report, tasks
from pilotis.home.models import ReportDelivery, ReportSubscription
from tests.home.conftest import TODAY


def pdf_text(content: bytes) -> tuple[int, str, int]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return len(reader.pages), text, images


@pytest.mark.django_db
def test_the_pdf_has_a_page_per_domain_with_summary_filters_and_charts(territory):
    epci = territory[0]
    built = board.build(epci, today=TODAY)
    pages, text, _images = pdf_text(report.pdf(epci, built))
    assert pages >= 3  # summary, the requests domain, the members
    flat = " ".join(text.split())
    assert "Agglo test" in flat
    for card in built.cards:
        assert card.label.split()[0] in flat
    # the scope printed at the top of each domain page
    assert flat.count("2 members") + flat.count("2 membres") >= 2
    assert built.summary[0].split(":")[0].split()[0] in flat
    # charts are vector drawings from vl-convert: their axis labels are text in the PDF
    assert "2025" in flat


@pytest.mark.django_db
def test_the_workbook_opens_with_a_sheet_per_indicator_and_french_excel_formats(territory):
    epci = territory[0]
    built = board.build(epci, today=TODAY)
    book = load_workbook(io.BytesIO(report.xlsx(epci, built)))
    assert len(book.sheetnames) == 1 + len(built.cards) + 1  # summary, indicators, members
    summary = book[book.sheetnames[0]]
    first = built.cards[0]
    assert summary.cell(2, 2).value == first.label and summary.cell(2, 4).value == first.value
    rate = next(c for c in built.cards if c.unit == "ratio")
    sheet = book[[n for n in book.sheetnames if n.startswith(rate.label[:20])][0]]
    rows = list(sheet.iter_rows(min_row=2, max_row=14, values_only=True))
    assert len(rows) == report.MONTHS and rows[-1][1] == pytest.approx(rate.value)
    assert sheet.cell(2, 1).number_format == "dd/mm/yyyy"
    assert sheet.cell(2, 2).number_format == "0.0%"
    assert isinstance(sheet.cell(14, 2).value, float)
    members = book[book.sheetnames[-1]]
    assert {members.cell(r, 1).value for r in (2, 3)} == {"Cancale", "Saint-Malo"}


@pytest.mark.django_db
def test_the_worker_emails_the_report_once_a_month_to_subscribers(territory, mayor, smtp):
    epci = territory[0]
    ReportSubscription.objects.create(tenant=epci, user=mayor)
    delivery = report.send(epci, today=TODAY)
    assert delivery.status == ReportDelivery.Status.SENT and delivery.recipients == 1
    assert len(smtp.messages) == 1
    to, message = smtp.messages[0]
    assert to == ["maire@example.fr"]
    assert "Agglo test" in message["Subject"] and "février 2025" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "/t/243500782/tableau-de-bord/" in body and "février 2025" in body
    assert built_summary_line(epci) in " ".join(body.split())
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    pdf = attachments["rapport-243500782-2025-02.pdf"]
    assert pdf_text(pdf)[0] == delivery.pdf_pages >= 3
    book = load_workbook(io.BytesIO(attachments["rapport-243500782-2025-02.xlsx"]))
    assert len(book.sheetnames) > 2
    # the same month is not sent twice, unless forced
    assert report.send(epci, today=TODAY) is None and len(smtp.messages) == 1
    assert report.send(epci, today=TODAY, force=True).status == "sent"
    assert len(smtp.messages) == 2


@pytest.mark.django_db
def test_the_periodic_task_sends_only_where_someone_subscribed(territory, mayor, smtp):
    epci, a, _b = territory
    ReportSubscription.objects.create(tenant=a, user=mayor)
    assert tasks.send_all() == 1
    assert [to for to, _m in smtp.messages] == [["maire@example.fr"]]
    assert not ReportDelivery.objects.filter(tenant=epci).exists()


@pytest.mark.django_db
def test_an_unreachable_mail_server_is_recorded_not_raised(territory, mayor):
    epci = territory[0]
    ReportSubscription.objects.create(tenant=epci, user=mayor)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=closed,
        EMAIL_TIMEOUT=2,
    ):
        delivery = report.send(epci, today=TODAY)
    assert delivery.status == ReportDelivery.Status.FAILED and delivery.error


@pytest.mark.django_db
def test_the_command_writes_both_files(territory, tmp_path):
    epci = territory[0]
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    call_command("report", "--tenant", epci.code, "--pdf", str(pdf), "--xlsx", str(xlsx))
    assert pdf.read_bytes().startswith(b"%PDF") and load_workbook(xlsx).sheetnames


def built_summary_line(tenant) -> str:
    return " ".join(board.build(tenant, today=TODAY).summary[0].split())
