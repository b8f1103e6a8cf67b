"""Forms for respondents: the code entry and the questionnaire built from a round."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.ballot_form import BallotForm


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
