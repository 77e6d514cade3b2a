"""The home dashboard's figures are the registry's, over the periods the headlines declare; the
status follows the target; the summary tells what changed; members sit side by side; a new
load changes the board."""

from __future__ import annotations

from datetime import date

import pytest

from pilotis.home import board
from pilotis.home.models import Target
from pilotis.metrics import periods, registry
from tests.home.conftest import TODAY
from tests.requests.test_page import write_requests


def evaluate(slug: str, codes: tuple[str, ...], kind: str, anchor: date):
    start, end = periods.period(kind, anchor)
    query = registry.Query(codes, start, end, as_of=board.as_of(anchor))
    return registry.total(registry.evaluate(slug, query))


@pytest.mark.django_db
def test_cards_show_the_registry_figures_now_a_month_and_a_year_before(territory):
    epci, a, b = territory
    built = board.build(epci, today=TODAY)
    codes = (epci.code, b.code, a.code)
    cards = {c.metric: c for c in built.cards}
    assert set(cards) >= {"requests.volume", "requests.close_median", "requests.on_time_rate"}
    for card in cards.values():
        kind = registry.HEADLINES[card.metric].period
        # the fixture's last requests are in March 2025: the anchor is the end of February
        assert card.anchor == date(2025, 2, 28)
        assert card.value == evaluate(card.metric, codes, kind, card.anchor)
        assert card.last_month == evaluate(card.metric, codes, kind, date(2025, 1, 31))
        assert card.year_before == evaluate(card.metric, codes, kind, date(2024, 2, 29))
    volume = cards["requests.volume"]
    assert (volume.start, volume.end) == (date(2024, 3, 1), date(2025, 2, 28))
    assert volume.url == f"/t/{epci.code}/demandes/"
    assert cards["requests.backlog"].start == cards["requests.backlog"].end == date(2025, 2, 28)


@pytest.mark.django_db
def test_the_status_follows_the_target_and_its_direction(territory):
    epci = territory[0]
    median = {c.metric: c for c in board.build(epci, today=TODAY).cards}["requests.close_median"]
    assert median.value is not None and median.higher_is_better is False
    Target.objects.create(tenant=epci, metric="requests.close_median", value=median.value * 0.5)
    off = {c.metric: c for c in board.build(epci, today=TODAY).cards}["requests.close_median"]
    assert off.status == "off" and off.target == pytest.approx(median.value * 0.5)
    assert any("target" in line or "objectif" in line for line in board.summary_of([off]))
    Target.objects.filter(tenant=epci).update(value=median.value * 0.95)
    watch = {c.metric: c for c in board.build(epci, today=TODAY).cards}["requests.close_median"]
    assert watch.status == "watch"
    Target.objects.filter(tenant=epci).update(value=median.value * 2)
    good = {c.metric: c for c in board.build(epci, today=TODAY).cards}["requests.close_median"]
    assert good.status == "good"


def test_status_and_changes_on_hand_made_figures():
    assert board.status_of(12, 10, higher_is_better=False) == "off"
    assert board.status_of(10.5, 10, higher_is_better=False) == "watch"
    assert board.status_of(9, 10, higher_is_better=False) == "good"
    assert board.status_of(0.85, 0.8, higher_is_better=True) == "good"
    assert board.status_of(0.75, 0.8, higher_is_better=True) == "watch"
    assert board.status_of(0.5, 0.8, higher_is_better=True) == "off"
    assert board.status_of(5, None, higher_is_better=True) == "none"
    assert board.status_of(None, 3, higher_is_better=True) == "none"
    assert board.relative(110, 100) == pytest.approx(0.1)
    assert board.relative(5, 0) is None


def _card(**values):
    base = dict(
        metric="x.y",
        domain="x",
        label="Délai",
        description="",
        unit="days",
        sources=[],
        url="",
        anchor=date(2025, 2, 28),
        start=date(2024, 3, 1),
        end=date(2025, 2, 28),
        period_label="",
        value=12.0,
        last_month=10.0,
        year_before=None,
        target=None,
        higher_is_better=False,
        status="none",
        shown="12,0 jours",
        shown_last_month="10,0 jours",
    )
    base.update(values)
    card = board.Card(**base)
    card.change_month = board.relative(card.value, card.last_month)
    return card


def test_the_summary_puts_the_largest_change_first_and_says_better_or_worse():
    worse = _card(label="Délai", value=12.0, last_month=10.0)  # +20 %, lower is better
    better = _card(
        label="En ligne",
        value=0.55,
        last_month=0.5,
        higher_is_better=True,
        shown="55 %",
        shown_last_month="50 %",
    )  # +10 %
    steady = _card(label="Stable", value=100, last_month=101)
    lines = board.summary_of([better, steady, worse])
    assert lines[0].startswith("Délai") and "12,0 jours" in lines[0] and "10,0 jours" in lines[0]
    assert "worse" in lines[0] or "dégradation" in lines[0] or "moins bien" in lines[0]
    assert lines[1].startswith("En ligne")
    assert "Stable" in lines[2] and "Délai" not in lines[2]


@pytest.mark.django_db
def test_members_sit_side_by_side_per_inhabitant(territory):
    epci, a, b = territory
    built = board.build(epci, today=TODAY)
    assert [m.code for m in built.members] == [b.code, a.code]  # by name: Cancale, Saint-Malo
    volume = next(c for c in built.columns if c.metric == "requests.volume")
    assert volume.per_inhabitant and volume.unit == "per_thousand"
    card = next(c for c in built.cards if c.metric == "requests.volume")
    for member in built.members:
        raw = evaluate("requests.volume", (member.code,), "rolling_year", card.anchor)
        assert member.values["requests.volume"] == pytest.approx(1000 * raw / member.population)
        median = evaluate("requests.close_median", (member.code,), "rolling_year", card.anchor)
        assert member.values["requests.close_median"] == median  # a delay is not divided
    # a member's own board has no members
    assert board.build(a, today=TODAY).members == []


@pytest.mark.django_db
def test_a_member_without_data_of_a_domain_shows_unknown_not_zero(territory):
    from tests.tenants.factories import TenantFactory

    epci, a, b = territory
    TenantFactory(code="35132", name="Hirel", parent=epci, population=1500)  # loaded nothing
    built = board.build(epci, today=TODAY)
    hirel = next(m for m in built.members if m.code == "35132")
    assert set(hirel.values) == {c.metric for c in built.cards}
    assert all(value is None for value in hirel.values.values())
    assert set(hirel.shown.values()) == {"—"}
    loaded = next(m for m in built.members if m.code == a.code)
    assert loaded.values["requests.volume"] > 0


@pytest.mark.django_db
def test_a_member_that_does_not_share_is_left_out(territory):
    epci, a, b = territory
    b.shares_with_parent = False
    b.save()
    built = board.build(epci, today=TODAY)
    assert [m.code for m in built.members] == [a.code]


@pytest.mark.django_db
def test_a_new_load_changes_the_cached_board(territory, requests_rows):
    epci, a, b = territory
    before = {c.metric: c.value for c in board.build(epci, today=TODAY).cards}
    write_requests(b.code, requests_rows.iloc[1::4], mode="overwrite")  # a new, smaller version
    after = {c.metric: c.value for c in board.build(epci, today=TODAY).cards}
    assert after["requests.volume"] < before["requests.volume"]


@pytest.mark.django_db
def test_a_tenant_without_data_has_an_empty_board(db, warehouse):
    from tests.tenants.factories import TenantFactory

    built = board.build(TenantFactory(code="35001", name="Vide"), today=TODAY)
    assert built.domains == [] and built.members == []


@pytest.mark.django_db
def test_the_board_is_shared_between_processes_through_redis(territory, settings):
    """With PILOTIS_REDIS_URL every serving process reads the board another one computed."""
    import uuid

    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"pilotis-test-{uuid.uuid4()}",
        }
    }
    epci = territory[0]
    built = board.build(epci, today=TODAY)
    key = board._key(epci, board.data_scope(epci), TODAY)
    stored = cache.get(key)  # what another process would read, unpickled from Redis
    assert stored is not None and [c.value for c in stored.cards] == [c.value for c in built.cards]
    cache.delete(key)
