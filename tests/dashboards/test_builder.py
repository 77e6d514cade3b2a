"""The dashboard builder through its real views: an analyst creates a page, adds, reorders and
removes panels, shares it; the figures shown are those of `registry.evaluate` on requests
loaded through the connectors; bad choices get a clear form error."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from pilotis.dashboards.models import Dashboard, Panel, Visibility
from pilotis.dashboards.panels import Spec, errors_of
from pilotis.metrics import registry
from pilotis.metrics.display import display
from tests.dashboards.conftest import english

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
# The export runs to 30 November 2026: figures are read up to the last complete month.
YEAR = (date(2025, 12, 1), date(2026, 11, 30))


def evaluate(slug, start, end, by=None, filters=None):
    query = registry.Query(
        ("35288",), start, end, by=by, filters=filters or {},
        as_of=datetime.combine(end + timedelta(days=1), time(), PARIS),
    )  # fmt: skip
    return registry.evaluate(slug, query)


def base(page_id: int) -> str:
    return f"/t/35288/tableaux/{page_id}/"


def add_panel(client, page_id: int, **fields):
    data = {"action": "save", "period": "rolling_year", "chart": "number", **fields}
    return client.post(base(page_id) + "panneaux/ajouter/", data)


@pytest.fixture
def analyst(client, people):
    client.force_login(people["analyst"])
    return english(client)


@pytest.fixture
def page(analyst):
    response = analyst.post(
        "/t/35288/tableaux/nouveau/",
        {"title": "Relation usagers", "description": "Pour la DGS", "visibility": "private"},
    )
    assert response.status_code == 302
    return Dashboard.objects.get(title="Relation usagers")


def test_builder_page_creates_panels_and_shows_registry_figures(analyst, page):
    """Each panel shows exactly what the registry computes over its period."""
    assert page.owner.username == "analyst@exemple.fr" and page.visibility == Visibility.PRIVATE
    assert add_panel(analyst, page.pk, metric="requests.volume").status_code == 302
    assert (
        add_panel(
            analyst,
            page.pk,
            metric="requests.volume",
            chart="hbar",
            by="category",
            title="Par thème",
        ).status_code
        == 302
    )
    assert (
        add_panel(analyst, page.pk, metric="requests.volume_series", chart="line").status_code
        == 302
    )
    assert add_panel(
        analyst, page.pk, metric="requests.close_median", chart="table", by="channel",
        filter_category=["VOIRIE", "PROPRETE"],
    ).status_code == 302  # fmt: skip
    assert [p.metric for p in page.panels.all()] == [
        "requests.volume", "requests.volume", "requests.volume_series", "requests.close_median"
    ]  # fmt: skip
    line = page.panels.get(metric="requests.volume_series")
    assert line.by == "month"  # a line is over the months
    response = analyst.get(base(page.pk))
    assert response.status_code == 200
    html = response.content.decode()
    shown = [item["shown"] for item in response.context["items"]]
    with translation.override("en"):
        volume = evaluate("requests.volume", *YEAR)
        assert (shown[0].start, shown[0].end) == YEAR
        assert shown[0].value == registry.total(volume) > 0
        assert display(shown[0].value, "count") in html
        before = evaluate("requests.volume", date(2024, 12, 1), date(2025, 11, 30))
        assert shown[0].previous == registry.total(before)

        by_category = evaluate("requests.volume", *YEAR, by="category")
        expected = {r["key"]: r["value"] for r in by_category.rows if not r["total"]}
        assert {key: value for key, _l, value, _s in shown[1].rows} == expected
        assert shown[1].chart is not None and shown[1].chart.spec["mark"]["type"] == "bar"
        assert f'id="{shown[1].slug}-spec"' in html

        months = evaluate("requests.volume_series", *YEAR, by="month")
        assert [v for _k, _l, v, _s in shown[2].rows] == [
            r["value"] for r in sorted(months.rows[1:], key=lambda r: str(r["key"]))
        ]
        assert len(shown[2].rows) == 12 and shown[2].chart.spec["mark"]["type"] == "line"

        median = evaluate(
            "requests.close_median", *YEAR, by="channel",
            filters={"category": ("VOIRIE", "PROPRETE")},
        )  # fmt: skip
        assert shown[3].value == registry.total(median)
        for key, _label, value, text in shown[3].rows:
            row = next(r for r in median.rows if r["key"] == key and not r["total"])
            assert value == row["value"]
            assert text in html
    # The definition, unit and source are on the page for hover and screen readers.
    assert 'title="Requests made in the period."' in html
    assert "Source: requests" in html


def test_panels_move_and_are_removed(analyst, page):
    for metric in ("requests.volume", "requests.backlog", "requests.close_median"):
        add_panel(analyst, page.pk, metric=metric)
    first, second, third = page.panels.all()
    analyst.post(base(page.pk) + f"panneaux/{third.pk}/deplacer/", {"direction": "up"})
    assert [p.pk for p in page.panels.all()] == [first.pk, third.pk, second.pk]
    analyst.post(base(page.pk) + f"panneaux/{first.pk}/deplacer/", {"direction": "down"})
    assert [p.pk for p in page.panels.all()] == [third.pk, first.pk, second.pk]
    analyst.post(base(page.pk) + f"panneaux/{first.pk}/retirer/")
    assert [(p.pk, p.position) for p in page.panels.all()] == [(third.pk, 0), (second.pk, 1)]


def test_changing_a_panel_keeps_its_place(analyst, page):
    add_panel(analyst, page.pk, metric="requests.volume")
    panel = page.panels.get()
    response = analyst.post(
        base(page.pk) + f"panneaux/{panel.pk}/",
        {"action": "save", "metric": "requests.volume", "chart": "bar", "by": "channel",
         "period": "dates", "start": "2026-01-01", "end": "2026-06-30"},
    )  # fmt: skip
    assert response.status_code == 302
    panel.refresh_from_db()
    assert (panel.chart, panel.by, panel.start, panel.end) == (
        "bar", "channel", date(2026, 1, 1), date(2026, 6, 30)
    )  # fmt: skip
    shown = analyst.get(base(page.pk)).context["items"][0]["shown"]
    assert shown.value == registry.total(
        evaluate("requests.volume", date(2026, 1, 1), date(2026, 6, 30))
    )


def test_choosing_an_indicator_offers_its_dimensions_and_values(analyst, page):
    """Without JavaScript: “Choose this indicator” shows the metric's breakdowns, the values
    of its filters found in the data, and its definition beside the select."""
    response = analyst.post(
        base(page.pk) + "panneaux/ajouter/", {"action": "choose", "metric": "requests.volume"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    metric = registry.get("requests.volume")
    assert [v for v, _l in form.fields["by"].choices] == ["", *metric.dimensions]
    assert {v for v, _l in form.fields["filter_category"].choices} == {
        "VOIRIE", "PROPRETE", "ECLAIRAGE"
    }  # fmt: skip
    assert {v for v, _l in form.fields["filter_channel"].choices} == {"phone", "counter", "email"}
    assert "filter_status" not in form.fields  # a dimension the metric cannot be filtered by
    html = response.content.decode()
    assert 'aria-describedby="metric-help"' in html and 'id="metric-help"' in html
    assert str(metric.description) in html
    # Every indicator of the registry is offered, grouped by domain, with its definition.
    for slug in registry.METRICS:
        assert f'value="{slug}"' in html
    assert '<optgroup label="Citizen requests">' in html
    parking = analyst.post(
        base(page.pk) + "panneaux/ajouter/", {"action": "choose", "metric": "parking.revenue"}
    ).context["form"]
    assert [v for v, _l in parking.fields["by"].choices] == ["", "zone"]
    assert "line" not in dict(parking.fields["chart"].choices)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metric": "requests.nothing"}, "Unknown indicator “requests.nothing”"),
        (
            {"metric": "requests.volume", "chart": "bar", "by": "zone"},
            "“zone” is not a breakdown of this indicator",
        ),
        ({"metric": "requests.volume", "chart": "bar"}, "Bars need a breakdown"),
        (
            {
                "metric": "requests.volume",
                "period": "dates",
                "start": "2026-05-01",
                "end": "2026-01-01",
            },
            "The period ends before it starts.",
        ),
        ({"metric": "parking.revenue", "chart": "line"}, "Select a valid choice"),
    ],
)
def test_bad_choices_give_a_clear_form_error(analyst, page, fields, message):
    response = add_panel(analyst, page.pk, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "The form has errors" in response.content.decode()
    assert not Panel.objects.exists()


def test_spec_checks_against_the_registry_only():
    """The rules hold for any metric, from its declaration alone."""
    assert errors_of(Spec("requests.volume_series", chart="line")) == {}
    assert "chart" in errors_of(Spec("requests.volume", chart="line"))
    assert "by" in errors_of(Spec("parking.sessions", chart="table", by="category"))
    assert "filters" in errors_of(Spec("parking.sessions", filters={"category": ["X"]}))
    assert (
        errors_of(Spec("parking.sessions", chart="hbar", by="zone", filters={"zone": ["A"]})) == {}
    )
    for metric in registry.all_metrics():
        assert errors_of(Spec(metric.slug)) == {}, metric.slug


def test_a_panel_of_another_domain_shows_what_the_registry_says(analyst, page):
    """Parking has no data here: the panel shows the registry's figure for it, and the page
    does not break."""
    add_panel(analyst, page.pk, metric="parking.revenue")
    response = analyst.get(base(page.pk))
    assert response.status_code == 200
    shown = response.context["items"][0]["shown"]
    assert not shown.error
    assert shown.value == registry.total(evaluate("parking.revenue", shown.start, shown.end))
