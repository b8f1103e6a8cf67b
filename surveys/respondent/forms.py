"""Forms for respondents: the code entry and the questionnaire built from a round."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.ballot_form import BallotForm
from surveys.ballots import questionnaire_of


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("测评码"),
        max_length=40,
        error_messages={"required": _("请输入测评码。")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX",
                "inputmode": "text",
            }
        ),
    )


class QuestionnaireForm(BallotForm):
    # The code travels in the form, never in a session or cookie.
    code = forms.CharField(widget=forms.HiddenInput)


def ballot_from_post(data, round_):
    """(category or None, answers, opinion) read straight from a questionnaire's POST.

    The submission's fast path: `surveys.ballots.ballot_clean` checks all of it (the same
    rules the form applies); only when it refuses does the view build the form, for the
    messages beside each question.
    """
    questionnaire = questionnaire_of(round_)
    try:
        category = questionnaire.categories.get(int(data.get("category", "")))
    except (TypeError, ValueError):
        category = None
    answers = {item.pk: data.get(f"item_{item.pk}") or None for item in questionnaire.items}
    opinion = (data.get("opinion") or "").strip() if questionnaire.opinion else ""
    return category, answers, opinion
