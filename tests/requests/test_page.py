"""The citizen-requests page end to end on the warehouse: its sentences and figures recomputed
independently from the rows, its filters, its data downloads, and who may see it."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from pilotis.referential.models import OrgUnit, Theme
from pilotis.requests import page
from pilotis.requests.data import Period, Scope
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from pilotis.warehouse import storage
from pilotis.warehouse.schemas import get_schema
from tests.requests.conftest import AS_OF, PARIS, build_requests
from tests.tenants.factories import TenantFactory, UserFactory

PERIOD = Period(date(2024, 3, 16), date(2025, 3, 15))
LABELS = {
    "voirie": "Voirie",
    "proprete": "Propreté",
    "eclairage": "Éclairage public",
    "espaces_verts": "Espaces verts",
    "bruit": "Bruit",
    "etat_civil": "État civil",
}


def write_requests(code: str, frame: pd.DataFrame, mode: str = "error") -> None:
    """The rows as the warehouse holds them (the pipeline's own tests cover how they get
    there): every column of the canonical table, lineage included."""
    schema = storage.arrow_schema(get_schema("requests"))
    columns = {}
    for field in schema:
        if field.name in frame:
            values = frame[field.name]
            columns[field.name] = pa.array(
                values.astype(object).where(values.notna(), None).tolist(), field.type
            )
        elif field.name == "_tenant":
            columns[field.name] = pa.array([code] * len(frame), field.type)
        elif field.name in ("_source", "_load_id"):
            columns[field.name] = pa.array(["test"] * len(frame), field.type)
        else:
            columns[field.name] = pa.nulls(len(frame), field.type)
    write_deltalake(
        storage.table_uri(code, "requests"), pa.table(columns, schema=schema), mode=mode
    )


@pytest.fixture
def frame():
    return build_requests()


@pytest.fixture
def saint_malo(db, warehouse, frame):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    for code, label in LABELS.items():
        Theme.objects.create(tenant=tenant, code=code, label=label)
    OrgUnit.objects.create(tenant=tenant, name="Voirie", code="DEP-01", kind=OrgUnit.Kind.SERVICE)
    write_requests(tenant.code, frame)
    return tenant


def in_period(frame: pd.DataFrame, period: Period = PERIOD) -> pd.DataFrame:
    local = frame["requested_datetime"].dt.tz_convert(PARIS).dt.date
    return frame[(local >= period.start) & (local <= period.end)]


def build(**scope):
    labels = page.Labels(categories=LABELS)
    return page.build(Scope(("35288",), **scope), labels, period=PERIOD, as_of=AS_OF, targets={})


@pytest.mark.django_db
def test_the_figures_behind_the_sentences_match_the_rows(saint_malo, frame):
    built = build()
    rows = in_period(frame)
    assert built.facts["requests"] == len(rows)
    still_open = frame[
        (frame["requested_datetime"] <= pd.Timestamp(AS_OF))
        & (frame["closed_datetime"].isna() | (frame["closed_datetime"] > pd.Timestamp(AS_OF)))
    ]
    assert built.facts["open_now"] == len(still_open)
    # The first answer states the count; the third the most frequent category and its share.
    assert f"{len(rows):,}".replace(",", "\u202f") in built.answers[0].text or str(
        len(rows)
    ) in built.answers[0].text.replace("\u202f", "").replace("\xa0", "")
    # Shares are of all the requests, uncategorised ones included.
    counts = rows["category"].value_counts()
    top = counts.index[0]
    assert f"{LABELS[top]} ({round(counts.iloc[0] / len(rows) * 100)}" in built.answers[2].text
    subjects = next(c for c in built.charts if c.slug == "sujets")
    counted = {r[0]: r[1] for r in subjects.rows}
    for code, n in rows["category"].value_counts().items():
        assert counted[LABELS[code]] == n
    assert counted[page.Labels().category(None)] == rows["category"].isna().sum()


@pytest.mark.django_db
def test_filters_narrow_every_figure(saint_malo, frame):
    built = build(channels=("phone",))
    rows = in_period(frame)
    assert built.facts["requests"] == (rows["channel"] == "phone").sum()
    delays = next(c for c in built.charts if c.slug == "delais")
    assert sum(r[1] for r in delays.rows) <= built.facts["requests"]


@pytest.mark.django_db
def test_no_data_gives_no_page(db, warehouse):
    TenantFactory(code="35049", name="Cancale")
    built = page.build(Scope(("35049",)), page.Labels(), period=None, as_of=AS_OF, targets={})
    assert built is None


@pytest.fixture
def member(saint_malo):
    user = UserFactory(username="elu@saint-malo.fr")
    Membership.objects.create(user=user, tenant=saint_malo, role=Role.ELECTED)
    return user


@pytest.mark.django_db
def test_the_page_answers_and_its_data_downloads(client, member, frame):
    client.force_login(member)
    query = "start=2024-03-16&end=2025-03-15"
    response = client.get(f"/t/35288/demandes/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "answer-list" in html and "chart-canvas" in html
    csv = client.get(f"/t/35288/demandes/export/sujets.csv?{query}")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].count(";") == 2
    rows = in_period(frame)
    counted = {line.split(";")[0]: int(line.split(";")[1]) for line in lines[1:]}
    assert counted["Voirie"] == (rows["category"] == "voirie").sum()
    xlsx = client.get(f"/t/35288/demandes/export/sujets.xlsx?{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Voirie"] == counted["Voirie"]
    assert client.get(f"/t/35288/demandes/export/inconnu.csv?{query}").status_code == 404


@pytest.mark.django_db
def test_nobody_else_sees_the_page(client, saint_malo):
    assert client.get("/t/35288/demandes/").status_code == 302  # to the login page
    stranger = UserFactory(username="autre@cancale.fr")
    Membership.objects.create(
        user=stranger, tenant=TenantFactory(code="35049", name="Cancale"), role=Role.ADMIN
    )
    client.force_login(stranger)
    assert client.get("/t/35288/demandes/").status_code == 404
    assert client.get("/t/35288/demandes/export/sujets.csv").status_code == 404
