"""Who sees a page (private: its owner; shared: the tenant; another tenant: nobody), the
exports (Excel with French number formats, CSV, PDF with its charts, the JSON definition and
its import elsewhere) and the indicators in the catalog."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from pypdf import PdfReader

from pilotis.dashboards.models import ChartKind, Dashboard, Panel, Visibility
from pilotis.metrics import registry
from tests.dashboards.conftest import english

pytestmark = pytest.mark.django_db
YEAR = (date(2025, 12, 1), date(2026, 11, 30))


def evaluate(slug, by=None):
    end = YEAR[1]
    as_of = datetime.combine(end + timedelta(days=1), time(), ZoneInfo("Europe/Paris"))
    return registry.evaluate(slug, registry.Query(("35288",), *YEAR, by=by, as_of=as_of))


@pytest.fixture
def page(town, people):
    page = Dashboard.objects.create(
        tenant=town, title="Demandes — synthèse", owner=people["analyst"]
    )
    Panel.objects.create(dashboard=page, position=0, metric="requests.volume")
    Panel.objects.create(
        dashboard=page, position=1, metric="requests.volume", by="category",
        chart=ChartKind.HBAR, title="Par thème",
    )  # fmt: skip
    Panel.objects.create(
        dashboard=page, position=2, metric="requests.on_time_rate", by="channel",
        chart=ChartKind.TABLE,
    )  # fmt: skip
    Panel.objects.create(
        dashboard=page, position=3, metric="requests.volume_series", by="month",
        chart=ChartKind.LINE,
    )  # fmt: skip
    return page


def as_(client, user):
    client.force_login(user)
    return english(client)


def test_private_page_is_its_owners_alone(client, page, people):
    url = f"/t/35288/tableaux/{page.pk}/"
    assert as_(client, people["analyst"]).get(url).status_code == 200
    for who in ("colleague", "elected"):
        c = as_(client, people[who])
        assert c.get(url).status_code == 404, who
        assert c.get(url + "tableau.xlsx").status_code == 404, who
        assert page.title not in c.get("/t/35288/tableaux/").content.decode()
    assert as_(client, people["colleague"]).get(url + "modifier/").status_code == 404


def test_shared_page_is_read_by_the_tenant_and_changed_by_its_builders(client, page, people):
    owner = as_(client, people["analyst"])
    owner.post(
        f"/t/35288/tableaux/{page.pk}/modifier/",
        {"title": page.title, "description": "", "visibility": "shared"},
    )
    page.refresh_from_db()
    assert page.visibility == Visibility.SHARED
    url = f"/t/35288/tableaux/{page.pk}/"
    elected = as_(client, people["elected"])
    assert elected.get(url).status_code == 200
    listing = elected.get("/t/35288/tableaux/").content.decode()
    assert page.title in listing
    assert elected.get(url + "modifier/").status_code == 403  # reads, never builds
    colleague = as_(client, people["colleague"])
    assert colleague.get(url + "modifier/").status_code == 200
    # A copy is private to whoever makes it.
    response = colleague.post(url + "dupliquer/")
    copy = Dashboard.objects.exclude(pk=page.pk).get()
    assert response.status_code == 302 and copy.owner == people["colleague"]
    assert copy.visibility == Visibility.PRIVATE and copy.panels.count() == 4
    assert (
        copy.title not in as_(client, people["analyst"]).get("/t/35288/tableaux/").content.decode()
    )


def test_another_tenants_member_never_reaches_a_page(client, page, people):
    page.visibility = Visibility.SHARED
    page.save()
    other = as_(client, people["other"])
    for suffix in ("", "modifier/", "tableau.pdf", "definition.json", "supprimer/"):
        assert other.get(f"/t/35288/tableaux/{page.pk}/{suffix}").status_code == 404, suffix
    # Nor through its own tenant's URLs.
    assert other.get(f"/t/35049/tableaux/{page.pk}/").status_code == 404
    assert other.post(f"/t/35049/tableaux/{page.pk}/supprimer/").status_code == 404
    assert Dashboard.objects.filter(pk=page.pk).exists()


def test_workbook_has_a_sheet_per_panel_with_french_number_formats(client, page, people):
    response = as_(client, people["analyst"]).get(f"/t/35288/tableaux/{page.pk}/tableau.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 4
    first, by_theme, on_time, months = book.worksheets
    assert by_theme.title == "Par thème"
    assert first["B2"].value == registry.total(evaluate("requests.volume"))
    assert first["B2"].number_format == "#,##0"
    expected = evaluate("requests.volume", by="category").rows
    assert by_theme["B2"].value == expected[0]["value"]
    assert [by_theme.cell(r, 2).value for r in range(3, 3 + len(expected) - 1)] == [
        row["value"] for row in expected[1:]
    ]
    rate = evaluate("requests.on_time_rate", by="channel").rows
    assert on_time["B2"].value == pytest.approx(rate[0]["value"])
    assert on_time["B2"].number_format == "0.0%"
    assert isinstance(on_time["B3"].value, float)
    assert months.max_row >= 13
    # The definition and the source travel with the figures.
    texts = [c.value for row in first.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Requests made in the period." in texts and "requests" in texts


def test_csv_of_a_panel_is_french_excel_s(client, page, people):
    panel = page.panels.get(position=2)
    response = as_(client, people["analyst"]).get(
        f"/t/35288/tableaux/{page.pk}/panneaux/{panel.pk}/donnees.csv"
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Channel;")
    total = registry.total(evaluate("requests.on_time_rate", by="channel"))
    assert lines[1].split(";")[1] == f"{total:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def test_pdf_has_the_panels_and_their_charts(client, page, people):
    response = as_(client, people["elected" if page.is_shared else "analyst"]).get(
        f"/t/35288/tableaux/{page.pk}/tableau.pdf"
    )
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 1
    assert "Demandes — synthèse" in text and "Par thème" in text
    assert "Requests made in the period." in text
    total = registry.total(evaluate("requests.volume"))
    assert str(total) in text.replace("\u202f", "").replace("\xa0", "")


def test_definition_round_trips_into_another_tenant(client, page, people):
    definition = (
        as_(client, people["analyst"]).get(f"/t/35288/tableaux/{page.pk}/definition.json").json()
    )
    assert definition["format"] == "pilotis-dashboard"
    assert [p["metric"] for p in definition["panels"]] == [p.metric for p in page.panels.all()]
    flat = json.dumps(definition)
    assert "35288" not in flat and "analyst" not in flat and "rows" not in flat  # no data
    upload = io.BytesIO(json.dumps(definition).encode())
    upload.name = "tableau.json"
    other = as_(client, people["other"])
    response = other.post("/t/35049/tableaux/importer/", {"definition": upload})
    assert response.status_code == 302
    imported = Dashboard.objects.get(tenant=people["other_tenant"])
    assert imported.owner == people["other"] and imported.visibility == Visibility.PRIVATE
    again = other.get(f"/t/35049/tableaux/{imported.pk}/definition.json").json()
    assert again["panels"] == definition["panels"] and again["title"] == definition["title"]
    assert other.get(f"/t/35049/tableaux/{imported.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", "The file is not JSON."),
        (b'{"format": "other"}', "not the definition of a Pilotis dashboard"),
        (
            b'{"format": "pilotis-dashboard", "version": 1, "panels": [{"metric": "x.y"}]}',
            "Panel 1: Unknown indicator “x.y”",
        ),
        (
            b'{"format": "pilotis-dashboard", "version": 1, "panels": '
            b'[{"metric": "requests.volume", "chart": "bar", "by": "zone"}]}',
            "cannot be broken down by “zone”",
        ),
    ],
)
def test_a_bad_definition_is_refused_with_its_reason(client, people, content, message):
    upload = io.BytesIO(content)
    upload.name = "tableau.json"
    response = as_(client, people["analyst"]).post(
        "/t/35288/tableaux/importer/", {"definition": upload}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Dashboard.objects.exists()


def test_delete_removes_the_page(client, page, people):
    owner = as_(client, people["analyst"])
    assert owner.get(f"/t/35288/tableaux/{page.pk}/supprimer/").status_code == 200
    assert owner.post(f"/t/35288/tableaux/{page.pk}/supprimer/").status_code == 302
    assert not Dashboard.objects.exists() and not Panel.objects.exists()


def test_catalog_lists_every_indicator_with_sources_and_uses(client, page, people):
    from pilotis.catalog.entries import ensure_dataset
    from pilotis.catalog.lineage import lineage_graph

    entry = ensure_dataset(page.tenant, "requests")
    html = (
        as_(client, people["analyst"])
        .get("/t/35288/donnees/catalogue/indicateurs/")
        .content.decode()
    )
    for metric in registry.all_metrics():
        assert f"<code>{metric.slug}</code>" in html
        assert str(metric.description).replace("'", "&#x27;").replace('"', "&quot;") in html
    assert f'href="/t/35288/donnees/catalogue/jeux/{entry.slug}/"' in html
    assert f'href="/t/35288/tableaux/{page.pk}/"' in html  # where it is used
    # An elected official reads the definitions, not the catalog entries; a private page of
    # someone else is not listed as a use.
    elected = as_(client, people["elected"]).get("/t/35288/donnees/catalogue/indicateurs/")
    assert elected.status_code == 200
    assert "/jeux/" not in elected.content.decode()
    assert f"/tableaux/{page.pk}/" not in elected.content.decode()
    # Lineage: the table leads to the indicators computed from it.
    indicators = {n.name for n in lineage_graph(entry).indicators}
    assert {m.slug for m in registry.all_metrics() if "requests" in m.source_tables} == indicators
