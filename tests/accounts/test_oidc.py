"""OpenID Connect login against a real provider configured like ProConnect (see conftest.py).

The agent's browser is a `requests.Session` following the provider's redirects and submitting
its login and consent forms; Django runs as pytest-django's live server.
"""

import base64
import json
from html.parser import HTMLParser
from importlib import import_module
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils.crypto import get_random_string

from pilotis.accounts import oidc
from pilotis.audit.models import AuditEvent
from pilotis.tenants.models import Membership, Tenant

pytestmark = pytest.mark.oidc

User = get_user_model()
PROCONNECT_PARAMS = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce"}
LYON_SIRET = "21690123100011"


class FormParser(HTMLParser):
    """The first form of a page: its action and its fields' default values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
        elif tag == "input" and attributes.get("name") and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value") or ""


def first_form(response: requests.Response) -> tuple[str, dict[str, str]]:
    parser = FormParser()
    parser.feed(response.text)
    assert parser.action is not None, f"no form in {response.url}: {response.text[:300]}"
    return urljoin(response.url, parser.action), parser.fields


def callback_url(browser: requests.Session, live_server_url: str, login: str) -> str:
    """Start at Pilotis' login button, sign in and consent at the provider like an agent would;
    return the URL the provider sends the browser back to, not yet followed."""
    response = browser.get(f"{live_server_url}/oidc/authenticate/", allow_redirects=False)
    for _step in range(12):
        if response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith(f"{live_server_url}/oidc/callback/"):
                return url
            response = browser.get(url, allow_redirects=False)
        elif response.status_code == 200:
            action, fields = first_form(response)  # the login form, then the consent form
            data = {**fields, "login": login, "password": "any"}
            response = browser.post(action, data=data, allow_redirects=False)
        else:
            pytest.fail(f"{response.url} answered {response.status_code}: {response.text[:300]}")
    pytest.fail("the provider never sent the browser back to Pilotis")


def login_through_provider(
    browser: requests.Session, live_server_url: str, login: str
) -> requests.Response:
    """The whole login; returns Pilotis' answer to the callback, not followed."""
    return browser.get(callback_url(browser, live_server_url, login), allow_redirects=False)


def session_of(browser: requests.Session):
    engine = import_module(django_settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=browser.cookies.get(django_settings.SESSION_COOKIE_NAME))


def logged_in_user(browser: requests.Session):
    user_id = session_of(browser).get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.fixture
def tenants(db):
    """Lyon, whose SIREN begins Camille's SIRET, and Villeurbanne, unrelated to her."""
    return {
        "lyon": Tenant.objects.create(code="69123", kind="commune", name="Lyon", siren="216901231"),
        "villeurbanne": Tenant.objects.create(
            code="69266", kind="commune", name="Villeurbanne", siren="216902668"
        ),
    }


@pytest.mark.parametrize("userinfo_kind", ["jwt_userinfo", "json_userinfo"])
def test_oidc_login_new_agent_created_and_joins_tenant_of_siret(
    live_server, oidc_provider, oidc_settings, tenants, userinfo_kind
):
    """An unknown agent is created with the provider's e-mail and names, logged in, and made an
    elected official (read-only) of the tenant whose SIREN begins the SIRET, and of no other;
    userinfo may come as a signed JWT (ProConnect) or as JSON (a generic provider)."""
    oidc_settings.OIDC_RP_CLIENT_ID = oidc_provider.client_id(userinfo_kind)
    browser = requests.Session()

    callback = login_through_provider(browser, live_server.url, "camille-idp1")

    assert callback.status_code == 302
    assert callback.headers["Location"] == "/"
    user = logged_in_user(browser)
    assert user is not None
    assert (user.username, user.email) == ("camille.martin@mairie-lyon.fr",) * 2
    assert (user.first_name, user.last_name) == ("Camille", "Martin")
    assert not user.has_usable_password()
    assert session_of(browser).get("oidc_id_token")
    memberships = Membership.objects.filter(user=user)
    assert [(m.tenant, m.role) for m in memberships] == [(tenants["lyon"], "elected")]
    granted = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_GRANTED)
    assert granted.tenant == tenants["lyon"]
    assert granted.details == {"via": "oidc", "siret": LYON_SIRET, "role": "elected"}
    login = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert (login.actor, login.details) == (user, {"method": "oidc"})


def test_oidc_login_existing_user_matched_by_email_whatever_sub_or_case(
    live_server, oidc_settings, tenants
):
    """ProConnect's `sub` differs per identity provider: the same e-mail, in any case, through
    two providers, is one user; the administrator role granted before is never changed."""
    known = User.objects.create_user("cmartin", email="CAMILLE.MARTIN@mairie-lyon.fr")
    Membership.objects.create(user=known, tenant=tenants["lyon"], role="admin")

    for login in ("camille-idp1", "camille-idp2"):
        browser = requests.Session()
        assert login_through_provider(browser, live_server.url, login).status_code == 302
        assert logged_in_user(browser) == known

    assert User.objects.count() == 1
    assert Membership.objects.get(user=known).role == "admin"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_GRANTED).exists()


def test_oidc_login_siret_of_no_tenant_joins_none(live_server, oidc_settings, tenants):
    """An agent of an organisation Pilotis does not serve logs in but belongs to no tenant."""
    browser = requests.Session()

    login_through_provider(browser, live_server.url, "dominique-state")

    user = logged_in_user(browser)
    assert user.email == "dominique.durand@numerique.gouv.fr"
    assert not Membership.objects.filter(user=user).exists()


def test_oidc_login_inactive_user_refused(live_server, oidc_settings, tenants):
    """A deactivated account stays out, and gets no membership through its SIRET."""
    User.objects.create_user("camille", email="camille.martin@mairie-lyon.fr", is_active=False)
    browser = requests.Session()

    callback = login_through_provider(browser, live_server.url, "camille-idp1")

    assert callback.headers["Location"] == "/connexion/"
    assert logged_in_user(browser) is None
    assert not Membership.objects.exists()


def test_oidc_authorization_request_only_proconnect_params(live_server, oidc_settings):
    """The authorization request carries ProConnect's parameters and no other, with a state and
    a nonce of at least 32 characters (the provider refuses anything else, so every successful
    login above proves it too)."""
    browser = requests.Session()

    response = browser.get(f"{live_server.url}/oidc/authenticate/", allow_redirects=False)

    location = urlsplit(response.headers["Location"])
    params = parse_qs(location.query)
    assert location.path == "/auth"
    assert set(params) == PROCONNECT_PARAMS
    assert all(len(params[name][0]) >= 32 for name in ("state", "nonce"))
    assert params["redirect_uri"] == [f"{live_server.url}/oidc/callback/"]


def test_oidc_authorization_request_acr_values_when_configured(live_server, oidc_settings, tenants):
    """acr_values is sent only when configured, and the provider takes it."""
    oidc_settings.OIDC_ACR_VALUES = "eidas1"
    browser = requests.Session()

    response = browser.get(f"{live_server.url}/oidc/authenticate/", allow_redirects=False)
    assert parse_qs(urlsplit(response.headers["Location"]).query)["acr_values"] == ["eidas1"]
    assert login_through_provider(browser, live_server.url, "camille-idp1").status_code == 302
    assert logged_in_user(browser) is not None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": "s" * 31}, "state shorter than 32"),
        ({"nonce": "n" * 31}, "nonce shorter than 32"),
        ({"prompt": "login"}, "unexpected parameter(s): prompt"),
        ({"code_challenge": "x" * 43}, "unexpected parameter(s): code_challenge"),
    ],
)
def test_provider_rejects_request_proconnect_would(live_server, oidc_provider, change, reason):
    """The provider's guard really refuses what ProConnect refuses, so a login passing through
    it proves Pilotis complies."""
    params = {
        "response_type": "code",
        "client_id": oidc_provider.client_id(),
        "redirect_uri": f"{live_server.url}/oidc/callback/",
        "scope": "openid email",
        "state": get_random_string(32),
        "nonce": get_random_string(32),
    }
    endpoint = f"{oidc_provider.issuer}/auth"

    accepted = requests.get(endpoint, params=params, allow_redirects=False, timeout=5)
    refused = requests.get(endpoint, params={**params, **change}, allow_redirects=False, timeout=5)

    assert accepted.status_code == 303
    assert refused.status_code == 400
    assert reason in refused.text


def test_oidc_logout_redirects_to_provider_with_id_token_hint(live_server, oidc_settings, tenants):
    """Logging out ends the Pilotis session, then sends the browser to the provider's
    end-session endpoint with id_token_hint, state and post_logout_redirect_uri, which the
    provider accepts and answers by returning to Pilotis."""
    browser = requests.Session()
    login_through_provider(browser, live_server.url, "camille-idp1")
    id_token = session_of(browser)["oidc_id_token"]
    csrf_token = get_random_string(32)
    browser.cookies.set(django_settings.CSRF_COOKIE_NAME, csrf_token)

    response = browser.post(
        f"{live_server.url}/deconnexion/",
        headers={"X-CSRFToken": csrf_token},
        allow_redirects=False,
    )

    location = urlsplit(response.headers["Location"])
    params = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{oidc_settings.OIDC_DISCOVERY_URL.removesuffix('/.well-known/openid-configuration')}"
        "/session/end"
    )
    assert params["id_token_hint"] == id_token
    assert len(params["state"]) >= 32
    assert params["post_logout_redirect_uri"] == f"{live_server.url}/"
    assert logged_in_user(browser) is None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).count() == 1

    confirmation = browser.get(response.headers["Location"], allow_redirects=False)
    action, fields = first_form(confirmation)
    back = browser.post(action, data={**fields, "logout": "yes"}, allow_redirects=False)
    back_to = urlsplit(back.headers["Location"])
    assert back_to._replace(query="").geturl() == f"{live_server.url}/"
    assert parse_qs(back_to.query)["state"] == [params["state"]]


def test_oidc_logout_without_id_token_stays_local(oidc_settings, rf):
    """A session opened with a password has no ID token: logging out stays in Pilotis."""
    request = rf.post("/deconnexion/")
    request.session = import_module(django_settings.SESSION_ENGINE).SessionStore()

    assert oidc.provider_logout_url(request) == "/"


# Unit level: what the backend accepts as signed by the provider.


def forged_token(claims: dict, **header) -> str:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(
        claims, other_key, algorithm="RS256", headers={"kid": "pilotis-test", **header}
    )


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda claims, secret: forged_token(claims), id="signed-with-another-key"),
        pytest.param(
            lambda claims, secret: jwt.encode(claims, None, algorithm="none"),
            id="unsigned-alg-none",
        ),
        pytest.param(
            lambda claims, secret: jwt.encode(claims, secret, algorithm="HS256"),
            id="hs256-with-client-secret",
        ),
        pytest.param(lambda claims, secret: "not.a.jwt", id="garbage"),
    ],
)
def test_oidc_verified_claims_refuses_token_not_signed_by_provider(
    oidc_settings, oidc_provider, forge
):
    """A userinfo or ID token is believed only when the provider's key signed it with RS256."""
    claims = {"iss": oidc_provider.issuer, "aud": oidc_provider.client_id(), "sub": "camille-idp1"}

    with pytest.raises(SuspiciousOperation):
        oidc.ProConnectBackend().verified_claims(forge(claims, oidc_provider.client_secret))


def test_oidc_verified_claims_refuses_tampered_provider_token(live_server, oidc_settings):
    """A genuine ID token from the provider whose payload was altered is refused."""
    browser = requests.Session()
    login_through_provider(browser, live_server.url, "dominique-state")
    genuine = session_of(browser)["oidc_id_token"]
    header, payload, signature = genuine.split(".")
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps({**claims, "sub": "camille-idp1"}).encode())
        .decode()
        .rstrip("=")
    )

    backend = oidc.ProConnectBackend()
    assert backend.verified_claims(genuine)["sub"] == "dominique-state"
    with pytest.raises(SuspiciousOperation):
        backend.verified_claims(f"{header}.{forged_payload}.{signature}")


def test_oidc_backend_ignores_password_logins(settings, rf):
    """Password logins never reach the provider (here, one that does not exist)."""
    settings.OIDC_ENABLED = True
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    request = rf.post("/connexion/?code=x&state=y")

    assert oidc.ProConnectBackend().authenticate(request, username="a", password="b") is None


def test_oidc_discovery_fetched_once_then_cached(oidc_settings):
    """Endpoints come from the discovery document, read once and kept until the TTL."""
    token_endpoint = oidc.oidc_setting("OIDC_OP_TOKEN_ENDPOINT")
    document = oidc.discovery.documents[oidc_settings.OIDC_DISCOVERY_URL][1]

    assert token_endpoint == document["token_endpoint"]
    assert oidc.oidc_setting("OIDC_OP_JWKS_ENDPOINT") == document["jwks_uri"]
    assert oidc.discovery.documents[oidc_settings.OIDC_DISCOVERY_URL][1] is document
    expired = oidc.DiscoveryCache(ttl=-1)
    first = expired.get(oidc_settings.OIDC_DISCOVERY_URL)
    assert expired.get(oidc_settings.OIDC_DISCOVERY_URL) is not first


def test_oidc_discovery_unreachable_sends_back_to_login(db, settings, client):
    """A provider that does not answer leaves the agent on the login page with a message."""
    settings.OIDC_ENABLED = True
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    oidc.discovery.clear()

    response = client.get("/oidc/authenticate/")

    assert response.status_code == 302
    assert response["Location"] == "/connexion/"


def test_oidc_views_not_found_when_disabled(db, settings, client):
    settings.OIDC_ENABLED = False

    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


@pytest.mark.parametrize(
    ("siret", "siren"),
    [
        ("21690123100011", "216901231"),
        ("216 901 231 00011", "216901231"),
        ("2169012310001", None),
        ("2169012310001A", None),
        ("", None),
        (None, None),
    ],
)
def test_siren_from_siret(siret, siren):
    assert oidc.siren_from_siret(siret) == siren


def test_join_tenants_by_siret_configured_role(settings, tenants):
    """The role given is the operator's choice (PILOTIS_OIDC_DEFAULT_ROLE); an unknown one is
    refused with a sentence."""
    user = User.objects.create_user("agent", email="agent@mairie-lyon.fr")
    settings.OIDC_DEFAULT_ROLE = "analyst"

    created = oidc.join_tenants_by_siret(user, LYON_SIRET, oidc.default_role())

    assert [(m.tenant, m.role) for m in created] == [(tenants["lyon"], "analyst")]
    settings.OIDC_DEFAULT_ROLE = "mayor"
    with pytest.raises(ImproperlyConfigured, match="PILOTIS_OIDC_DEFAULT_ROLE"):
        oidc.default_role()


def test_oidc_callback_replayed_in_another_browser_refused(live_server, oidc_settings, tenants):
    """A callback URL (code and state) stolen and replayed in another browser logs nobody in:
    the state must be the one this browser's session sent."""
    callback = login_through_provider(requests.Session(), live_server.url, "camille-idp1")
    other_browser = requests.Session()

    replay = other_browser.get(callback.request.url, allow_redirects=False)

    assert replay.headers["Location"] == "/connexion/"
    assert logged_in_user(other_browser) is None


def test_oidc_callback_naming_another_issuer_refused(live_server, oidc_settings, tenants):
    """An authorization response whose `iss` is not our provider's is refused (RFC 9207)."""
    browser = requests.Session()
    url = urlsplit(callback_url(browser, live_server.url, "camille-idp1"))
    params = parse_qs(url.query)
    mixed_up = url._replace(query=urlencode({**params, "iss": "https://idp.example"}, doseq=True))

    response = browser.get(mixed_up.geturl(), allow_redirects=False)

    assert params["iss"] == [oidc_settings.OIDC_DISCOVERY_URL.split("/.well-known")[0]]
    assert response.headers["Location"] == "/connexion/"
    assert logged_in_user(browser) is None
