from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"
    verbose_name = _("公信度测评")

    def ready(self):
        from django.utils.translation import gettext

        from credibility.text import series

        from . import scales, scoring

        # scales.py and scoring.py stay free of Django; their labels are translated when read,
        # and their lists take the separator of the current language.
        scales.translate = scoring.translate = gettext
        scoring.series = series
