"""The shell: security headers, accessibility statement, languages, theme switch."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from pilotis.shell.models import AccessibilityStatement
from tests.tenants.factories import TenantFactory


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_csrf_is_enforced_on_forms():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/connexion/", {"username": "x", "password": "y"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_home_shows_the_compliance_mention(client):
    page = client.get("/").content.decode()
    assert "Accessibilité" in page and "non conforme" in page


@pytest.mark.django_db
def test_tenant_accessibility_page_follows_the_official_template(client):
    tenant = TenantFactory(code="35288", name="Saint-Malo")
    AccessibilityStatement.objects.create(
        tenant=tenant,
        entity_name="Ville de Saint-Malo",
        compliance="partiel",
        audit_rate="72.50",
        audit_date="2026-03-01",
        audit_by="Cabinet Exemple",
        contact_email="accessibilite@saint-malo.example",
        action_plan="Corriger les contrastes.",
    )
    page = client.get("/t/35288/accessibilite/").content.decode()
    for expected in [
        "Déclaration d’accessibilité",
        "article 47 de la loi n° 2005-102",
        "partiellement conforme",
        "72,50",
        "Cabinet Exemple",
        "accessibilite@saint-malo.example",
        "Défenseur des droits",
        "Corriger les contrastes.",
        "Voies de recours",
    ]:
        assert expected in page, expected


@pytest.mark.django_db
def test_pages_are_french_by_default_and_english_on_request(client):
    assert 'lang="fr"' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Accessibility" in page


def test_state_theme_requires_an_entitled_body(monkeypatch):
    """PILOTIS_THEME=state without the State body's name refuses to start."""
    import importlib

    import pilotis.settings

    monkeypatch.setenv("PILOTIS_THEME", "state")
    monkeypatch.delenv("PILOTIS_STATE_ENTITY_NAME", raising=False)
    with pytest.raises(ImproperlyConfigured, match="réservé aux services de l'État"):
        importlib.reload(pilotis.settings)
    monkeypatch.setenv("PILOTIS_STATE_ENTITY_NAME", "Préfecture d'Ille-et-Vilaine")
    importlib.reload(pilotis.settings)
    assert pilotis.settings.THEME == "state"
    monkeypatch.undo()
    importlib.reload(pilotis.settings)


@pytest.mark.django_db
def test_state_theme_wears_the_state_block_only_when_switched_on(client, settings):
    TenantFactory(code="35288", name="Saint-Malo")
    page = client.get("/t/35288/").content.decode()
    assert "République<br>Française" not in page and "Saint-Malo" in page
    settings.THEME, settings.STATE_ENTITY_NAME = "state", "Préfecture d'Ille-et-Vilaine"
    page = client.get("/t/35288/").content.decode()
    assert "République<br>Française" in page and "theme-state.css" in page


def test_missing_secret_key_refuses_to_start(monkeypatch):
    import importlib

    import pilotis.settings

    monkeypatch.delenv("PILOTIS_SECRET_KEY", raising=False)
    monkeypatch.delenv("PILOTIS_INSECURE_DEMO", raising=False)
    monkeypatch.delenv("PILOTIS_DEBUG", raising=False)
    with pytest.raises(ImproperlyConfigured, match="PILOTIS_SECRET_KEY"):
        importlib.reload(pilotis.settings)
    monkeypatch.undo()
    importlib.reload(pilotis.settings)


@pytest.mark.django_db
def test_refusals_explain_themselves_in_french(client):
    """A 403 says the role is not enough and whom to ask; a 404 says what to check."""
    from pilotis.tenants.models import Membership
    from tests.tenants.factories import UserFactory

    tenant = TenantFactory(code="35288", name="Saint-Malo")
    elected = UserFactory(username="elu@saint-malo.fr")
    Membership.objects.create(user=elected, tenant=tenant, role="elected")
    client.force_login(elected)
    response = client.get("/t/35288/administration/")
    assert response.status_code == 403
    assert "Demandez-le à l’un de ses administrateurs" in response.content.decode()
    response = client.get("/t/00000/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
