"""Sharing between authorities: population bands, "collectivités like me" limited to the same
kind and band and to those that opted in, anonymity (no name in the page), indicators computed
on each peer's own data, experience notes, an intercommunality's members side by side, the
settings and note forms with their rights, isolation of what is not shared, and the demo."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from pilotis.demo.framework import Territory
from pilotis.demo.generators.maturity import MaturityGenerator
from pilotis.portfolio import maturity, maturity_page, sharing
from pilotis.portfolio.models import ExperienceNote, MaturityAssessment, Project, Sharing
from pilotis.tenants.roles import Role
from tests.requests.test_page import write_requests
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

TODAY = timezone.localdate()


def answers(level: int) -> dict[str, int]:
    return {q.id: level for q in maturity.QUESTIONS}


def share(tenant, **settings) -> Sharing:
    return Sharing.objects.create(tenant=tenant, **settings)


def login(client, tenant, role):
    user = UserFactory(username=f"{role}@{tenant.code}.fr")
    MembershipFactory(tenant=tenant, role=role, user=user)
    client.force_login(user)
    return user


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def url(name, tenant):
    return reverse(f"portfolio:{name}", args=[tenant.code])


@pytest.fixture
def me(db, warehouse):
    return TenantFactory(code="35049", name="Cancale", population=5672)


@pytest.fixture
def world(me):
    """Around Cancale (3,500–10,000): a peer sharing by name, one sharing anonymously, one
    similar that shares nothing, one that never set anything, a larger commune and an EPCI
    of the same population that share."""
    named = TenantFactory(code="35179", name="Miniac-Morvan", population=4408)
    hidden = TenantFactory(code="35299", name="Saint-Méloir-des-Ondes", population=4720)
    silent = TenantFactory(code="35263", name="Saint-Coulomb", population=6000)
    unset = TenantFactory(code="35224", name="Plerguer", population=7000)
    larger = TenantFactory(code="35288", name="Saint-Malo", population=47439)
    epci = TenantFactory(code="200000001", kind="epci", name="CC Voisine", population=8000)
    share(named, maturity=True, anonymous=False, notes=True)
    share(hidden, maturity=True, anonymous=True, notes=True, indicators=["requests.volume"])
    share(silent, maturity=False, notes=False, anonymous=False)
    share(larger, maturity=True, anonymous=False, notes=True)
    share(epci, maturity=True, anonymous=False)
    for tenant, level in ((named, 1), (hidden, 3), (silent, 2), (unset, 2), (larger, 2), (epci, 0)):
        maturity.assess(tenant, answers(level))
    ExperienceNote.objects.create(
        tenant=hidden, title="Portail famille anonyme", worked="Paiement en ligne", cost=15000
    )
    ExperienceNote.objects.create(tenant=silent, title="Note jamais partagée", worked="x")
    ExperienceNote.objects.create(tenant=larger, title="Application de signalement", worked="y")
    return {
        "named": named,
        "hidden": hidden,
        "silent": silent,
        "unset": unset,
        "larger": larger,
        "epci": epci,
    }


# --- bands and peers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "population", "low", "high"),
    [
        ("commune", 398, 0, 1_000),
        ("commune", 3_499, 1_000, 3_500),
        ("commune", 3_500, 3_500, 10_000),
        ("commune", 47_439, 20_000, 50_000),
        ("commune", 250_000, 100_000, None),
        ("epci", 86_484, 50_000, 100_000),
    ],
)
def test_population_bands(kind, population, low, high):
    band = sharing.band_of(TenantFactory.build(kind=kind, population=population))
    assert (band.low, band.high) == (low, high)


def test_band_labels_say_kind_and_range():
    with translation.override("en"):
        assert (
            sharing.band_label(sharing.Band("commune", 10_000, 20_000), "commune")
            == "a commune of 10,000 to 20,000 inhabitants"
        )
        assert sharing.band_label(sharing.Band("epci", 300_000, None), "epci") == (
            "an intercommunality of 300,000 inhabitants or more"
        )
        assert sharing.band_label(None, "commune") == "a commune"
    assert sharing.band_of(TenantFactory.build(population=None)) is None


def test_peers_are_same_kind_same_band_and_opted_in(me, world):
    """Neither the larger commune, nor the EPCI of the same population, nor the similar
    communes that do not share their scores."""
    assert {t.code for t in sharing.similar(me)} == {
        world[k].code for k in ("named", "hidden", "silent", "unset")
    }
    assert {t.code for t in sharing.peers(me)} == {world["named"].code, world["hidden"].code}


def test_position_against_peers_is_median_min_max_of_their_latest(me, world):
    maturity.assess(world["named"], answers(0), on=TODAY - timedelta(days=400))  # older: unused
    own = maturity.assess(me, answers(2))
    positions = sharing.positions(me, own)
    assert [p.dimension.id for p in positions] == [d.id for d in maturity.DIMENSIONS]
    first = positions[0]
    assert (first.own, first.median, first.low, first.high, first.peers) == (67, 66.5, 33, 100, 2)


def test_shared_indicators_are_computed_on_each_peer_own_data(me, world):
    """The anonymous peer shares the volume of its requests: computed on its table only."""
    import pandas as pd

    recent = pd.Timestamp(TODAY - timedelta(days=20), tz="Europe/Paris")
    for tenant, n in ((world["hidden"], 7), (world["silent"], 40), (me, 3)):
        write_requests(
            tenant.code,
            pd.DataFrame(
                {
                    "service_request_id": [f"{tenant.code}-{i}" for i in range(n)],
                    "status": ["open"] * n,
                    "requested_datetime": [recent] * n,
                }
            ),
        )
    table = sharing.shared_indicators(me)
    assert table.slugs == ["requests.volume"]
    assert table.own == ["3"]
    assert [values for _label, values in table.rows] == [["7"]]  # not the silent one's 40
    assert [label for label, _values in table.rows] == [
        sharing.band_label(sharing.Band("commune", 3_500, 10_000), "commune")
    ]


def test_shared_notes_only_from_those_sharing_them_similar_first(me, world):
    found = sharing.shared_notes(me)
    assert [n.note.title for n in found] == [
        "Portail famille anonyme",
        "Application de signalement",
    ]
    assert [n.similar for n in found] == [True, False]
    assert found[1].author == "Saint-Malo"


# --- the page: anonymity and isolation --------------------------------------------------------


def test_page_shows_peers_without_naming_the_anonymous_one(client, me, world):
    login(client, me, Role.ELECTED)
    response = client.get(url("sharing", me))
    assert response.status_code == 200
    body = text(response)
    assert "Miniac-Morvan" in body  # shares under its name
    assert "Portail famille anonyme" in body and "15" in body
    hidden = world["hidden"]
    assert hidden.name not in body and "Méloir" not in body and hidden.code not in body


def test_nothing_of_a_tenant_that_does_not_share_reaches_the_others(client, me, world):
    silent = world["silent"]
    login(client, me, Role.ADMIN)
    body = text(client.get(url("sharing", me)))
    assert silent.name not in body and "Note jamais partagée" not in body
    assert world["unset"].name not in body
    assert "CC Voisine" not in body and "Saint-Malo" in body  # a note, not a peer
    # The maturity page's median counts the two peers only.
    maturity.assess(me, answers(2))
    report = maturity_page.build(me)
    assert report.peers == 2 and report.rows[0].position.median == 66.5
    # And the other tenant's pages themselves: 404.
    for name in ("sharing", "maturity", "maturity-pdf", "maturity-xlsx"):
        assert client.get(url(name, silent)).status_code == 404, name


def test_anonymous_tenant_sees_itself_as_others_see_it(client, world):
    hidden = world["hidden"]
    login(client, hidden, Role.ADMIN)
    with translation.override("en"):
        body = text(client.get(url("sharing", hidden), HTTP_ACCEPT_LANGUAGE="en"))
    assert "a commune of 3,500 to 10,000 inhabitants" in body


# --- an intercommunality's members ------------------------------------------------------------


def test_intercommunality_sees_members_sharing_with_it_side_by_side(client, db, warehouse):
    epci = TenantFactory(code="200000002", kind="epci", name="CA Test", population=90_000)
    open_member = TenantFactory(code="35001", name="Commune Ouverte", parent=epci)
    closed_member = TenantFactory(
        code="35002", name="Commune Fermée", parent=epci, shares_with_parent=False
    )
    maturity.assess(open_member, answers(3))  # no opt-in needed: it shares with its EPCI
    maturity.assess(closed_member, answers(3))
    share(closed_member, maturity=True, anonymous=True)
    rows, hidden = sharing.members_side_by_side(epci)
    assert [r.tenant.name for r in rows] == ["Commune Ouverte"] and hidden == 1
    assert rows[0].ordered == [100] * 6 and rows[0].overall == 100
    login(client, epci, Role.ELECTED)
    body = text(client.get(url("sharing", epci)))
    assert "Commune Ouverte" in body and "Commune Fermée" not in body
    assert sharing.members_side_by_side(open_member) == ([], 0)


# --- the forms and their rights ---------------------------------------------------------------


def test_admin_changes_sharing_settings(client, me):
    login(client, me, Role.ADMIN)
    response = client.post(
        url("sharing-settings", me),
        {"maturity": "on", "indicators": ["requests.volume", "requests.close_median"]},
    )
    assert response.status_code == 302
    setting = Sharing.objects.get(tenant=me)
    assert setting.maturity and not setting.notes and not setting.anonymous
    assert setting.indicators == ["requests.volume", "requests.close_median"]
    response = client.post(url("sharing-settings", me), {"indicators": ["not.a.metric"]})
    assert response.status_code == 400
    assert Sharing.objects.get(tenant=me).indicators == ["requests.volume", "requests.close_median"]


@pytest.mark.parametrize("role", [Role.ELECTED, Role.ANALYST, Role.STEWARD])
def test_only_admins_change_sharing_settings(client, me, role):
    login(client, me, role)
    assert client.post(url("sharing-settings", me), {"maturity": "on"}).status_code == 403
    assert not Sharing.objects.filter(tenant=me).exists()


def test_analyst_writes_and_deletes_own_notes_only(client, me, world):
    login(client, me, Role.ANALYST)
    foreign = Project.objects.create(
        tenant=world["named"], number="P1", title="Projet d'ailleurs", status="idee"
    )
    own = Project.objects.create(tenant=me, number="P1", title="Portail", status="en_cours")
    data = {"title": "Wi-Fi public", "worked": "l'été", "failed": "l'hiver", "cost": "9000,50"}
    assert client.post(url("sharing-note", me), {**data, "project": foreign.pk}).status_code == 400
    assert not ExperienceNote.objects.filter(tenant=me).exists()
    assert client.post(url("sharing-note", me), {**data, "project": own.pk}).status_code == 302
    note = ExperienceNote.objects.get(tenant=me)
    assert note.project == own and note.cost == Decimal("9000.50")
    others = ExperienceNote.objects.get(tenant=world["hidden"])
    client.post(url("sharing-note-delete", me), {"note": others.pk})
    assert ExperienceNote.objects.filter(pk=others.pk).exists()
    client.post(url("sharing-note-delete", me), {"note": note.pk})
    assert not ExperienceNote.objects.filter(pk=note.pk).exists()


def test_elected_officials_read_but_write_no_note(client, me):
    login(client, me, Role.ELECTED)
    assert client.post(url("sharing-note", me), {"title": "x"}).status_code == 403
    assert url("sharing-note", me) not in text(client.get(url("sharing", me)))


# --- the demo ---------------------------------------------------------------------------------


def test_demo_gives_each_tenant_assessments_sharing_and_notes_idempotently(db, warehouse, tmp_path):
    epci = TenantFactory(code="243500782", kind="epci", name="Agglo", population=86484)
    communes = [
        TenantFactory(code=code, name=name, population=population, parent=epci)
        for code, name, population in (
            ("35288", "Saint-Malo", 47439),
            ("35049", "Cancale", 5672),
            ("35263", "Saint-Coulomb", 2969),
            ("35153", "Lillemer", 398),
        )
    ]
    territory = Territory(epci=epci, communes=communes, folder=tmp_path)
    generator = MaturityGenerator()
    assert generator.write(territory) == []
    summary = generator.load(territory, [])
    counts = (MaturityAssessment.objects.count(), Sharing.objects.count())
    notes = ExperienceNote.objects.count()
    for tenant in territory.tenants():
        found = maturity.history(tenant)
        assert 2 <= len(found) <= 3
        assert found[-1].assessed_on == TODAY
        assert found[0].assessed_on >= TODAY - timedelta(days=2 * 365)
        assert all(set(a.scores) == {d.id for d in maturity.DIMENSIONS} for a in found)
    assert Sharing.objects.get(tenant=communes[0]).anonymous is False
    assert notes >= 3
    assert generator.load(territory, []) == summary
    assert (MaturityAssessment.objects.count(), Sharing.objects.count()) == counts
    assert ExperienceNote.objects.count() == notes
    # A user's own assessment survives a new run of the demo.
    user = UserFactory()
    maturity.assess(epci, answers(1), user, on=date(2025, 1, 1))
    generator.load(territory, [])
    assert MaturityAssessment.objects.filter(tenant=epci, created_by=user).exists()
