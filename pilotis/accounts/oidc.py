"""OpenID Connect login that works with ProConnect, the State's federation of public agents.

mozilla-django-oidc does the authorization-code flow; this module adapts it where ProConnect
departs from a generic provider:
- endpoints come from the discovery document (fetched on first use, kept an hour), never from one
  setting each;
- userinfo comes as a signed JWT (verified with the provider's keys); plain JSON is accepted too;
- the authorization request carries only the parameters ProConnect accepts, with a state and a
  nonce of at least 32 characters;
- the `sub` differs per identity provider behind ProConnect, so users are matched by e-mail;
- the `siret` claim's SIREN finds the agent's collectivité, where a first login grants a role;
- logging out closes the provider's session too (`id_token_hint`, `state`, return URI).
"""

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import (
    add_state_and_verifier_and_nonce_to_session,
    import_from_settings,
)
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    get_next_url,
)

from pilotis.errors import PilotisError
from pilotis.tenants.models import Membership, Tenant
from pilotis.tenants.roles import Role
from pilotis.tenants.services import set_role

logger = logging.getLogger(__name__)

# ProConnect refuses shorter values (and so does tests/accounts/oidc_provider/provider.mjs).
MIN_STATE_AND_NONCE_LENGTH = 32
DISCOVERY_TTL_SECONDS = 3600
DEFAULT_TIMEOUT_SECONDS = 10
JWT_LEEWAY_SECONDS = 30

# mozilla-django-oidc setting name → key of the discovery document.
DISCOVERED_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
    "OIDC_OP_ISSUER": "issuer",
}


class ProviderUnavailable(PilotisError):
    """The OpenID provider's discovery document could not be read."""


@dataclass
class DiscoveryCache:
    """Discovery documents by URL, each fetched on first use and kept `ttl` seconds."""

    ttl: float = DISCOVERY_TTL_SECONDS
    documents: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def get(self, url: str) -> dict[str, Any]:
        fetched_at, document = self.documents.get(url, (0.0, {}))
        if time.monotonic() - fetched_at > self.ttl or not document:
            document = fetch_discovery_document(url)
            self.documents[url] = (time.monotonic(), document)
        return document

    def clear(self) -> None:
        self.documents.clear()


discovery = DiscoveryCache()


def fetch_discovery_document(url: str) -> dict[str, Any]:
    """Read `.well-known/openid-configuration`; raise ProviderUnavailable when it cannot."""
    try:
        response = requests.get(
            url,
            verify=import_from_settings("OIDC_VERIFY_SSL", True),
            timeout=import_from_settings("OIDC_TIMEOUT", DEFAULT_TIMEOUT_SECONDS),
            proxies=import_from_settings("OIDC_PROXY", None),
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(
            f"Le fournisseur d'identité ne répond pas ({url}) : réessayez plus tard. / "
            f"The identity provider's discovery document could not be read: {exc}"
        ) from exc
    if not isinstance(document, dict) or "issuer" not in document:
        raise ProviderUnavailable(
            f"{url} n'est pas un document de découverte OpenID : vérifiez "
            "PILOTIS_OIDC_DISCOVERY_URL. / This is not an OpenID discovery document."
        )
    return document


def oidc_setting(attr: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting; endpoints come from the discovery document when set."""
    if attr in DISCOVERED_SETTINGS and settings.OIDC_DISCOVERY_URL:
        value = discovery.get(settings.OIDC_DISCOVERY_URL).get(DISCOVERED_SETTINGS[attr])
        if value:
            return value
        if default:
            return default[0]
        raise ImproperlyConfigured(
            f"Le document {settings.OIDC_DISCOVERY_URL} n'indique pas "
            f"« {DISCOVERED_SETTINGS[attr]} ». / The discovery document lacks this endpoint."
        )
    if attr == "OIDC_TIMEOUT":
        return import_from_settings(attr, DEFAULT_TIMEOUT_SECONDS)
    return import_from_settings(attr, *default)


def siren_from_siret(siret: Any) -> str | None:
    """The SIREN (9 first digits) of a 14-digit SIRET, or None when it is not one."""
    digits = re.sub(r"\s", "", str(siret or ""))
    return digits[:9] if re.fullmatch(r"\d{14}", digits) else None


def default_role() -> str:
    role = settings.OIDC_DEFAULT_ROLE
    if role not in Role.values:
        raise ImproperlyConfigured(
            f"PILOTIS_OIDC_DEFAULT_ROLE={role!r} : valeurs possibles {', '.join(Role.values)}. / "
            "Unknown role."
        )
    return str(role)


def join_tenants_by_siret(
    user: AbstractBaseUser, siret: str, role: str, request: HttpRequest | None = None
) -> list[Membership]:
    """Make `user` a member, with `role`, of each tenant whose SIREN begins the SIRET.

    An existing membership is left as it is: a login never changes a role granted by an
    administrator. Returns the memberships created.
    """
    siren = siren_from_siret(siret)
    if siren is None:
        return []
    return [
        set_role(user, tenant, role, request=request, context={"via": "oidc", "siret": siret})
        for tenant in Tenant.objects.filter(siren=siren).exclude(memberships__user_id=user.pk)
    ]


class ProConnectBackend(OIDCAuthenticationBackend):
    """Authenticates the OpenID callback: verified tokens, user matched by e-mail, tenant by SIRET.

    Listed in AUTHENTICATION_BACKENDS even when OpenID is off, so it reads nothing at creation
    (Django instantiates backends on every login and request) and answers only the callback.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads every endpoint here; ours are read from discovery when first used.
        self.UserModel = auth.get_user_model()

    get_settings = staticmethod(oidc_setting)
    get_user = ModelBackend.get_user  # refuses inactive users, unlike the parent's

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_USER_ENDPOINT"))

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_RP_CLIENT_SECRET)

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return str(oidc_setting("OIDC_RP_SIGN_ALGO", "RS256"))

    @property
    def OIDC_RP_IDP_SIGN_KEY(self) -> str | None:
        return oidc_setting("OIDC_RP_IDP_SIGN_KEY", None)  # type: ignore[no-any-return]

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback view passes a nonce; password logins must not reach the provider.
        if not settings.OIDC_ENABLED or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of a JWT signed by the provider for us; SuspiciousOperation otherwise.

        Checks the algorithm (the configured one only: no `none`, no HS/RS confusion), the
        signature against the provider's JWKS, the issuer, the audience and the expiry.
        """
        algorithm = self.OIDC_RP_SIGN_ALGO
        try:
            if jwt.get_unverified_header(token).get("alg") != algorithm:
                raise SuspiciousOperation(f"JWT not signed with {algorithm}.")
            if algorithm.startswith("HS"):
                key: Any = self.OIDC_RP_CLIENT_SECRET
            else:
                key = self.OIDC_RP_IDP_SIGN_KEY or self.retrieve_matching_jwk(token)
            return jwt.decode(  # type: ignore[no-any-return]
                token,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=oidc_setting("OIDC_OP_ISSUER", None),
                leeway=JWT_LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"JWT verification failed: {exc}") from exc

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Verify the ID token, its nonce included."""
        payload = self.verified_claims(token)
        if oidc_setting("OIDC_USE_NONCE", True) and kwargs.get("nonce") != payload.get("nonce"):
            raise SuspiciousOperation("JWT nonce verification failed.")
        return payload

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The userinfo claims: a signed JWT (ProConnect) or JSON, for the ID token's subject."""
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            verify=oidc_setting("OIDC_VERIFY_SSL", True),
            timeout=oidc_setting("OIDC_TIMEOUT"),
            proxies=oidc_setting("OIDC_PROXY", None),
        )
        response.raise_for_status()
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            claims = self.verified_claims(response.text)
        else:
            claims = response.json()
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("Userinfo subject differs from the ID token's.")
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(str(claims.get("email") or "").strip())

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        """Users with the claimed e-mail, whatever its case (ProConnect's sub is per provider)."""
        return self.UserModel.objects.filter(email__iexact=str(claims["email"]).strip())

    def create_user(self, claims: dict[str, Any]) -> Any:
        email = str(claims["email"]).strip()
        with transaction.atomic():
            user = self.UserModel.objects.create_user(email[:150], email=email)
            return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        """Refresh the names from the provider and join the agent's collectivité if known."""
        names = {
            "first_name": str(claims.get("given_name") or user.first_name)[:150],
            "last_name": str(claims.get("usual_name") or user.last_name)[:150],
        }
        if any(getattr(user, name) != value for name, value in names.items()):
            for name, value in names.items():
                setattr(user, name, value)
            user.save(update_fields=list(names))
        if user.is_active and claims.get("siret"):
            request = getattr(self, "request", None)
            join_tenants_by_siret(user, str(claims["siret"]), default_role(), request)
        return user


def authorization_params(request: HttpRequest) -> dict[str, str]:
    """The authorization request's parameters: those ProConnect accepts, and no other."""
    callback = oidc_setting("OIDC_AUTHENTICATION_CALLBACK_URL", "oidc_authentication_callback")
    params = {
        "response_type": "code",
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "redirect_uri": request.build_absolute_uri(reverse(callback)),
        "scope": settings.OIDC_RP_SCOPES,
        "state": get_random_string(
            max(MIN_STATE_AND_NONCE_LENGTH, oidc_setting("OIDC_STATE_SIZE", 32))
        ),
        "nonce": get_random_string(
            max(MIN_STATE_AND_NONCE_LENGTH, oidc_setting("OIDC_NONCE_SIZE", 32))
        ),
    }
    acr_values = oidc_setting("OIDC_ACR_VALUES", "")
    if acr_values:
        params["acr_values"] = acr_values
    return params


class ProConnectAuthenticationView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's authorization endpoint."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        # The parent reads the endpoint here, before OIDC_ENABLED could be checked.
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            endpoint = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable:
            logger.exception("OpenID provider unavailable")
            messages.error(request, _("The identity provider does not answer: try again later."))
            return redirect(settings.LOGIN_URL)
        params = authorization_params(request)
        add_state_and_verifier_and_nonce_to_session(request, params["state"], params)
        request.session["oidc_login_next"] = get_next_url(
            request, oidc_setting("OIDC_REDIRECT_FIELD_NAME", "next")
        )
        return HttpResponseRedirect(f"{endpoint}?{urlencode(params)}")


class ProConnectCallbackView(OIDCAuthenticationCallbackView):
    """Receives the provider's answer; a failure goes back to the login page with a message."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            # RFC 9207: an answer naming another issuer is a mix-up attack (or a mistake).
            issuer = request.GET.get("iss")
            if issuer and issuer != oidc_setting("OIDC_OP_ISSUER", None):
                logger.warning("OpenID callback from unexpected issuer %r", issuer)
                return self.login_failure()
            return super().get(request)  # type: ignore[no-any-return]
        except (requests.RequestException, ProviderUnavailable):
            logger.exception("OpenID callback failed talking to the provider")
            return self.login_failure()

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, _("Login through the identity provider failed."))
        return super().login_failure()  # type: ignore[no-any-return]


def provider_logout_url(request: HttpRequest) -> str:
    """Where to send the browser to end the provider's session too (ProConnect requires it).

    Usable as mozilla-django-oidc's OIDC_OP_LOGOUT_URL_METHOD; falls back to the local
    LOGOUT_REDIRECT_URL when the session holds no ID token or the provider cannot be read.
    """
    after_logout = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get("oidc_id_token")
    if not id_token:
        return after_logout
    try:
        endpoint = oidc_setting("OIDC_OP_LOGOUT_ENDPOINT")
    except (ProviderUnavailable, ImproperlyConfigured):
        logger.exception("OpenID provider offers no end-session endpoint")
        return after_logout
    params = {
        "id_token_hint": id_token,
        "state": get_random_string(MIN_STATE_AND_NONCE_LENGTH),
        "post_logout_redirect_uri": request.build_absolute_uri(after_logout),
    }
    return f"{endpoint}?{urlencode(params)}"


def provider_logout(request: HttpRequest) -> HttpResponse:
    """Log out of Pilotis, then of the provider, which sends the browser to LOGOUT_REDIRECT_URL."""
    url = provider_logout_url(request)
    auth.logout(request)
    return HttpResponseRedirect(url)
