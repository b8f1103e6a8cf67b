from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-secret-key"
SURVEY_CODE_KEY = "test-code-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
