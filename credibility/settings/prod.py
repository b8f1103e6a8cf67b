"""Production: refuses to start without its secrets; HTTPS and strict headers by default.

Every variable read here and in base.py is listed in docs/deploy.md. On a plain-HTTP
intranet, turn the HTTPS switches off with DJANGO_SECURE_SSL_REDIRECT=0,
DJANGO_SECURE_COOKIES=0 and DJANGO_HSTS_SECONDS=0.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env_bool

if not SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if not SURVEY_CODE_KEY:  # noqa: F405
    raise ImproperlyConfigured("SURVEY_CODE_KEY must be set in production.")
if not SURVEY_SEAL_KEY:  # noqa: F405
    raise ImproperlyConfigured("SURVEY_SEAL_KEY must be set in production.")

DEBUG = False

# HTTPS only: plain-HTTP requests are redirected, cookies never travel unencrypted, and
# browsers remember (HSTS) to use HTTPS for this host and its subdomains for a year.
# Preloading takes effect only if the domain is submitted to the browsers' preload list.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = BASE_DIR / "staticfiles"  # noqa: F405
