"""The finance page through Django's test client on the demo territory: the answers in French,
the charts, the downloads, rights and other tenants."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from pilotis.tenants.roles import Role
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory


def login(client, tenant, role):
    user = UserFactory(username=f"{role}@{tenant.code}.fr")
    MembershipFactory(tenant=tenant, role=role, user=user)
    client.force_login(user)
    return user


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_page_answers_in_french_with_charts(client, loaded):
    malo = loaded.runs[-2].tenant
    login(client, malo, Role.ELECTED)
    response = client.get(reverse("finance:index", args=[malo.code]), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    body = text(response)
    for slug in ("sections", "chapitres", "comparaison", "fonctions", "annees"):
        assert f'data-chart="{slug}"' in body, slug
    assert "Charges de personnel et frais assimilés" in body
    # The comparison with peers names its ratios in French too.
    assert "Staff costs" not in body and "Equipment spending" not in body
    assert "Charges de personnel : " in body  # (no-break spaces read as spaces here)
    assert "Exercise 2026" in body or "Exercice 2026" in body
    closed = client.get(reverse("finance:index", args=[malo.code]), {"exercise": "2023"})
    assert closed.status_code == 200 and "2023" in text(closed)
    # The downloads open in French Excel.
    csv = client.get(reverse("finance:export-csv", args=[malo.code, "chapitres"]))
    assert csv.status_code == 200
    header, first = csv.content.decode("utf-8-sig").splitlines()[:2]
    assert header.count(";") == 5 and first.startswith("011")
    xlsx = client.get(reverse("finance:export-xlsx", args=[malo.code, "fonctions"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    years = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert {2022, 2023, 2024, 2025} <= years
    assert client.get(reverse("finance:export-csv", args=[malo.code, "nope"])).status_code == 404


def test_the_agglomeration_compares_its_members(client, loaded):
    epci = loaded.runs[0].tenant
    login(client, epci, Role.ADMIN)
    body = text(client.get(reverse("finance:index", args=[epci.code])))
    assert 'data-chart="membres"' in body and "Cancale" in body


@pytest.mark.django_db
def test_without_data_the_page_says_what_to_load(client, warehouse):
    tenant = TenantFactory(code="35111", name="Vide")
    login(client, tenant, Role.ELECTED)
    response = client.get(reverse("finance:index", args=[tenant.code]))
    assert response.status_code == 200 and "empty-state" in response.content.decode()
    export = client.get(reverse("finance:export-csv", args=[tenant.code, "sections"]))
    assert export.status_code == 200


@pytest.mark.django_db
def test_someone_elses_tenant_sees_nothing(client, warehouse):
    TenantFactory(code="35288", name="Saint-Malo")
    stranger = TenantFactory(code="29019", name="Brest")
    login(client, stranger, Role.ADMIN)
    assert client.get(reverse("finance:index", args=["35288"])).status_code == 404
    assert client.get(reverse("finance:export-csv", args=["35288", "sections"])).status_code == 404
