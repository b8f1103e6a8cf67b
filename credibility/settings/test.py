from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-secret-key"
SURVEY_CODE_KEY = "test-code-key"
SURVEY_SEAL_KEY = "test-seal-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The live server thread must not keep connections open past a test (PostgreSQL teardown).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Jobs run inside the test, on enqueue; tests/jobs also drive the real worker once.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Mixes run right after the submitting commit, in the test's thread, so tests see them.
SURVEY_MIX_IN_BACKGROUND = False
