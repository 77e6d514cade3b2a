"""One indicator, three doors: `pilotis kpi`, the JSON API (OpenAPI-described) and the registry
give the same figures — checked against the rows themselves."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pilotis.metrics import registry
from pilotis.tenants.models import Membership
from pilotis.tenants.roles import Role
from tests.requests.test_page import LABELS, PERIOD, frame, in_period, saint_malo  # noqa: F401
from tests.tenants.factories import TenantFactory, UserFactory

DATES = ["--from", PERIOD.start.isoformat(), "--to", PERIOD.end.isoformat()]


def kpi(*args: str) -> str:
    out = StringIO()
    call_command("kpi", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_cli_gives_the_volume_by_category_as_json(saint_malo, frame):  # noqa: F811
    result = json.loads(kpi("35288", "requests.volume", "--by", "category", *DATES, "--json"))
    rows = in_period(frame)
    assert result["metric"]["unit"] == "count"
    by_key = {r["key"]: r["value"] for r in result["rows"] if not r["total"]}
    assert result["rows"][0]["total"] and result["rows"][0]["value"] == len(rows)
    for code, n in rows["category"].value_counts().items():
        assert by_key[code] == n


@pytest.mark.django_db
def test_the_cli_filters_and_prints_a_table(saint_malo, frame):  # noqa: F811
    text = kpi("35288", "requests.volume", "--channel", "web", *DATES)
    expected = (in_period(frame)["channel"] == "web").sum()
    assert "Total" in text and str(expected) in text.replace("\u202f", "").replace(" ", "")


@pytest.mark.django_db
def test_the_cli_lists_indicators_and_explains_mistakes(saint_malo):  # noqa: F811
    listing = kpi("35288")
    for slug in ("requests.volume", "requests.close_median", "requests.on_time_rate"):
        assert slug in listing
    with pytest.raises(CommandError) as error:
        kpi("35288", "requests.nothing")
    assert "inconnu" in str(error.value) and "Unknown indicator" in str(error.value)
    with pytest.raises(CommandError) as error:
        kpi("35288", "requests.volume", "--by", "colour")
    assert "colour" in str(error.value)


def test_every_requests_metric_is_declared_with_french_and_english_labels():
    from django.utils import translation

    metrics = registry.all_metrics("requests")
    assert len(metrics) >= 10
    for metric in metrics:
        with translation.override("fr"):
            french = str(metric.label)
        with translation.override("en"):
            english = str(metric.label)
        assert french and english and french != english, metric.slug


@pytest.fixture
def elected(saint_malo):  # noqa: F811
    user = UserFactory(username="maire@saint-malo.fr")
    Membership.objects.create(user=user, tenant=saint_malo, role=Role.ELECTED)
    return user


@pytest.mark.django_db
def test_the_api_gives_the_same_figure_as_the_cli(client, elected, frame):  # noqa: F811
    client.force_login(elected)
    url = "/api/v1/tenants/35288/metrics/requests.volume"
    response = client.get(
        url, {"by": "category", "start": PERIOD.start.isoformat(), "end": PERIOD.end.isoformat()}
    )
    assert response.status_code == 200, response.content
    api = response.json()["rows"]
    cli = json.loads(kpi("35288", "requests.volume", "--by", "category", *DATES, "--json"))
    assert [(r["key"], r["value"]) for r in api] == [(r["key"], r["value"]) for r in cli["rows"]]
    assert api[0]["total"] and api[0]["value"] == len(in_period(frame))


@pytest.mark.django_db
def test_the_api_is_described_in_openapi_and_guarded(client, saint_malo):  # noqa: F811
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tenants/{tenant_code}/metrics/{slug}" in schema["paths"]
    assert client.get("/api/v1/metrics").status_code == 200
    url = "/api/v1/tenants/35288/metrics/requests.volume"
    assert client.get(url).status_code == 401
    stranger = UserFactory(username="autre@cancale.fr")
    Membership.objects.create(
        user=stranger, tenant=TenantFactory(code="35049", name="Cancale"), role=Role.ADMIN
    )
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(stranger)
    assert client.get("/api/v1/tenants/35049/metrics/requests.nothing").json()["code"] == 404
    assert client.get("/api/v1/tenants/35049/metrics/requests.volume?by=x").status_code == 400


@pytest.mark.django_db
def test_the_volume_series_counts_each_month_of_the_period(saint_malo, frame):  # noqa: F811
    from tests.requests.conftest import PARIS

    result = json.loads(kpi("35288", "requests.volume_series", *DATES, "--json"))
    rows = in_period(frame)
    months = rows["requested_datetime"].dt.tz_convert(PARIS).dt.strftime("%Y-%m-01")
    expected = months.value_counts()
    buckets = {r["key"]: r["value"] for r in result["rows"] if not r["total"]}
    assert result["rows"][0]["value"] == len(rows)
    assert len(buckets) == 13  # 16 March 2024 … 15 March 2025 touches thirteen months
    for month, value in buckets.items():
        assert value == expected.get(month, 0), month
    weeks = json.loads(kpi("35288", "requests.volume_series", "--by", "week", *DATES, "--json"))
    assert sum(r["value"] for r in weeks["rows"][1:]) == len(rows)


@pytest.mark.django_db
def test_rises_seasons_weeks_and_subjects_come_out_of_the_cli(saint_malo, frame):  # noqa: F811
    from pilotis.requests import rising
    from pilotis.requests.data import Scope, connect

    rises = json.loads(kpi("35288", "requests.rising", *DATES, "--json"))["rows"]
    db = connect(Scope(("35288",)))
    direct = rising.rising_categories(db, PERIOD)
    assert [r["key"] for r in rises[1:]] == [r.key for r in direct]
    assert rises[0]["value"] == sum(r.significant for r in direct)
    current = in_period(frame)["category"].value_counts()
    for row in rises[1:]:
        assert row["current"] == current.get(row["key"], 0)
    seasons = json.loads(kpi("35288", "requests.seasonality", *DATES, "--json"))["rows"]
    assert seasons[0]["total"] and "value" in seasons[0]
    weeks = json.loads(kpi("35288", "requests.exceptional_weeks", *DATES, "--json"))["rows"]
    assert weeks[0]["value"] == len(weeks) - 1
    subjects = json.loads(kpi("35288", "requests.topics", "--json"))["rows"]
    total = subjects[0]
    assert total["value"] is None or 0 <= total["value"] <= 1


@pytest.mark.django_db
def test_the_repeat_radius_and_window_are_settings(saint_malo, settings):  # noqa: F811
    settings.REPEAT_RADIUS_M = 500
    settings.REPEAT_WINDOW_DAYS = 30
    wide = json.loads(kpi("35288", "requests.repeats_share", *DATES, "--json"))["rows"][0]
    settings.REPEAT_RADIUS_M = 1
    settings.REPEAT_WINDOW_DAYS = 0.01
    narrow = json.loads(kpi("35288", "requests.repeats_share", *DATES, "--json"))["rows"][0]
    assert wide["value"] > narrow["value"]
    description = next(
        m for m in registry.all_metrics("requests") if m.slug.endswith("repeats_share")
    )
    assert "1 m" in str(description.description) or "1 metres" in str(description.description)
