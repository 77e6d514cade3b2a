"""The public portal: search with facets, dataset pages, downloads, subscriptions — and only
what is online."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from pilotis.opendata.models import Publication, PublicationVersion, Subscription
from tests.opendata.builders import published
from tests.tenants.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    malo = TenantFactory(code="35288", name="Saint-Malo", primary_color="#7a1f5c")
    cancale = TenantFactory(code="35049", name="Cancale")
    parkings = pa.table(
        {
            "nom": ["Parking Saint-Vincent", "Parking de la Gare", "Église"],
            "places": [420, 310, 25],
            "lat": [48.6493, 48.6460, 48.6500],
            "long": [-2.0257, -2.0110, -2.0200],
        }
    )
    published(malo, "parkings", parkings, title="Parkings", theme="TRAN", keywords="parking")
    requests = pa.table(
        {
            "categorie": ["voirie", "proprete", "voirie", "eclairage"],
            "jour": [dt.date(2026, 1, 3), dt.date(2026, 1, 9), dt.date(2026, 2, 1), None],
        }
    )
    published(
        cancale,
        "demandes",
        requests,
        title="Demandes des usagers",
        theme="GOVE",
        frequency="weekly",
    )
    hidden = published(malo, "brouillon", requests, title="Brouillon secret")
    hidden.public = False
    hidden.save()
    Publication.objects.create(tenant=malo, slug="jamais", title="Jamais publié", description="-")
    return {"malo": malo, "cancale": cancale}


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_home_lists_what_is_online_only(client, world):
    body = _text(client.get("/donnees-ouvertes/"))
    assert "Parkings" in body and "Demandes des usagers" in body
    assert "Brouillon secret" not in body and "Jamais publié" not in body
    assert "2 jeux de données" in body


def test_search_ignores_accents_and_facets_count(client, world):
    body = _text(client.get("/donnees-ouvertes/", {"q": "eglise"}))  # no dataset says it
    assert "Aucun jeu de données" in body
    body = _text(client.get("/donnees-ouvertes/", {"q": "demandes usagers"}))
    assert "Demandes des usagers" in body and "Parkings" not in body
    body = _text(client.get("/donnees-ouvertes/", {"theme": "TRAN"}))
    assert "Parkings" in body and "Demandes des usagers" not in body
    # The publisher facet still counts both publishers under the theme filter's neighbours.
    assert "geojson" in _text(client.get("/donnees-ouvertes/", {"format": "geojson"})).lower()
    body = _text(client.get("/donnees-ouvertes/", {"format": "geojson"}))
    assert "Parkings" in body and "Demandes des usagers" not in body


def test_publisher_page_wears_its_identity(client, world):
    body = _text(client.get("/donnees-ouvertes/35288/"))
    assert "Parkings" in body and "Demandes des usagers" not in body
    assert "/t/35288/theme.css" in body
    assert client.get("/donnees-ouvertes/99999/").status_code == 404


def test_dataset_page_shows_preview_chart_downloads_and_history(client, world):
    body = _text(client.get("/donnees-ouvertes/35049/demandes/"))
    assert "voirie" in body and "eclairage" in body  # preview
    assert 'data-chart="apercu-' in body  # an automatic chart (rows per month)
    assert "2026-01" in body
    assert "/donnees-ouvertes/35049/demandes/telecharger/csv/" in body
    assert "/api/donnees/35049/demandes/" in body and "package_show" in body
    published(world["cancale"], "demandes", pa.table({"categorie": ["voirie"]}))
    body = _text(client.get("/donnees-ouvertes/35049/demandes/"))
    assert "/donnees-ouvertes/35049/demandes/v1/csv/" in body  # the history keeps v1


def test_downloads_stream_the_files(client, world):
    response = client.get("/donnees-ouvertes/35288/parkings/telecharger/csv-excel/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data.startswith(b"nom;places;lat;long\r\n")
    assert "Église".encode("cp1252") in data and b"48,6493" in data
    assert "parkings-v1.excel.csv" in response["Content-Disposition"]
    geo = b"".join(
        client.get("/donnees-ouvertes/35288/parkings/telecharger/geojson/").streaming_content
    )
    assert b'"coordinates":[-2.0257,48.6493]' in geo
    assert client.get("/donnees-ouvertes/35049/demandes/telecharger/geojson/").status_code == 404
    assert client.get("/donnees-ouvertes/35288/brouillon/telecharger/csv/").status_code == 404
    assert client.get("/donnees-ouvertes/35288/jamais/").status_code == 404


def test_a_failed_latest_run_keeps_the_previous_version_online(client, world):
    pub = Publication.objects.get(slug="parkings")
    PublicationVersion.objects.create(publication=pub, number=2, status="failed", error="x")
    assert client.get("/donnees-ouvertes/35288/parkings/").status_code == 200
    response = client.get("/donnees-ouvertes/35288/parkings/telecharger/csv/")
    assert response.status_code == 200 and "parkings-v1.csv" in response["Content-Disposition"]


def test_subscribe_and_unsubscribe(client, world):
    response = client.post("/donnees-ouvertes/35288/parkings/abonnement/", {"email": "a@b.fr"})
    assert response.status_code == 302
    sub = Subscription.objects.get(email="a@b.fr")
    client.post("/donnees-ouvertes/35288/parkings/abonnement/", {"email": "pas-une-adresse"})
    assert Subscription.objects.count() == 1
    assert client.get(f"/donnees-ouvertes/desabonnement/{sub.token}/").status_code == 200
    assert client.post(f"/donnees-ouvertes/desabonnement/{sub.token}/").status_code == 200
    assert not Subscription.objects.exists()
