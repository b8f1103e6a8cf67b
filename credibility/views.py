from django.contrib.auth.decorators import login_required
from django.http import (
    HttpResponseBadRequest,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.utils.translation import gettext as _

from accounts.roles import visible_groups
from surveys.models import Round
from units.models import Unit

RESPONDENT_PREFIX = "/s/"


@login_required
def home(request):
    groups = visible_groups(request.user)
    return render(
        request,
        "home.html",
        {
            "unit_count": Unit.objects.active().in_groups(groups).count(),
            "rounds": Round.objects.all()[:6],
        },
    )


def _error_template(request, status):
    """The respondent's own page under /s/ (it says the answers were not recorded)."""
    if request.path_info.startswith(RESPONDENT_PREFIX):
        return f"surveys/respondent/{status}.html"
    return f"{status}.html"


# Error pages render without the request (no context processors, no user, no database), so
# they still work when the database is what failed.


@requires_csrf_token
def bad_request(request, exception):
    body = loader.get_template(_error_template(request, 400)).render()
    return HttpResponseBadRequest(body)


@requires_csrf_token
def page_not_found(request, exception):
    body = loader.get_template(_error_template(request, 404)).render()
    return HttpResponseNotFound(body)


@requires_csrf_token
def server_error(request):
    try:
        body = loader.get_template(_error_template(request, 500)).render()
    except Exception:  # the page about an error must not fail in turn
        body = _("<h1>系统暂时出错（500）</h1><p>请稍后再试。</p>")
    return HttpResponseServerError(body)
