"""Settings shared by every environment; values come from the environment with safe defaults."""

import os
from datetime import timedelta
from pathlib import Path

import bootstrap as bootstrap_static
import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    raw = os.environ.get(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else default


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Behind a reverse proxy that sets X-Forwarded-Proto and X-Forwarded-For (docs/deploy.md):
# trust them for the scheme (HTTPS, secure cookies, CSRF) and for the client's address.
# Off by default: without a proxy in front, a client could forge both headers.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "accounts",
    "audit",
    "units",
    "surveys",
    "jobs",
    "credibility",
]

MIDDLEWARE = [
    "credibility.proxy.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "credibility.urls"
WSGI_APPLICATION = "credibility.wsgi.application"
ASGI_APPLICATION = "credibility.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# SQLite file when DATABASE_URL is unset; PostgreSQL (or anything dj-database-url reads) when set.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so racing submissions queue instead of
    # failing with "database is locked" half way through a transaction.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # A persistent connection that the server dropped (restart, failover) is replaced before
    # the request uses it, instead of failing one request per worker with a 500.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The submission path runs server-side prepared statements (surveys.ballots.fetch_one),
    # parsed and planned once per connection. Django turns psycopg's preparing off
    # (prepare_threshold None), and then `prepare=True` is ignored: every submission planned
    # its statement again (0.23 ms, more than executing it). Only those statements are
    # prepared: Django's own queries bind on the client and are never prepared.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("prepare_threshold", 1_000_000)  # explicit `prepare=True` only, in effect
    # The prepared statements look rows up by key: one generic plan fits every call.
    options["options"] = " ".join(filter(None, [options.get("options"), "-c plan_cache_mode=force_generic_plan"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache shared by every worker process (the wrong-code throttle on /s/ relies on it).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "credibility_cache",
    }
}

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Chinese is the source language (msgids are the Chinese texts); English comes from
# locale/en/LC_MESSAGES/django.po, compiled by `manage.py compile_translations` (docs/i18n.md).
# LocaleMiddleware picks the language from the django_language cookie (the switcher on the
# sign-in page) or the browser's Accept-Language, else Chinese. Each language is named in
# itself, untranslated, so the switcher reads 中文 / English whatever the current language.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# Third-party assets come from Python packages and are served by the app: no CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", Path(bootstrap_static.__file__).parent / "static" / "bootstrap"),
]
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Staff sessions end after a working day (10 hours from sign-in by default) and when the
# browser closes. Respondent pages never use a session.
SESSION_COOKIE_AGE = int(float(os.environ.get("DJANGO_SESSION_HOURS", 10)) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, so
# templates carry no inline <script>, on*= handler or style="" attribute.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws checkboxes, radio buttons, selects and the menu icon as data: SVG.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Key for the keyed hash and encryption of access codes. It lives outside the database so
# that a copy of the database alone reveals no unused code.
SURVEY_CODE_KEY = os.environ.get("SURVEY_CODE_KEY", "")
# Key of the seal (HMAC-SHA256) over a closed round's results, ballots and rules. Outside the
# database, so that database access alone cannot re-seal a changed round (docs/design.md).
SURVEY_SEAL_KEY = os.environ.get("SURVEY_SEAL_KEY", "")
# Publishing a round whose ballots fall below this share (%) of the planned sample, or with
# units without data, needs a written acknowledgment.
SURVEY_PUBLISH_MIN_TURNOUT = int(os.environ.get("SURVEY_PUBLISH_MIN_TURNOUT", 50))

# The address printed on code slips and in their QR codes, e.g. https://cy.example.gov.cn/s/;
# empty: the address the staff member's browser used.
SURVEY_PUBLIC_URL = os.environ.get("SURVEY_PUBLIC_URL", "")

# Ballots are counted in shuffled batches, never one by one (surveys/ballots.py,
# docs/anonymity.md): a unit is mixed at SURVEY_MIX_BATCH pending ballots, and on the timer
# (every SURVEY_MIX_MAX_WAIT seconds) once it has SURVEY_MIX_MIN.
SURVEY_MIX_BATCH = int(os.environ.get("SURVEY_MIX_BATCH", 20))
SURVEY_MIX_MIN = int(os.environ.get("SURVEY_MIX_MIN", 5))
SURVEY_MIX_MAX_WAIT = int(os.environ.get("SURVEY_MIX_MAX_WAIT", 15 * 60))
SURVEY_MIX_IN_BACKGROUND = env_bool("SURVEY_MIX_IN_BACKGROUND", True)
# Unknown access codes per client address, and in all, per 15-minute window before they get
# "too many" (surveys/respondent/throttle.py); a valid code is never refused.
SURVEY_CODE_UNKNOWN_LIMIT = int(os.environ.get("SURVEY_CODE_UNKNOWN_LIMIT", 50))
SURVEY_CODE_UNKNOWN_GLOBAL_LIMIT = int(os.environ.get("SURVEY_CODE_UNKNOWN_GLOBAL_LIMIT", 5000))

# Largest spreadsheet accepted for imports, in bytes.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 5 * 1024 * 1024))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Long work (close and seal, exports, imports) runs in a task worker: `manage.py db_worker`
# (started by `make run`; see docs/jobs.md). JOBS_IMMEDIATE=1 runs it inside the request
# instead, for a machine where no worker runs.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if env_bool("JOBS_IMMEDIATE", False)
        else "django_tasks_db.DatabaseBackend",
    }
}
# Result files of jobs (exports): outside the static and media roots, served only to the
# job's starter through the app.
JOBS_ROOT = Path(os.environ.get("JOBS_ROOT", BASE_DIR / "var" / "jobs"))

# Login lockout (django-axes; page and message in accounts/lockout.py). Failed logins are
# counted per (username, client address) pair, in the database: AXES_FAILURE_LIMIT failures
# lock that pair only - not the account from elsewhere, not other users at the same address -
# for LOGIN_LOCKOUT_MINUTES after the last failure. Attempts while locked do not extend it.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# X-Forwarded-For is trusted only with DJANGO_BEHIND_PROXY (credibility/proxy.py).
AXES_CLIENT_IP_CALLABLE = "credibility.proxy.client_address"
AXES_VERBOSE = False
