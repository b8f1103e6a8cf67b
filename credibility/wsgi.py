import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.prod")
application = get_wsgi_application()

# Each gunicorn worker imports this module before it accepts a connection: the views,
# templates and catalogues are loaded now, not by the first request (credibility/warmup.py).
from credibility.warmup import warm_up  # noqa: E402  (needs the settings loaded above)

warm_up()
