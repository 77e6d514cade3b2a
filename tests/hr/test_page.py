"""The HR page through Django's test client: aggregates only, small groups withheld, downloads,
rights and tenant isolation."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from pilotis.hr import data as hr_data
from pilotis.hr import page
from pilotis.tenants.roles import Role
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory


def login(client, tenant, role):
    user = UserFactory(username=f"{role}@{tenant.code}.fr")
    MembershipFactory(tenant=tenant, role=role, user=user)
    client.force_login(user)
    return user


def body(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_page_shows_aggregates_and_charts(client, small_staff):
    """An elected official reads the figures and every chart; no agent pseudonym is shown."""
    tenant, _runs = small_staff
    login(client, tenant, Role.ELECTED)
    response = client.get(reverse("hr:index", args=[tenant.code]), {"start": "2025-01-01"})
    assert response.status_code == 200
    text = body(response)
    for slug in ("pyramide", "etp-services", "volume", "absences", "mouvements", "formation"):
        assert f'data-chart="{slug}"' in text
    assert not re.search(r"p-[0-9a-f]{16}", text)
    assert "M001" not in text and "LE GALL" not in text
    assert "Services techniques" in text


def test_small_groups_are_withheld_on_the_page(small_staff):
    """CULT has 2 agents: it is grouped with the other small services; the pyramid's cells of
    fewer than five agents read so and are left out of the chart."""
    tenant, _runs = small_staff
    data = hr_data.load((tenant.code,))
    built = page.build(data, None)
    assert built is not None
    charts = {c.slug: c for c in built.charts}
    services = [row[0] for row in charts["etp-services"].rows]
    assert "Culture" not in services
    assert any("fewer than 5" in str(label) or "moins de 5" in str(label) for label in services)
    pyramid = charts["pyramide"]
    assert all(v["count"] >= 5 for v in pyramid.spec["data"]["values"])
    assert any("5" in str(cell) for row in pyramid.rows for cell in row[1:])
    assert built.facts["headcount"] == 8


def test_downloads_open_in_french_excel(client, small_staff):
    tenant, _runs = small_staff
    login(client, tenant, Role.ANALYST)
    csv = client.get(reverse("hr:export-csv", args=[tenant.code, "volume"]))
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert ";" in lines[0] and any(";7,8" in line for line in lines[1:])
    xlsx = client.get(reverse("hr:export-xlsx", args=[tenant.code, "absences"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row >= 2
    assert client.get(reverse("hr:export-csv", args=[tenant.code, "nope"])).status_code == 404


def test_empty_state_without_data(client, db, warehouse):
    tenant = TenantFactory(code="35049", name="Cancale")
    login(client, tenant, Role.ELECTED)
    response = client.get(reverse("hr:index", args=[tenant.code]))
    assert response.status_code == 200
    assert "empty-state" in response.content.decode()
    assert client.get(reverse("hr:export-csv", args=[tenant.code, "volume"])).status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANALYST, Role.ELECTED])
def test_other_tenant_sees_nothing(client, small_staff, role):
    """A member of another tenant gets 404 on the HR page and its downloads."""
    tenant, _runs = small_staff
    other = TenantFactory(code="35049", name="Cancale")
    login(client, other, role)
    assert client.get(reverse("hr:index", args=[tenant.code])).status_code == 404
    url = reverse("hr:export-csv", args=[tenant.code, "volume"])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_login(client, small_staff):
    tenant, _runs = small_staff
    response = client.get(reverse("hr:index", args=[tenant.code]))
    assert response.status_code == 302 and "/connexion/" in response["Location"]
