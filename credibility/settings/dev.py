"""Local development: choosing this module is asking for DEBUG."""

from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"  # noqa: F405
SURVEY_CODE_KEY = SURVEY_CODE_KEY or "dev-only-code-key-never-use-in-production"  # noqa: F405
SURVEY_SEAL_KEY = SURVEY_SEAL_KEY or "dev-only-seal-key-never-use-in-production"  # noqa: F405
