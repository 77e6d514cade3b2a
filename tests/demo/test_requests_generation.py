"""The demo's citizen requests, as generated (no database): the full territory of 150,000
requests, checked for what dashboards will show — seasons, the storm, growth, channels, delays
and the data traps — each against counts computed here from the requests themselves."""

import json
import random
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pilotis.demo.framework import DEMO_SEED
from pilotis.demo.generators import requests_common as rc
from pilotis.demo.generators.requests_log import HEADER, log_export
from pilotis.demo.generators.requests_mobile import mobile_export, number_mobile_requests
from pilotis.demo.generators.requests_webform import webform_export

PARIS = ZoneInfo("Europe/Paris")
# The CA du Pays de Saint-Malo Agglomération's communes (INSEE code, name, population, postal
# code), as the official referential gives them.
COMMUNES = [
    rc.CommuneSpec(*c)
    for c in (
        ("35049", "Cancale", 5672, "35260"),
        ("35070", "Châteauneuf-d'Ille-et-Vilaine", 1664, "35430"),
        ("35116", "La Fresnais", 2509, "35111"),
        ("35122", "La Gouesnière", 2021, "35350"),
        ("35132", "Hirel", 1382, "35120"),
        ("35153", "Lillemer", 398, "35111"),
        ("35179", "Miniac-Morvan", 4408, "35540"),
        ("35224", "Plerguer", 2895, "35540"),
        ("35255", "Saint-Benoît-des-Ondes", 975, "35114"),
        ("35263", "Saint-Coulomb", 2969, "35350"),
        ("35279", "Saint-Guinoux", 1285, "35430"),
        ("35284", "Saint-Jouan-des-Guérets", 2847, "35430"),
        ("35288", "Saint-Malo", 47439, "35400"),
        ("35299", "Saint-Méloir-des-Ondes", 4720, "35350"),
        ("35306", "Saint-Père-Marc-en-Poulet", 2440, "35430"),
        ("35314", "Saint-Suliac", 1018, "35430"),
        ("35358", "La Ville-ès-Nonais", 1233, "35430"),
        ("35362", "Le Tronchet", 1202, "35540"),
    )
]
FULL = 150_000


@pytest.fixture(scope="module")
def requests():
    return rc.generate(COMMUNES, DEMO_SEED, total=FULL).requests


def paris(epoch):
    return datetime.fromtimestamp(epoch, PARIS)


def month_of(r):
    return paris(r.requested).month


def share(items, predicate):
    items = list(items)
    return sum(1 for i in items if predicate(i)) / len(items)


def test_paris_time_arithmetic_agrees_with_zoneinfo():
    rng = random.Random(1)
    start = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
    for _ in range(20_000):
        epoch = start + rng.randrange(5 * 365 * 86400)
        moment = paris(epoch)
        assert rc.local(epoch) == moment.replace(tzinfo=None)
        assert rc.iso(epoch) == moment.isoformat()
        assert rc.french(epoch) == moment.strftime("%d/%m/%Y %H:%M")
        if moment.hour != 2:  # the hour that exists twice in October is read as the second
            assert rc.to_epoch(moment.replace(tzinfo=None)) == epoch
    # Around the changes of 2025: 30 March (02:00 → 03:00) and 26 October (03:00 → 02:00).
    assert rc.iso(int(datetime(2025, 3, 30, 0, 59, tzinfo=UTC).timestamp())).endswith("+01:00")
    assert rc.iso(int(datetime(2025, 3, 30, 1, 0, tzinfo=UTC).timestamp())).endswith("+02:00")
    assert rc.iso(int(datetime(2025, 10, 26, 1, 0, tzinfo=UTC).timestamp())).endswith("+01:00")
    assert rc.public_holidays(2025) >= {date(2025, 4, 21), date(2025, 5, 29), date(2025, 6, 9)}


def test_volumes_sources_and_period(requests):
    assert len(requests) == FULL
    first = int(datetime.combine(rc.START_DATE, datetime.min.time(), PARIS).timestamp())
    assert all(first <= r.requested < rc.END_OF_REFERENCE for r in requests)
    assert rc.START_DATE == date(2023, 11, 1) and rc.REFERENCE_DATE == date(2026, 10, 31)
    sources = Counter(r.source for r in requests)
    assert 0.33 < sources["log"] / FULL < 0.45
    assert 0.30 < sources["web"] / FULL < 0.42
    assert 0.20 < sources["mobile"] / FULL < 0.30
    # Channels shift from the phone to the app.
    year = 365 * 86400
    early = [r for r in requests if r.requested < first + year]
    late = [r for r in requests if r.requested >= rc.END_OF_REFERENCE - year]
    assert share(late, lambda r: r.channel == "mobile") > 1.4 * share(
        early, lambda r: r.channel == "mobile"
    )
    assert share(late, lambda r: r.channel == "phone") < share(
        early, lambda r: r.channel == "phone"
    )
    # A gentle growth: +6 % a year, compounded over the two years between the first and last.
    assert 1.08 < len(late) / len(early) < 1.18


def test_spread_over_the_communes_by_population(requests):
    counts = Counter(r.commune.code for r in requests)
    assert set(counts) == {c.code for c in COMMUNES}
    assert 0.58 < counts["35288"] / FULL < 0.72  # mostly Saint-Malo
    others = [c for c in COMMUNES if c.code != "35288"]
    per_inhabitant = sum(counts[c.code] for c in others) / sum(c.population for c in others)
    for commune in others:
        ratio = counts[commune.code] / (commune.population * per_inhabitant)
        assert 0.8 < ratio < 1.3, commune.name


def test_category_seasons(requests):
    by_month = Counter(month_of(r) for r in requests)
    green = Counter(month_of(r) for r in requests if r.category == "ESPACES-VERTS")
    light = Counter(month_of(r) for r in requests if r.category == "ECLAIRAGE")

    def months_share(counter, months):
        return sum(counter[m] for m in months) / sum(by_month[m] for m in months)

    assert months_share(green, (5, 6, 7)) > 2.5 * months_share(green, (11, 12, 1))
    assert months_share(light, (12, 1)) > 1.8 * months_share(light, (6, 7))
    leaves = [month_of(r) for r in requests if r.topic.motif == "Feuilles mortes"]
    assert len(leaves) > 500 and share(leaves, lambda m: m in (10, 11, 12)) > 0.85
    ice = [month_of(r) for r in requests if r.topic.motif == "Verglas, neige"]
    assert len(ice) > 300 and all(m in (11, 12, 1, 2, 3) for m in ice)
    potholes = Counter(month_of(r) for r in requests if r.topic.motif == "Nid de poule")
    assert potholes[2] + potholes[3] > 1.8 * (potholes[7] + potholes[8])
    # Noise at night, in summer: reported between 22:00 and 03:00 on the web and the app.
    nights = [
        r
        for r in requests
        if r.category == "BRUIT" and r.channel in ("web", "mobile") and r.topic.nights
    ]
    at_night = [r for r in nights if paris(r.requested).hour in (22, 23, 0, 1, 2)]
    assert len(at_night) > 0.5 * len(nights)
    summer = sum(1 for r in at_night if month_of(r) in (6, 7, 8))
    winter = sum(1 for r in at_night if month_of(r) in (12, 1, 2))
    assert summer > 2 * winter
    # The electoral rolls before the 2024 and 2026 elections.
    rolls = Counter(
        paris(r.requested).strftime("%Y-%m")
        for r in requests
        if r.topic.motif == "Listes électorales"
    )
    assert rolls["2026-01"] > 4 * rolls["2025-01"] and rolls["2024-04"] > 4 * rolls["2025-04"]


def test_tourist_season_on_the_coast(requests):
    def summer_ratio(codes):
        rows = [r for r in requests if r.category == "PROPRETE" and r.commune.code in codes]
        summer = sum(1 for r in rows if month_of(r) in (7, 8))
        spring = sum(1 for r in rows if month_of(r) in (3, 4))
        return summer / spring

    inland = {c.code for c in COMMUNES if c.code not in rc.TOURISM}
    assert summer_ratio({"35288"}) > 1.35 * summer_ratio(inland)


def test_weekdays_and_hours_per_channel(requests):
    holidays = set().union(*(rc.public_holidays(y) for y in (2023, 2024, 2025, 2026)))
    office = [r for r in requests if r.channel in ("phone", "counter", "mail")]
    assert all(paris(r.requested).weekday() != 6 for r in office)
    assert all(paris(r.requested).date() not in holidays for r in office)
    phone = [paris(r.requested) for r in requests if r.channel == "phone"]
    assert all(m.weekday() < 5 and 8 <= m.hour < 18 for m in phone)
    saturday = [paris(r.requested) for r in requests if r.channel == "counter"]
    saturday = [m for m in saturday if m.weekday() == 5]
    assert saturday and all(9 <= m.hour < 12 for m in saturday)
    mobile = [paris(r.requested) for r in requests if r.channel == "mobile"]
    assert share(mobile, lambda m: m.weekday() >= 5) > 2 / 7
    assert share(mobile, lambda m: m.hour >= 18) > 0.25
    assert all(r.requested % 60 == 0 for r in requests if r.channel == "phone")  # minutes only


def test_the_storm_week(requests):
    days = Counter(paris(r.requested).date() for r in requests)
    storm = [rc.STORM_START + timedelta(days=n) for n in range(rc.STORM_DAYS)]
    january = [date(2025, 1, d) for d in range(1, 26)]
    normal = statistics.median(days[d] for d in january)
    assert max(days[d] for d in storm) > 2.5 * normal
    assert sum(days[d] for d in storm) > 1.6 * 8 * normal
    fallen = Counter(
        paris(r.requested).date() in storm for r in requests if r.topic.motif == "Arbre tombé"
    )
    assert fallen[True] > fallen[False]  # most fallen trees fall that week
    assert all(r.topic.storm for r in requests if r.storm)  # storm requests are about storm damage

    def delays(rows):
        return statistics.median(r.closed - r.requested for r in rows if r.status == "closed")

    green = [r for r in requests if r.category == "ESPACES-VERTS" and r.trap is None]
    in_storm = [r for r in green if paris(r.requested).date() in storm]
    before = [r for r in green if paris(r.requested).date() in january]
    assert delays(in_storm) > 1.8 * delays(before)  # the backlog the storm leaves


def test_delays_first_responses_reopenings_and_backlog(requests):
    genuine = [r for r in requests if r.trap is None]
    closed = [r for r in genuine if r.status == "closed"]
    assert all(r.closed - r.requested >= 600 for r in closed)
    medians = {
        code: statistics.median(r.closed - r.requested for r in closed if r.category == code)
        for code in ("PROPRETE", "ESPACES-VERTS")
    }
    assert medians["ESPACES-VERTS"] > 2.5 * medians["PROPRETE"]
    large = [r.closed - r.requested for r in closed if r.commune.large]
    small = [r.closed - r.requested for r in closed if not r.commune.large]
    assert statistics.median(small) > 1.1 * statistics.median(large)
    assert 0.02 < share(closed, lambda r: r.reopened > 0) < 0.04
    responded = [r for r in genuine if r.first_response is not None]
    assert 0.45 < len(responded) / len(genuine) < 0.8
    assert all(r.requested < r.first_response < rc.END_OF_REFERENCE for r in responded)
    assert all(r.closed is None or r.first_response < r.closed for r in responded)
    # Open: mostly recent, a few forgotten; some overdue.
    last_weeks = [r for r in genuine if r.requested > rc.END_OF_REFERENCE - 14 * 86400]
    first_year = [r for r in genuine if r.requested < rc.END_OF_REFERENCE - 2 * 365 * 86400]
    assert share(last_weeks, lambda r: r.status == "open") > 0.3
    assert 0.005 < share(first_year, lambda r: r.status == "open") < 0.02
    assert share(closed, lambda r: r.closed > r.expected) > 0.05
    assert any(r.status == "open" and r.expected < rc.END_OF_REFERENCE for r in genuine)
    assert all(r.updated >= r.requested for r in genuine)


def test_data_traps(requests):
    before = [r for r in requests if r.closed is not None and r.closed < r.requested]
    assert len(before) == rc.CLOSED_BEFORE_REQUESTED
    assert all(r.trap == "closed_before_requested" and r.source == "log" for r in before)
    instantly = [r for r in requests if r.closed is not None and 0 <= r.closed - r.requested < 60]
    duplicates = [r for r in requests if r.trap == "duplicate"]
    assert instantly == duplicates and len(duplicates) > 300
    for copy in duplicates:
        original = copy.duplicate_of
        assert copy.source in ("web", "mobile") and original.trap is None
        assert 20 <= copy.requested - original.requested <= 150
        assert (copy.description, copy.commune, copy.place) == (
            original.description,
            original.commune,
            original.place,
        )


def test_free_text(requests):
    log = [r.description for r in requests if r.source == "log"]
    assert all(log)
    mobile = [r.description for r in requests if r.source == "mobile"]
    assert 0.05 < share(mobile, lambda d: d == "") < 0.15
    web = [r.description for r in requests if r.source == "web"]
    assert share(web, lambda d: d.startswith(("Bonjour", "Bjr", "BONJOUR"))) > 0.8
    saint_malo = [r for r in requests if r.commune.code == "35288" and r.topic.located]
    streets = Counter(r.street for r in saint_malo)
    assert set(streets) == set(rc.STREETS["35288"])
    assert sum(1 for r in saint_malo if r.street in r.description) > len(saint_malo) / 3
    assert len(set(log)) > 5000  # varied, not a handful of sentences
    typos = [d for d in web if "Bjr" in d or d.isupper() or "URGENT" in d]
    assert typos


def test_same_seed_same_requests_other_seed_other_requests():
    def fingerprint(dataset):
        return [
            (r.channel, r.commune.code, r.category, r.requested, r.closed, r.description)
            for r in dataset.requests
        ]

    rc._CACHE.clear()
    first = fingerprint(rc.generate(COMMUNES, DEMO_SEED, total=3000))
    rc._CACHE.clear()
    again = fingerprint(rc.generate(COMMUNES, DEMO_SEED, total=3000))
    rc._CACHE.clear()
    other = fingerprint(rc.generate(COMMUNES, DEMO_SEED + 1, total=3000))
    assert first == again
    assert first != other


def test_exports():
    dataset = rc.generate(COMMUNES, DEMO_SEED, total=60_000)
    rows, broken = log_export(dataset, "35288")
    requests = dataset.of("log", "35288")
    repeated = [b for b in broken if b.kind == "repeated"]
    assert len(rows) == len(requests) + len(repeated)
    assert {b.kind for b in broken} == {"date", "status", "commune", "repeated"}
    assert all(len(row) == len(HEADER) for row in rows)
    text = "\n".join(";".join(row) for row in rows)
    text.encode("cp1252")  # what the software writes
    assert "31/02/" in text and "Trifouillis-les-Oies" in text
    records = webform_export(dataset, "35288")
    assert len(records) == len(dataset.of("web", "35288"))
    json.dumps(records)
    assert {r["submission"]["channel"] for r in records} == {"web", "email"}
    assert len({r["display_id"] for r in records}) == len(records)
    number_mobile_requests(dataset)
    served = mobile_export(dataset, "35288")
    statuses = Counter(r["status"] for r in served)
    assert {"submitted", "acknowledged", "in_progress", "closed"} <= set(statuses)
    anonymous = [r for r in served if "service_request_id" not in r]
    assert anonymous and all(r["status"] == "submitted" for r in anonymous)
    assert all(
        set(r["extended_attributes"]) == set(served[0]["extended_attributes"]) for r in served
    )
