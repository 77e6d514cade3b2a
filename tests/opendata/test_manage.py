"""The collectivité's open-data pages: a steward publishes a table with safe defaults, checks a
real-world file against the national schema, publishes a file; elected officials read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pilotis.opendata.models import Publication, PublicationVersion
from pilotis.tenants.roles import Role
from tests.opendata.test_publish import _requests
from tests.requests.test_page import write_requests
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "subventions"


@pytest.fixture
def town(warehouse):
    tenant = TenantFactory(code="35288", name="Saint-Malo", population=46_000)
    write_requests(tenant.code, _requests())
    return tenant


def _login(client, tenant, role):
    user = UserFactory(username=f"{role}@saint-malo.fr")
    MembershipFactory(tenant=tenant, user=user, role=role)
    client.force_login(user)


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_steward_publishes_a_table_with_safe_defaults(client, town):
    _login(client, town, Role.STEWARD)
    response = client.post(
        "/t/35288/publication/nouvelle/",
        {
            "title": "Demandes des usagers",
            "description": "Les demandes",
            "theme": "GOVE",
            "licence": "etalab-2.0",
            "frequency": "weekly",
            "source_kind": "table",
            "source_table": "requests",
            "auto_republish": "on",
            "public": "on",
            "rule_description": "redact",
            "rule_address": "redact",
            "rule_lat": "coords_grid",
            "param_lat": "300",
            "rule_long": "coords_grid",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pub = Publication.objects.get(tenant=town, slug="demandes-des-usagers")
    # Personal columns not mentioned are dropped by default; the others are kept.
    assert "requester_email" not in pub.columns and "status" in pub.columns
    assert pub.rules["lat"] == {"rule": "coords_grid", "param": 300.0}
    assert pub.rules["long"] == {"rule": "coords_grid", "param": 200}
    response = client.post(f"/t/35288/publication/{pub.pk}/publier/", {"note": "Première"})
    assert response.status_code == 302
    version = pub.current()
    assert version is not None and version.rows == 6
    body = _text(client.get(f"/t/35288/publication/{pub.pk}/"))
    assert "Première" in body and "/donnees-ouvertes/35288/demandes-des-usagers/" in body
    body = _text(client.get("/t/35288/publication/"))
    assert "Demandes des usagers" in body and "scdl/subventions" in body  # tracker


def test_elected_officials_read_but_do_not_publish(client, town):
    _login(client, town, Role.ELECTED)
    assert client.get("/t/35288/publication/").status_code == 200
    assert client.get("/t/35288/publication/nouvelle/").status_code == 403
    assert client.get("/t/35288/publication/verifier/").status_code == 403


def test_checking_a_real_world_file_reports_and_proposes_fixes(client, town):
    _login(client, town, Role.STEWARD)
    raw = (FIXTURES / "real-world" / "somme-20180330-conventions.csv").read_bytes()
    body = _text(
        client.post(
            "/t/35288/publication/verifier/",
            {"file": SimpleUploadedFile("somme.csv", raw), "schema": "scdl/subventions"},
        )
    )
    assert "datesPeriodeVersement" in body  # the header fix
    assert "137 825,00" in body  # a number written the French way, and its fix


def _file_publication(client, tenant, name: str) -> Publication:
    upload = SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="text/csv")
    response = client.post(
        "/t/35288/publication/nouvelle/",
        {
            "title": f"Subventions {name}",
            "description": "Les subventions",
            "theme": "ECON",
            "licence": "etalab-2.0",
            "frequency": "yearly",
            "source_kind": "file",
            "source_file": upload,
            "national_schema": "scdl/subventions",
            "apply_fixes": "on",
            "public": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Publication.objects.get(tenant=tenant, title=f"Subventions {name}")


def test_a_valid_file_is_published_against_its_schema(client, town):
    _login(client, town, Role.STEWARD)
    pub = _file_publication(client, town, "exemple-valide.csv")
    client.post(f"/t/35288/publication/{pub.pk}/publier/")
    version = pub.versions.get()
    assert version.status == PublicationVersion.Status.OK, version.error
    assert version.rows == 29
    page = _text(client.get(f"/donnees-ouvertes/35288/{pub.slug}/"))
    assert "scdl/subventions" in page and "ANTIBES" in page


def test_an_invalid_file_fails_with_a_row_level_report(client, town):
    _login(client, town, Role.STEWARD)
    pub = _file_publication(client, town, "exemple-invalide-erreurs-cellules.csv")
    client.post(f"/t/35288/publication/{pub.pk}/publier/")
    version = pub.versions.get()
    assert version.status == PublicationVersion.Status.FAILED
    assert version.report["schema"]["errors_total"] > 0
    first = version.report["schema"]["errors"][0]
    assert first["row"] >= 2 and first["field"] and first["message"]
    body = _text(client.get(f"/t/35288/publication/{pub.pk}/"))
    assert str(first["row"]) in body and pub.current() is None
    assert client.get(f"/donnees-ouvertes/35288/{pub.slug}/").status_code == 404


def test_the_tracker_counts_a_published_schema(client, town, tmp_path):
    _login(client, town, Role.STEWARD)
    pub = _file_publication(client, town, "exemple-valide.csv")
    client.post(f"/t/35288/publication/{pub.pk}/publier/")
    from pilotis.opendata.obligations import track

    tracker = track(town)
    line = next(line for line in tracker["lines"] if line.name == "scdl/subventions")
    assert line.expected and line.status == "ok" and line.publication == pub
    decp = next(line for line in tracker["lines"] if "decp" in line.name)
    assert decp.expected and decp.status == "missing" and "decp-table-schema" in decp.start_url
    small = TenantFactory(code="35049", name="Cancale", population=5_000)
    hautes = next(
        line for line in track(small)["lines"] if line.name == "etalab/schema-hautes-remunerations"
    )
    assert not hautes.expected
    shutil.rmtree(tmp_path / "opendata", ignore_errors=True)
