"""The parking pages through Django's test client, on the small town written to the warehouse:
figures and charts, exports that French Excel opens, the what-if form, saved scenarios, rights
and tenant isolation."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from pilotis.parking.models import Scenario
from pilotis.tenants.roles import Role
from tests.parking.conftest import town, write_town
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture(scope="module")
def small():
    return town(days=60)


@pytest.fixture
def saint_malo(db, warehouse, small):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    write_town(tenant.code, small)
    return tenant


def login(client, tenant, role):
    user = UserFactory(username=f"{role}@{tenant.code}.fr")
    MembershipFactory(tenant=tenant, role=role, user=user)
    client.force_login(user)
    return user


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_page_answers_in_french_with_charts(client, saint_malo, small):
    login(client, saint_malo, Role.ELECTED)
    response = client.get(
        reverse("parking:index", args=[saint_malo.code]), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200
    body = text(response)
    assert "Combien rapporte le stationnement" in body
    for slug in ("occupation-weekday", "recettes", "recettes-occupation", "zones"):
        assert f'data-chart="{slug}"' in body
    revenue = round(small.payments["amount"].sum())
    shown = f"{revenue:,}".replace(",", "\u202f")
    assert shown in response.content.decode() or f"{revenue:,}".replace(",", "\xa0") in (
        response.content.decode()
    )


def test_exports_open_in_french_excel(client, saint_malo, small):
    login(client, saint_malo, Role.ANALYST)
    csv = client.get(reverse("parking:export-csv", args=[saint_malo.code, "zones"]))
    assert csv.status_code == 200
    content = csv.content.decode("utf-8-sig")
    header, first = content.splitlines()[:2]
    assert header.startswith("Zone;")
    assert ";" in first and "," in first  # decimal commas
    xlsx = client.get(reverse("parking:export-xlsx", args=[saint_malo.code, "zones"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    names = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert {"Zone A", "Zone B"} <= names
    revenue = sum(row[3].value for row in sheet.iter_rows(min_row=2) if row[3].value)
    assert revenue == pytest.approx(small.payments["amount"].sum(), abs=1)
    assert (
        client.get(reverse("parking:export-csv", args=[saint_malo.code, "nope"])).status_code == 404
    )


def test_what_if_predicts_and_the_optimiser_explains(client, saint_malo):
    login(client, saint_malo, Role.ELECTED)
    url = reverse("parking:simulation", args=[saint_malo.code])
    response = client.get(
        url, {"add_rate": "0.50", "add_rate_kind": "hyper_centre"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200
    body = text(response)
    assert "Proposition de l’optimiseur" in body or "optimiseur" in body
    assert "Règle de SFpark" in body or "SFpark" in body
    result = response.context["result"]
    totals = result.prediction.totals
    assert totals["revenue_predicted"] > totals["revenue_today"]
    assert totals["occupancy_predicted"] < totals["occupancy_today"]
    assert result.explanation and "€" in result.explanation[0]
    exported = client.get(
        reverse("parking:simulation-export-csv", args=[saint_malo.code, "prevision-zones"]),
        {"add_rate": "0.50", "add_rate_kind": "hyper_centre"},
    )
    assert exported.status_code == 200 and "Zone A" in exported.content.decode("utf-8-sig")


def test_a_fine_above_the_maximum_stay_price_is_refused_clearly(client, saint_malo):
    login(client, saint_malo, Role.ANALYST)
    url = reverse("parking:simulation", args=[saint_malo.code])
    response = client.get(url, {"fps": "99"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "durée maximale" in text(response)


def test_grid_prices_by_zone_and_band(client, saint_malo):
    login(client, saint_malo, Role.ANALYST)
    url = reverse("parking:simulation", args=[saint_malo.code])
    response = client.get(url, {"rate__A__9": "3.00"})
    prediction = response.context["result"].prediction
    cells = prediction.cells
    morning = cells[
        (cells["zone"] == "A") & cells["hour"].isin([9, 10, 11]) & (cells["price_today"] > 0)
    ]
    assert (morning["price"] == 3.0).all()
    afternoon = cells[(cells["zone"] == "A") & (cells["hour"] == 15) & (cells["price_today"] > 0)]
    assert (afternoon["price"] == afternoon["price_today"]).all()


def test_an_analyst_saves_scenarios_an_elected_official_cannot(client, saint_malo):
    url = reverse("parking:simulation", args=[saint_malo.code])
    login(client, saint_malo, Role.ANALYST)
    response = client.post(url, {"free_from": "18", "name": "Soirées gratuites"})
    assert response.status_code == 302
    scenario = Scenario.objects.get(tenant=saint_malo)
    assert scenario.name == "Soirées gratuites"
    assert scenario.policy["changes"][0]["action"] == "free_from"
    assert scenario.totals["revenue_predicted"] < scenario.totals["revenue_today"]
    page = client.get(url)
    assert "Soirées gratuites" in text(page)
    client.logout()
    login(client, saint_malo, Role.ELECTED)
    assert client.post(url, {"free_from": "18", "name": "x"}).status_code == 403
    assert Scenario.objects.count() == 1


def test_scenarios_stay_in_their_tenant(client, saint_malo, warehouse):
    other = TenantFactory(code="35049", name="Cancale")
    Scenario.objects.create(tenant=saint_malo, name="Secret malouin", totals={}, policy={})
    login(client, other, Role.ADMIN)
    # Cancale has no parking data: the honest empty state, and nothing of Saint-Malo's.
    response = client.get(reverse("parking:simulation", args=[other.code]))
    assert response.status_code == 200
    assert "Secret malouin" not in text(response)
    assert client.get(reverse("parking:simulation", args=[saint_malo.code])).status_code == 404
    empty = client.get(reverse("parking:index", args=[other.code]), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Aucune donnée de stationnement" in text(empty)


def test_the_optimiser_aims_are_the_users(client, saint_malo):
    login(client, saint_malo, Role.ANALYST)
    url = reverse("parking:simulation", args=[saint_malo.code])
    default = client.get(url).context["result"].proposal
    assert default.floor == 0.95
    other = client.get(
        url, {"target_low": "30", "target_high": "50", "floor": "80", "step": "0.25"}
    )
    proposal = other.context["result"].proposal
    assert proposal.floor == 0.80 and other.context["result"].base.target == (0.30, 0.50)
    assert all(
        round(p / 0.25, 6) == int(round(p / 0.25)) or p == g.rate
        for g in proposal.groups
        for p in [proposal.rates[(g.zone, g.start)]]
    )
    assert proposal.rates != default.rates
    refused = client.get(url, {"target_low": "80", "target_high": "60"})
    assert "target band must end above" in text(refused) or "fourchette" in text(refused)
