"""The anonymous questionnaire: enter a code (or open a QR link), answer, done.

Nothing here touches the session or the audit trail: the ballot is the respondent's only
trace. The code travels as a query parameter (QR link) or a hidden form field.
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.utils import translation
from django.utils.translation import gettext as _

from surveys import codes

from . import throttle
from .forms import CodeForm, QuestionnaireForm, ballot_from_post
from .services import CodeRefused, ballot_cast_online, code_check, unit_named


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


# The questions of an open round, as a blank form renders them: the same for every respondent
# (the round's questionnaire is frozen), so each process renders them once per round and language.
_BLANK_QUESTIONS = {}


def _blank_questions(round_):
    if not round_.is_frozen or round_.opened_at is None:
        return None
    key = (round_.pk, round_.opened_at, translation.get_language())  # rendered in that language
    cached = _BLANK_QUESTIONS.get(key)
    if cached is None:
        if len(_BLANK_QUESTIONS) >= 64:
            _BLANK_QUESTIONS.clear()
        form = QuestionnaireForm(round_=round_)
        cached = (render_to_string("surveys/respondent/_fields.html", {"form": form}), form.required_count())
        _BLANK_QUESTIONS[key] = cached
    return cached


def _refused(request, refusal, raw):
    if refusal.reason == "unknown" and throttle.record_unknown(request):
        return _entry(request, error=throttle.BLOCKED_MESSAGE, code=raw, status=429)
    return _entry(request, error=refusal.message, code=raw)


@private
@require_http_methods(["GET", "POST"])
def start(request):
    data = request.POST if request.method == "POST" else request.GET
    raw = data.get("code")
    if raw is None:
        return _entry(request)
    if not raw.strip():
        return _entry(request, error=_("请输入测评码。"))
    # The code first: a valid code is never refused because of its address (a hall behind
    # one NAT); only unknown codes count towards the throttle. A questionnaire's POST names
    # its unit; the write checks the code itself, so a known unit needs no read here.
    round_unit = unit_named(request.POST.get("unit")) if request.method == "POST" else None
    if round_unit is None:
        try:
            round_unit = code_check(raw)
        except CodeRefused as refusal:
            return _refused(request, refusal, raw)

    shown = codes.display(codes.normalize(raw))
    fields_html = required_count = None
    if request.method == "GET":
        form = None
        fields_html, required_count = _blank_questions(round_unit.round) or (None, None)
    else:
        # Straight to the write; the form is built only to explain a refusal beside its question.
        category, answers, opinion = ballot_from_post(request.POST, round_unit.round)
        try:
            ballot_cast_online(
                code=raw, round_unit=round_unit, category=category, answers=answers, opinion=opinion,
            )
        except CodeRefused as refusal:  # used, lost a race, closed a moment ago …
            return _refused(request, refusal, raw)
        except ValidationError as error:
            form = QuestionnaireForm(request.POST, round_=round_unit.round)
            if form.is_valid():  # refused for a reason the form does not check
                for message in error.messages:
                    form.add_error(None, message)
        else:
            return redirect("respondent:thanks")
    if form is None and fields_html is None:
        form = QuestionnaireForm(round_=round_unit.round)
    if form is not None:
        required_count = form.required_count()
    context = {
        "form": form, "fields_html": fields_html, "required_count": required_count, "round": round_unit.round,
        "unit": round_unit.unit, "code": shown, "unit_ref": round_unit.pk,
    }
    return render(request, "surveys/respondent/questionnaire.html", context)


@private
def thanks(request):
    return render(request, "surveys/respondent/thanks.html")
