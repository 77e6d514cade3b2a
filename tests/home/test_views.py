"""The home dashboard's pages through the real views: what each role sees and may change."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from pilotis.audit.models import AuditEvent
from pilotis.home.models import ReportSubscription, Target


@pytest.mark.django_db
def test_the_mayor_reads_cards_summary_and_members(client, territory, mayor):
    epci = territory[0]
    client.force_login(mayor)
    page = client.get(f"/t/{epci.code}/tableau-de-bord/")
    assert page.status_code == 200
    board = page.context["board"]
    html = page.content.decode()
    for card in board.cards:
        assert f'id="card-{card.metric.replace(".", "")}"' in html
        assert card.shown.replace(" ", "&nbsp;") in html or card.shown in html
    assert "Cancale" in html and "Saint-Malo" in html
    assert board.summary and board.summary[0].split(":")[0] in html
    assert "/objectifs/" not in html  # an elected official reads, does not set targets
    assert client.get(f"/t/{epci.code}/tableau-de-bord/objectifs/").status_code == 403


@pytest.mark.django_db
def test_the_members_chart_follows_the_chosen_indicator_and_downloads(client, territory, mayor):
    epci = territory[0]
    client.force_login(mayor)
    page = client.get(f"/t/{epci.code}/tableau-de-bord/?indicateur=requests.close_median")
    assert page.context["chosen"] == "requests.close_median"
    xlsx = client.get(
        f"/t/{epci.code}/tableau-de-bord/export/membres.xlsx?indicateur=requests.close_median"
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    names = {sheet.cell(r, 1).value for r in (2, 3)}
    assert names == {"Cancale", "Saint-Malo"}
    assert client.get(f"/t/{epci.code}/tableau-de-bord/export/autre.csv").status_code == 404


@pytest.mark.django_db
def test_an_analyst_sets_a_target_in_percent_and_the_card_turns(client, territory, analyst):
    epci = territory[0]
    client.force_login(analyst)
    form = client.get(f"/t/{epci.code}/tableau-de-bord/objectifs/")
    assert form.status_code == 200
    bad = client.post(f"/t/{epci.code}/tableau-de-bord/objectifs/", {"requests.on_time_rate": "-5"})
    assert bad.status_code == 200 and bad.context["form"].errors
    done = client.post(
        f"/t/{epci.code}/tableau-de-bord/objectifs/",
        {"requests.on_time_rate": "99", "requests.close_median": ""},
    )
    assert done.status_code == 302
    assert Target.objects.get(tenant=epci, metric="requests.on_time_rate").value == pytest.approx(
        0.99
    )
    assert not Target.objects.filter(metric="requests.close_median").exists()
    card = next(
        c
        for c in client.get(f"/t/{epci.code}/tableau-de-bord/").context["board"].cards
        if c.metric == "requests.on_time_rate"
    )
    assert card.target == pytest.approx(0.99) and card.status in ("off", "watch")
    event = AuditEvent.objects.filter(tenant=epci).latest("at")
    assert event.details["operation"] == "home.targets"


@pytest.mark.django_db
def test_subscribing_and_downloading_the_report(client, territory, mayor):
    epci = territory[0]
    client.force_login(mayor)
    assert client.get(f"/t/{epci.code}/tableau-de-bord/rapport/").status_code == 200
    client.post(f"/t/{epci.code}/tableau-de-bord/rapport/abonnement/", {"action": "subscribe"})
    assert ReportSubscription.objects.filter(tenant=epci, user=mayor).exists()
    client.post(f"/t/{epci.code}/tableau-de-bord/rapport/abonnement/", {"action": "unsubscribe"})
    assert not ReportSubscription.objects.filter(tenant=epci, user=mayor).exists()
    pdf = client.get(f"/t/{epci.code}/tableau-de-bord/rapport/rapport.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/t/{epci.code}/tableau-de-bord/rapport/rapport.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames


@pytest.mark.django_db
def test_a_member_mayor_cannot_open_the_intercommunality_board(client, territory):
    from pilotis.tenants.models import Membership
    from pilotis.tenants.roles import Role
    from tests.tenants.factories import UserFactory

    epci, a, _b = territory
    user = UserFactory()
    Membership.objects.create(user=user, tenant=a, role=Role.ELECTED)
    client.force_login(user)
    assert client.get(f"/t/{a.code}/tableau-de-bord/").status_code == 200
    assert client.get(f"/t/{epci.code}/tableau-de-bord/").status_code == 404
