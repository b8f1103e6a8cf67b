"""The ballot form built from a round: what a respondent answers online and what staff key
from a paper ballot, with the same questions and the same option values."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .ballots import OPINION_MAX_LENGTH, questionnaire_of

SKIP_LABEL = gettext_lazy("不作答")


class BallotForm(forms.Form):
    """One ballot of a round: respondent category, the rated items, the opinion.

    Headline items are required; a sub-item left blank is an abstention. The choice
    values are the scale's option values, so a paper ballot is keyed with the same digits.
    """

    category_label = gettext_lazy("您的身份")

    def __init__(self, *args, round_, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round_
        scale = round_.scale_def
        # An open round's questionnaire is read once per process (it is frozen).
        questionnaire = questionnaire_of(round_)
        self.categories = {str(pk): c for pk, c in questionnaire.categories.items()}
        self.fields["category"] = forms.ChoiceField(
            label=self.category_label,
            choices=[(pk, c.name) for pk, c in self.categories.items()],
            widget=forms.RadioSelect,
            error_messages={"required": _("请选择您的身份类别。")},
        )
        self.items = list(questionnaire.items)
        for item in self.items:
            choices = [(str(o.value), o.label) for o in scale.options]
            if not item.required:
                choices.append(("", SKIP_LABEL))
            self.fields[self.item_field(item)] = forms.ChoiceField(
                label=item.text,
                choices=choices,
                required=item.required,
                widget=forms.RadioSelect,
                error_messages={"required": _("请回答“%(text)s”。") % {"text": item.text}},
            )
        self.has_opinion = questionnaire.opinion is not None
        if self.has_opinion:
            self.fields["opinion"] = forms.CharField(
                label=questionnaire.opinion.text,
                required=False,
                max_length=OPINION_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 5, "maxlength": OPINION_MAX_LENGTH}),
                error_messages={"max_length": _("意见建议不能超过 %(limit)s 字。") % {"limit": OPINION_MAX_LENGTH}},
            )

    @staticmethod
    def item_field(item):
        return f"item_{item.pk}"

    def item_fields(self):
        return [self[self.item_field(item)] for item in self.items]

    def headline_fields(self):
        return [self[self.item_field(item)] for item in self.items if item.is_headline]

    def required_count(self):
        """How many questions are marked 必答 (the respondent category among them)."""
        return sum(1 for field in self.visible_fields() if field.field.required)

    def sub_fields(self):
        return [self[self.item_field(item)] for item in self.items if not item.is_headline]

    @property
    def category(self):
        return self.categories[self.cleaned_data["category"]]

    def answers(self):
        """{item_id: option value or None}, as ballot_submit takes them."""
        return {
            item.pk: int(self.cleaned_data[self.item_field(item)] or 0) or None
            for item in self.items
        }

    def opinion(self):
        return self.cleaned_data.get("opinion", "") if self.has_opinion else ""

    def payload(self):
        """A JSON-friendly copy of the ballot, as a paper pass keeps it."""
        return {
            "category": int(self.cleaned_data["category"]),
            "answers": {str(k): v for k, v in self.answers().items()},
            "opinion": self.opinion().strip(),
        }
