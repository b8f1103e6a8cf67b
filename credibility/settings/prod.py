"""Production: refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403

if not SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if not SURVEY_CODE_KEY:  # noqa: F405
    raise ImproperlyConfigured("SURVEY_CODE_KEY must be set in production.")
if not SURVEY_SEAL_KEY:  # noqa: F405
    raise ImproperlyConfigured("SURVEY_SEAL_KEY must be set in production.")

SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)  # noqa: F405
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = BASE_DIR / "staticfiles"
