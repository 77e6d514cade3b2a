"""Every environment variable Pilotis reads, declared once with its help text.

Only `pilotis.settings` calls these readers; below settings nothing reads os.environ.
docs/configuration.md lists the same names (tests/test_consistency.py keeps both in step).
"""

import os

# ruff: noqa: E501 - one line per option reads best
OPTIONS: dict[str, str] = {
    "PILOTIS_VAR_DIR": "Folder of the embedded instance (SQLite file, warehouse, media). Default ./var",
    "PILOTIS_DEBUG": "1 turns Django's debug mode on (never in production). Default off",
    "PILOTIS_SECRET_KEY": "Long random secret; required unless PILOTIS_INSECURE_DEMO=1",
    "PILOTIS_INSECURE_DEMO": "1 allows a built-in secret key, for a local demo only",
    "PILOTIS_ALLOWED_HOSTS": "Comma-separated host names served. Default 127.0.0.1,localhost",
    "PILOTIS_CSRF_TRUSTED_ORIGINS": "Comma-separated origins trusted for forms behind a proxy",
    "DATABASE_URL": "Metadata database, e.g. postgres://user@host:5432/pilotis. Default SQLite",
    "PILOTIS_WAREHOUSE_DIR": "Folder (or later s3:// URL) of the Delta warehouse. Default var/warehouse",
    "PILOTIS_LOAD_MEMORY_LIMIT": "Memory one load may use before spilling to disk (DuckDB size). Default 1GB",
    "PILOTIS_REPEAT_RADIUS_M": "Repeat requests: same category within this many metres. Default 50",
    "PILOTIS_REPEAT_WINDOW_DAYS": "Repeat requests: same category within this many days. Default 7",
    "PILOTIS_LOGIN_MAX_FAILURES": "Failed logins allowed per account within the window. Default 5",
    "PILOTIS_LOGIN_FAILURE_WINDOW": "Login throttling window, in seconds. Default 900",
    "PILOTIS_OIDC_DISCOVERY_URL": "OpenID Connect discovery URL (ProConnect's, or another)",
    "PILOTIS_OIDC_CLIENT_ID": "Client id registered at the OpenID provider",
    "PILOTIS_OIDC_CLIENT_SECRET": "Client secret registered at the OpenID provider",
    "PILOTIS_OIDC_SCOPES": "Scopes asked. Default: openid email given_name usual_name siret uid",
    "PILOTIS_OIDC_SIGN_ALGO": "ID token signature algorithm. Default RS256",
    "PILOTIS_OIDC_VERIFY_SSL": "0 skips TLS verification of the provider (tests only). Default 1",
    "PILOTIS_OIDC_DEFAULT_ROLE": "Role given to an agent whose SIRET matches a tenant. Default elected",
    "PILOTIS_OIDC_ACR_VALUES": "acr_values sent to the OpenID provider (e.g. eidas1). Default: none",
    "PILOTIS_EMAIL_BACKEND": "Django e-mail backend. Default: console (prints mails)",
    "PILOTIS_EMAIL_HOST": "SMTP host. Default localhost",
    "PILOTIS_EMAIL_PORT": "SMTP port. Default 25",
    "PILOTIS_EMAIL_USER": "SMTP user",
    "PILOTIS_EMAIL_PASSWORD": "SMTP password",
    "PILOTIS_EMAIL_USE_TLS": "1 uses STARTTLS for SMTP",
    "PILOTIS_EMAIL_FROM": "Sender address of Pilotis mails. Default pilotis@localhost",
    "PILOTIS_PUBLIC_URL": "Public address of the instance, for links in e-mails and DCAT. "
    "Default http://127.0.0.1:8000",
    "PILOTIS_OPENDATA_DIR": "Folder of the published open-data files. Default var/opendata",
    "PILOTIS_OPENDATA_SECRET": "Secret of the keyed hashes in open data. Default: from the secret key",
    "PILOTIS_THEME": "neutral (each tenant's identity, default) or state (State services only)",
    "PILOTIS_STATE_ENTITY_NAME": "Name of the entitled State body; required with PILOTIS_THEME=state",
    "PILOTIS_HSTS_SECONDS": "Strict-Transport-Security max-age once served over HTTPS. Default 0",
    "PILOTIS_HTTPS": "1 redirects to HTTPS and marks cookies secure",
    "PILOTIS_REDIS_URL": "Redis URL for the task queue (Huey). Default: SQLite queue in var/",
    "PILOTIS_LOG_LEVEL": "Log level. Default INFO",
    "PILOTIS_WARM_BOARDS": "0 stops the worker computing the home boards ahead (after each load, every morning at 5:00). Default 1",
}


def _read(name: str) -> str | None:
    if name not in OPTIONS:
        raise KeyError(f"{name} is not declared in pilotis.options.OPTIONS")
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or the default when unset or empty."""
    return _read(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = _read(name)
    if not value:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on", "oui")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Secrets of data sources (API keys, database passwords) stay out of the database: a source's
# configuration names an environment variable, which must start with this prefix — so that a
# source configured in the UI can never read, say, PILOTIS_SECRET_KEY or DATABASE_URL.
SOURCE_SECRET_PREFIX = "PILOTIS_SOURCE_SECRET_"  # noqa: S105 - a name prefix, not a secret


def source_secret(name: str) -> str | None:
    """The value of a source secret variable; ValueError when the name lacks the prefix."""
    if not name.startswith(SOURCE_SECRET_PREFIX) or len(name) == len(SOURCE_SECRET_PREFIX):
        raise ValueError(name)
    return os.environ.get(name)
