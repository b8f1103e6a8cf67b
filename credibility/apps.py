from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CredibilityConfig(AppConfig):
    """The project package as an app: project-wide commands and checks."""

    name = "credibility"
    verbose_name = _("公信度测评")

    def ready(self):
        checks.register(translations_compiled)


def translations_compiled(app_configs=None, **kwargs):
    """English is offered in LANGUAGES; without its compiled catalog the pages would say
    lang="en" over Chinese text."""
    from credibility.translations import stale

    return [
        checks.Warning(
            f"{po.name} in {po.parent} is not compiled (or changed since).",
            hint="Run `python manage.py compile_translations` (make run/test/serve do it).",
            id="credibility.W001",
        )
        for po in stale()
    ]
