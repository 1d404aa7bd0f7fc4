"""Settings, read from environment variables.

DJANGO_DEBUG           "true" for development (default false)
DJANGO_SECRET_KEY      required unless DJANGO_DEBUG is true
DJANGO_ALLOWED_HOSTS   comma-separated host names (default: localhost names in debug)
DATABASE_URL           e.g. postgres://postgres@127.0.0.1:5432/lotserial (default: SQLite file var/db.sqlite3)
DJANGO_SECURE_SSL      "false" when TLS ends in front of a proxy that does not forward https (default true off debug)
DJANGO_CONN_MAX_AGE    seconds a connection is kept between requests (default 60 on PostgreSQL)
DJANGO_PG_SERVER_BINDING  "false" behind a pooler that cannot keep prepared statements (default true)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (set DJANGO_DEBUG=true for a development machine)."
        )
    # Development only: debug is on, so this key never signs anything that matters.
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# A document form sends about six fields per line; Django's default of 1,000 would refuse a
# 170-line receipt outright.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "crispy_forms",
    "crispy_bootstrap5",
    "inventory",
    "traceability",
    "manufacturing",
    "pos",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with far-future cache headers, before anything that would touch the session.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (the sign-in page).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "inventory.middleware.ActiveCompanyMiddleware",
    # "database is locked" after SQLite's busy timeout: a 503 "try again", not a 500.
    "inventory.middleware.DatabaseBusyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # A signed-in user's pages and exports are private data: never kept in a cache.
    "inventory.middleware.PrivateNoStoreMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the sign-in page saying so.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inventory.context_processors.workspace",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
if not os.environ.get("DATABASE_URL"):
    # The default SQLite file's folder (git ignores it): made here too, so that `manage.py migrate`
    # works on a fresh clone without `make run`, which makes it first.
    (BASE_DIR / "var").mkdir(exist_ok=True)
# A server keeps its PostgreSQL connection between requests (a new one costs a few milliseconds
# per page); checked before reuse, so a restarted database is reconnected to, not an error.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60" if DATABASE_URL.startswith("postgres") else "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Pages are short queries on indexes: PostgreSQL's JIT compiler spends hundreds of
    # milliseconds compiling plans it estimates as large, far more than it would save here. Its
    # default random_page_cost (4) prices an index read for a spinning disk: on SSD or cached data
    # it made the planner scan a million balances (0.2 s) to find a recall's 10,000 by index (0.02 s).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off -c random_page_cost=1.1")
    # Parameters bound by the server, so that a repeated statement is planned once (config/pg.py;
    # one with more parameters than the protocol takes is bound on the client). Off with
    # DJANGO_PG_SERVER_BINDING=false (behind a pooler that cannot keep prepared statements).
    if env_bool("DJANGO_PG_SERVER_BINDING", True):
        from config.pg import Cursor

        DATABASES["default"]["OPTIONS"].update({"cursor_factory": Cursor, "prepare_threshold": 5})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A small shop's few clerks at once: readers never wait for a writer (WAL), a writer waits up
    # to 20 s for the lock (busy timeout) and takes it when its transaction begins (IMMEDIATE), so
    # it queues instead of failing mid-way with "database is locked". synchronous=FULL: a commit
    # survives a power cut (the ledger loses nothing), at the cost of a sync per commit.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Selects with thousands of options (customers, items) written in one pass: inventory/web/widgets.py.
FORM_RENDERER = "inventory.web.widgets.FastSelectRenderer"
# A choice of partner or item is an ordinary select up to this many rows; past it, a text input
# whose suggestions are fetched as the user types (inventory/web/choices.py).
CHOICES_SELECT_LIMIT = 200

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Off debug, `collectstatic` writes hashed, compressed copies that whitenoise serves with
# far-future cache headers; in debug (development, tests) the files are served as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Whitenoise indexes the collected files when the app starts, unless debug was on at start: then it
# looks each one up when asked (so a test client does not index var/staticfiles for every test).
WHITENOISE_AUTOREFRESH = DEBUG

# Sign-in throttling: a username tried from one address is locked for a while after a few wrong
# passwords. Per (username, address) pair, so an attacker can neither guess on nor lock the
# account out for everyone else.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "inventory.views.home.sign_in_locked_out"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inventory:home"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "tables/bootstrap5.html"

# Transport security: on by default whenever debug is off.
SECURE = env_bool("DJANGO_SECURE_SSL", not DEBUG)
SECURE_SSL_REDIRECT = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000" if SECURE else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: only this site's own files run or style the pages; no inline script
# (behaviour lives in static/js/app.js), no inline style attributes or <style> in the templates.
# Bootstrap and htmx set styles through the CSSOM, which style-src does not govern. Bootstrap's
# CSS draws a few icons (the select arrow, the close button, the menu toggler) as data: SVGs.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# A load balancer probes the health check over plain http, past the TLS redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Django's own default gives "django" a console handler in debug (and mail_admins off it)
    # while the record also propagates to the root's console: every traceback twice. Its records
    # go to the root's handler only.
    "loggers": {"django": {"handlers": [], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")}},
}
