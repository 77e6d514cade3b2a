"""Pilotis settings: every value comes from the environment, with defaults that let `make demo`
run with nothing set. The options are declared once in `pilotis.options` (with help text), listed
in docs/configuration.md, and a test keeps both in step."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pilotis.options import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PILOTIS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("PILOTIS_DEBUG")
SECRET_KEY = env_str("PILOTIS_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("PILOTIS_INSECURE_DEMO"):
        raise ImproperlyConfigured(
            "PILOTIS_SECRET_KEY n'est pas défini : définissez une clé secrète longue et aléatoire "
            "(ou PILOTIS_INSECURE_DEMO=1 pour une démonstration locale). / PILOTIS_SECRET_KEY is "
            "not set: set a long random secret (or PILOTIS_INSECURE_DEMO=1 for a local demo)."
        )
    SECRET_KEY = "insecure-demo-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("PILOTIS_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("PILOTIS_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "mozilla_django_oidc",
    "huey.contrib.djhuey",
    "ninja",
    "pilotis.audit",
    "pilotis.referential",
    "pilotis.tenants",
    "pilotis.accounts",
    "pilotis.shell",
    "pilotis.warehouse",
    "pilotis.connectors",
    "pilotis.catalog",
    "pilotis.metrics",
    "pilotis.requests",
    "pilotis.parking",
    "pilotis.finance",
    "pilotis.hr",
    "pilotis.online",
    "pilotis.portfolio",
    "pilotis.opendata",
    "pilotis.home",
    "pilotis.alerts",
    "pilotis.dashboards",
    "pilotis.open311",
    "pilotis.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pilotis.shell.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "pilotis.urls"
WSGI_APPLICATION = "pilotis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pilotis.shell.context.shell",
                "pilotis.alerts.views.unread",
            ],
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pilotis.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets web workers read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAREHOUSE_DIR = Path(env_str("PILOTIS_WAREHOUSE_DIR", str(VAR_DIR / "warehouse")))
OPENDATA_DIR = Path(env_str("PILOTIS_OPENDATA_DIR", str(VAR_DIR / "opendata")))
# The key of the hashes that keep an identifier joinable in open data without revealing it.
OPENDATA_SECRET = env_str("PILOTIS_OPENDATA_SECRET", "")
# Memory DuckDB may use during one load before it spills to disk (var/staging).
LOAD_MEMORY_LIMIT = env_str("PILOTIS_LOAD_MEMORY_LIMIT", "1GB")
# Repeat requests: the same category within this many metres and days of an earlier one.
REPEAT_RADIUS_M = float(env_str("PILOTIS_REPEAT_RADIUS_M", "50"))
REPEAT_WINDOW_DAYS = float(env_str("PILOTIS_REPEAT_WINDOW_DAYS", "7"))

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "pilotis.accounts.oidc.ProConnectBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "shell:home"
LOGOUT_REDIRECT_URL = "shell:home"

# Login throttling: after this many failures for one account within the window, refuse.
LOGIN_MAX_FAILURES = int(env_str("PILOTIS_LOGIN_MAX_FAILURES", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(env_str("PILOTIS_LOGIN_FAILURE_WINDOW", "900"))

# OpenID Connect (ProConnect-compatible). Endpoints come from the discovery document.
OIDC_DISCOVERY_URL = env_str("PILOTIS_OIDC_DISCOVERY_URL", "")
OIDC_RP_CLIENT_ID = env_str("PILOTIS_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("PILOTIS_OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = env_str("PILOTIS_OIDC_SCOPES", "openid email given_name usual_name siret uid")
OIDC_RP_SIGN_ALGO = env_str("PILOTIS_OIDC_SIGN_ALGO", "RS256")
OIDC_ENABLED = bool(OIDC_DISCOVERY_URL and OIDC_RP_CLIENT_ID)
OIDC_STATE_SIZE = 32
OIDC_NONCE_SIZE = 32
OIDC_STORE_ID_TOKEN = True
OIDC_CALLBACK_CLASS = "pilotis.accounts.oidc.ProConnectCallbackView"
OIDC_AUTHENTICATE_CLASS = "pilotis.accounts.oidc.ProConnectAuthenticationView"
OIDC_VERIFY_SSL = env_bool("PILOTIS_OIDC_VERIFY_SSL", True)
OIDC_DEFAULT_ROLE = env_str("PILOTIS_OIDC_DEFAULT_ROLE", "elected")
OIDC_ACR_VALUES = env_str("PILOTIS_OIDC_ACR_VALUES", "")
OIDC_OP_LOGOUT_URL_METHOD = "pilotis.accounts.oidc.provider_logout_url"

EMAIL_BACKEND = env_str("PILOTIS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("PILOTIS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("PILOTIS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env_str("PILOTIS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("PILOTIS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PILOTIS_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("PILOTIS_EMAIL_FROM", "pilotis@localhost")
# The address the public reaches this instance at: links in e-mails sent by the worker, and the
# base of DCAT identifiers when no request gives one.
PILOTIS_PUBLIC_URL = env_str("PILOTIS_PUBLIC_URL", "http://127.0.0.1:8000")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "pilotis" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end packages from the npm registry are copied to pilotis/shell/static/vendor by `make`.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# Visual identity: "neutral" (default: each tenant's own name, logo and colours) or "state"
# (the State's brand, reserved to State services: préfectures, State operators).
THEME = env_str("PILOTIS_THEME", "neutral")
STATE_ENTITY_NAME = env_str("PILOTIS_STATE_ENTITY_NAME", "")
if THEME not in ("neutral", "state"):
    raise ImproperlyConfigured(
        f"PILOTIS_THEME={THEME!r} : valeurs possibles « neutral » ou « state ». / "
        "possible values are 'neutral' or 'state'."
    )
if THEME == "state" and not STATE_ENTITY_NAME:
    raise ImproperlyConfigured(
        "PILOTIS_THEME=state est réservé aux services de l'État : indiquez leur nom dans "
        "PILOTIS_STATE_ENTITY_NAME. / The State theme is reserved to State services: set "
        "PILOTIS_STATE_ENTITY_NAME to the entitled body's name."
    )

# Security headers. HSTS is off until an operator serves Pilotis over HTTPS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(env_str("PILOTIS_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_SSL_REDIRECT = env_bool("PILOTIS_HTTPS")
SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if SECURE_SSL_REDIRECT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background jobs: Huey on SQLite by default, on Redis when PILOTIS_REDIS_URL is set.
REDIS_URL = env_str("PILOTIS_REDIS_URL", "")
if not REDIS_URL:
    # Huey opens its SQLite queue when Django starts, before `pilotis init` could make the folder.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
HUEY = (
    {"huey_class": "huey.RedisHuey", "name": "pilotis", "url": REDIS_URL, "immediate": False}
    if REDIS_URL
    else {
        "huey_class": "huey.SqliteHuey",
        "name": "pilotis",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
    }
)
# The figures of pages (dashboards, indicators) are cached under their tables' versions, where
# every process of the instance reads them: files in var/cache/ by default (`pilotis demo`, the
# worker and `pilotis serve` share what each computed, and it survives a restart), Redis when
# several machines serve.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "TIMEOUT": 24 * 3600,
        # Bounded: each write lists the folder (a few ms at this size); half goes when full.
        "OPTIONS": {"MAX_ENTRIES": 10_000, "CULL_FREQUENCY": 2},
    }
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pilotis",
        }
    }
# Boards computed ahead by the worker (after each load, every morning) and by `pilotis demo`,
# so the first visit of the day is not the one that waits.
WARM_BOARDS = env_bool("PILOTIS_WARM_BOARDS", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PILOTIS_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
