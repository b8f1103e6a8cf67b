"""The anonymous questionnaire: enter a code (or open a QR link), answer, done.

Nothing here touches the session or the audit trail: the ballot is the respondent's only
trace. The code travels as a query parameter (QR link) or a hidden form field.
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.utils.translation import gettext as _

from surveys import codes

from . import throttle
from .forms import CodeForm, QuestionnaireForm
from .services import CodeRefused, ballot_cast_online, code_check


def private(view):
    """No caching, and the URL (it may hold the code) never goes to another site as a referrer.

    Not "no-referrer": browsers then send "Origin: null" and Django's CSRF check fails.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex"
        return response

    return never_cache(wrapped)


def _entry(request, error=None, code="", status=200):
    form = CodeForm(initial={"code": code})
    return render(
        request, "surveys/respondent/enter.html", {"form": form, "error": error}, status=status
    )


@private
@require_http_methods(["GET", "POST"])
def start(request):
    data = request.POST if request.method == "POST" else request.GET
    raw = data.get("code")
    if raw is None:
        return _entry(request)
    if not raw.strip():
        return _entry(request, error=_("请输入测评码。"))
    client = throttle.client_key(request)
    if throttle.is_blocked(client):
        return _entry(request, error=throttle.BLOCKED_MESSAGE, code=raw, status=429)
    try:
        round_unit = code_check(raw)
    except CodeRefused as refusal:
        if refusal.reason == "unknown":
            # Only a well-formed code that matches nothing costs a lookup and tells a
            # guesser something; a mistyped one is caught by its check character.
            throttle.record_failure(client)
        return _entry(request, error=refusal.message, code=raw)

    shown = codes.display(codes.normalize(raw))
    if request.method == "GET":
        form = QuestionnaireForm(round_=round_unit.round, initial={"code": shown})
    else:
        form = QuestionnaireForm(request.POST, round_=round_unit.round)
        if form.is_valid():
            try:
                ballot_cast_online(
                    code=raw,
                    category=form.category,
                    answers=form.answers(),
                    opinion=form.opinion(),
                )
            except CodeRefused as refusal:  # lost a race with another submission
                return _entry(request, error=refusal.message, code=raw)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return redirect("respondent:thanks")
    context = {"form": form, "round": round_unit.round, "unit": round_unit.unit, "code": shown}
    return render(request, "surveys/respondent/questionnaire.html", context)


@private
def thanks(request):
    return render(request, "surveys/respondent/thanks.html")
