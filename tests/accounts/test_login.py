"""Local accounts: login audited, throttled after repeated failures, password reset by e-mail."""

import re

import pytest
from django.core import mail

from pilotis.audit.models import AuditEvent
from tests.tenants.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def agent(db):
    return UserFactory(username="agent@mairie.fr", email="agent@mairie.fr")


def test_login_with_good_password_is_audited(agent, client):
    response = client.post("/connexion/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="login", actor=agent).exists()


def test_failed_logins_are_audited_then_throttled(agent, client, settings):
    """After LOGIN_MAX_FAILURES failures, even the right password is refused for a while."""
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        response = client.post("/connexion/", {"username": agent.username, "password": "wrong"})
        assert response.status_code == 200
    assert AuditEvent.objects.filter(action="login_failed", username=agent.username).count() == 3
    response = client.post("/connexion/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_blocked", username=agent.username).exists()


def test_throttling_counts_only_recent_failures(agent, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 60
    for _ in range(2):
        client.post("/connexion/", {"username": agent.username, "password": "wrong"})
    AuditEvent.objects.filter(action="login_failed").update(at="2020-01-01T00:00:00Z")
    response = client.post("/connexion/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 302


def test_password_reset_by_email(agent, client):
    """The e-mailed link lets the user choose a new password and log in with it."""
    response = client.post("/mot-de-passe/", {"email": "agent@mairie.fr"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["agent@mairie.fr"]
    link = re.search(r"http://testserver(/mot-de-passe/\S+/\S+/)", message.body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session marker
    new = "une phrase de passe tres longue"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    client.logout()
    response = client.post("/connexion/", {"username": agent.username, "password": new})
    assert response.status_code == 302


def test_password_reset_for_unknown_address_sends_nothing(db, client):
    response = client.post("/mot-de-passe/", {"email": "personne@nulle-part.fr"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_logout_is_post_only_and_audited(agent, client):
    client.force_login(agent)
    assert client.get("/deconnexion/").status_code == 405
    assert client.post("/deconnexion/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=agent).exists()
