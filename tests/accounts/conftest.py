"""Fixtures of the OpenID tests: a real provider behaving like ProConnect, run by node."""

import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.urls import NoReverseMatch, reverse

from pilotis.accounts import oidc

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
CLIENT_SECRET = "pilotis-test-secret-0123456789abcdef"
CLIENT_IDS = {
    "jwt_userinfo": "pilotis",  # userinfo as a signed JWT, like ProConnect
    "json_userinfo": "pilotis-json",  # userinfo as JSON, like a generic provider
}

# The agents the provider knows, by `sub`. ProConnect gives one agent a different `sub` per
# identity provider: "camille-idp2" is Camille again, through another one, her e-mail cased
# differently.
ACCOUNTS = {
    "camille-idp1": {
        "email": "camille.martin@mairie-lyon.fr",
        "given_name": "Camille",
        "usual_name": "Martin",
        "siret": "21690123100011",
        "uid": "1",
    },
    "camille-idp2": {
        "email": "Camille.Martin@Mairie-Lyon.fr",
        "given_name": "Camille",
        "usual_name": "Martin",
        "siret": "21690123100011",
        "uid": "c.martin",
    },
    "dominique-state": {
        "email": "dominique.durand@numerique.gouv.fr",
        "given_name": "Dominique",
        "usual_name": "Durand",
        "siret": "13002526500013",
        "uid": "2",
    },
}


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_secret: str = CLIENT_SECRET
    client_ids: tuple[tuple[str, str], ...] = tuple(CLIENT_IDS.items())

    def client_id(self, userinfo_kind: str = "jwt_userinfo") -> str:
        return dict(self.client_ids)[userinfo_kind]

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def provider_config(live_server_url: str) -> dict:
    client = {
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{live_server_url}/oidc/callback/"],
        "post_logout_redirect_uris": [f"{live_server_url}/"],
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    return {
        "clients": [
            {
                **client,
                "client_id": CLIENT_IDS["jwt_userinfo"],
                "userinfo_signed_response_alg": "RS256",
            },
            {**client, "client_id": CLIENT_IDS["json_userinfo"]},
        ],
        "accounts": ACCOUNTS,
    }


def read_issuer(process: subprocess.Popen, timeout: float) -> str:
    """The issuer the provider prints once it listens."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("issuer="):
        raise RuntimeError(f"the OpenID provider did not start (printed {line!r})")
    return line.removeprefix("issuer=").strip()


def wait_for_discovery(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} does not answer")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def oidc_provider(live_server) -> Iterator[Provider]:
    """A node-oidc-provider configured like ProConnect, its clients returning to live_server."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("oidc-provider is not installed: run `make node-test-deps`.")
    env = {**os.environ, "OIDC_PROVIDER_CONFIG": json.dumps(provider_config(live_server.url))}
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            ["node", "provider.mjs"],
            cwd=PROVIDER_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            provider = Provider(issuer=read_issuer(process, timeout=20))
            wait_for_discovery(provider.discovery_url, timeout=20)
        except RuntimeError as exc:
            stop(process)
            stderr.seek(0)
            pytest.fail(f"{exc}\n{stderr.read()}")
        try:
            yield provider
        finally:
            stop(process)


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    """Pilotis pointed at the local provider, as an operator would point it at ProConnect."""
    settings.OIDC_DISCOVERY_URL = oidc_provider.discovery_url
    settings.OIDC_RP_CLIENT_ID = oidc_provider.client_id()
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_RP_SCOPES = "openid email given_name usual_name siret uid"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_ENABLED = True
    settings.OIDC_DEFAULT_ROLE = "elected"
    try:
        reverse("oidc_authentication_callback")
    except NoReverseMatch:
        pytest.fail(
            "pilotis/urls.py must include mozilla_django_oidc.urls under oidc/ whatever "
            "OIDC_ENABLED (Pilotis' OpenID views answer 404 while it is off)."
        )
    oidc.discovery.clear()
    yield settings
    oidc.discovery.clear()
