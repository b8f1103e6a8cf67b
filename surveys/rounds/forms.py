"""Forms of the round set-up steps, the lifecycle confirmations and the follow-up."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import modelformset_factory
from django.utils.translation import gettext_lazy as _

from surveys import scoring
from surveys.models import Item, ItemKind, Rectification, RespondentCategory, Round
from units.models import Unit, UnitKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoundBasicsForm(forms.ModelForm):
    """Step 1: name, year and window."""

    class Meta:
        model = Round
        fields = ["name", "year", "opens_at", "closes_at"]
        widgets = {"opens_at": DATETIME, "closes_at": DATETIME}

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", ValidationError(_("结束时间须晚于开始时间。"), code="window"))
        return cleaned


class RoundCopyForm(RoundBasicsForm):
    source_round = forms.ModelChoiceField(
        label=_("复制哪一轮的设置"), queryset=Round.objects.all(),
        help_text=_("复制参评单位（仅启用的）及计划样本量、问卷、参评人员类别和权重、评定规则。"),
    )

    class Meta(RoundBasicsForm.Meta):
        fields = ["source_round", "name", "year", "opens_at", "closes_at"]


class RoundUnitsForm(forms.Form):
    """Step 2: which units, each with its planned sample size."""

    default_planned = forms.IntegerField(label=_("统一计划样本量"), min_value=1, initial=100, required=False)

    def __init__(self, *args, round_, **kwargs):
        super().__init__(*args, **kwargs)
        current = {ru.unit_id: ru.planned_sample for ru in round_.round_units.all()}
        # Active units, and any inactive one already in the round so it can be removed.
        # Districts before departments, as the policy lists them; then the registry order.
        self.units = sorted(
            Unit.objects.filter(Q(is_active=True) | Q(pk__in=current)).select_related("group"),
            key=lambda u: (u.kind != UnitKind.DISTRICT, u.group.order, u.group.name, u.order, u.code),
        )
        for unit in self.units:
            self.fields[f"u{unit.pk}"] = forms.BooleanField(
                label=unit.name, required=False, initial=unit.pk in current)
            self.fields[f"p{unit.pk}"] = forms.IntegerField(
                label=_("%(name)s计划样本量") % {"name": unit.name}, required=False, min_value=1,
                initial=current.get(unit.pk), widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}))

    def chosen_count(self):
        """Units ticked as the page is drawn (the count the picker then keeps live)."""
        return sum(1 for unit in self.units if self[f"u{unit.pk}"].value())

    def rows(self):
        """[(group, [(unit, checkbox, planned)])] in registry order, for the template."""
        grouped = {}
        for unit in self.units:
            grouped.setdefault(unit.group, []).append((unit, self[f"u{unit.pk}"], self[f"p{unit.pk}"]))
        return list(grouped.items())

    def clean(self):
        cleaned = super().clean()
        default = cleaned.get("default_planned")
        chosen = []
        for unit in self.units:
            if not cleaned.get(f"u{unit.pk}"):
                continue
            planned = cleaned.get(f"p{unit.pk}") or default
            if not planned:
                self.add_error(f"p{unit.pk}", ValidationError(_("请填写%(name)s的计划样本量。") % {"name": unit.name}, code="planned"))
            chosen.append((unit, planned))
        cleaned["chosen"] = chosen
        return cleaned


class ItemForm(forms.ModelForm):
    """An existing question; a headline item's 必答 is fixed (every ballot answers it)."""

    class Meta:
        model = Item
        fields = ["text", "order", "required"]
        widgets = {
            "text": forms.TextInput(attrs={"class": "form-control"}),
            "order": forms.NumberInput(attrs={"class": "form-control input-order"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_required = self.instance.required
        if self.instance.pk and self.instance.is_headline:
            # Disabled: whatever a request sends, the value is the initial True.
            self.fields["required"].disabled = True
            self.initial["required"] = True
        elif self.instance.kind == ItemKind.OPINION:
            # The opinion is free text, never required on a ballot: a tick here would mislead.
            self.fields["required"].disabled = True

    def changed_fields(self):
        """{field: new value} of what the user changed (a headline's 必答 always True)."""
        changed = {name: self.cleaned_data[name] for name in self.changed_data}
        if self.instance.is_headline and not self.stored_required:
            changed["required"] = True  # repair a headline stored as optional
        return changed


ItemFormSet = modelformset_factory(Item, form=ItemForm, extra=0)


class ItemAddForm(forms.Form):
    """The "add" row of the questionnaire step, in the same form as the existing items."""

    text = forms.CharField(label=_("新增分项指标"), max_length=200, required=False,
                           error_messages={"max_length": _("题目最多 200 字。")})

    def __init__(self, *args, adding=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.adding = adding

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if self.adding and not text:
            raise ValidationError(_("请填写新增分项指标的题目。"), code="required")
        return text


class RoundSettingsForm(forms.ModelForm):
    """Step 4: answer scale, respondent categories and weights, scoring policy."""

    class Meta:
        model = Round
        fields = [
            "scale", "positive_threshold", "basic_threshold", "unknown_in_denominator",
            "use_weights", "min_valid_answers", "require_double_keying",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = {rc.category_id: rc.weight for rc in self.instance.round_categories.all()}
        self.categories = list(RespondentCategory.objects.all())
        for category in self.categories:
            self.fields[f"c{category.pk}"] = forms.BooleanField(
                label=category.name, required=False, initial=category.pk in current)
            self.fields[f"w{category.pk}"] = forms.DecimalField(
                label=_("%(name)s权重") % {"name": category.name}, required=False, min_value=0, max_digits=6,
                decimal_places=3, initial=current.get(category.pk, 1))

    def category_rows(self):
        return [(c, self[f"c{c.pk}"], self[f"w{c.pk}"]) for c in self.categories]

    def clean(self):
        cleaned = super().clean()
        positive, basic = cleaned.get("positive_threshold"), cleaned.get("basic_threshold")
        if positive is not None and positive > 100:
            self.add_error("positive_threshold", ValidationError(_("比例不能超过 100。"), code="range"))
        if positive is not None and basic is not None and basic > positive:
            self.add_error("basic_threshold", ValidationError(_("基本满意单位线不能高于满意单位线。"), code="order"))
        chosen = [
            (c, cleaned.get(f"w{c.pk}") if cleaned.get(f"w{c.pk}") is not None else 1)
            for c in self.categories if cleaned.get(f"c{c.pk}")
        ]
        if not chosen:
            raise ValidationError(_("至少选择一类参评人员。"), code="no_categories")
        if cleaned.get("use_weights") and not any(weight for _, weight in chosen):
            # scoring.Policy refuses this too; here staff read why, before anything is saved.
            raise ValidationError(
                _("按类别加权时，所选类别的权重不能全部为 0（那样没有一张票计入）。请至少给一类参评人员正的权重，或不加权。"),
                code="weights_all_zero",
            )
        cleaned["categories"] = chosen
        return cleaned


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("重新开启的原因"), widget=forms.Textarea(attrs={"rows": 3}), min_length=5,
        help_text=_("原因会记入全程记实。"),
        error_messages={"required": _("请写明重新开启的原因。"), "min_length": _("请写明重新开启的原因（至少 5 个字）。")},
    )


class CloseForm(forms.Form):
    """The close confirmation; with unfinished paper batches, the decision to discard them."""

    discard = forms.BooleanField(
        label=_("放弃上列未完成的纸质票批次（不计入结果）"), required=False,
    )
    reason = forms.CharField(
        label=_("放弃的理由"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text=_("理由和操作人记入全程记实。"),
    )

    def __init__(self, *args, unfinished=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unfinished = list(unfinished)
        if not self.unfinished:
            del self.fields["discard"], self.fields["reason"]

    def clean(self):
        cleaned = super().clean()
        if not self.unfinished:
            cleaned["reason"] = ""
            return cleaned
        if not cleaned.get("discard"):
            raise ValidationError(
                _("还有未完成的纸质票批次：请先完成录入和核对，或勾选放弃并写明理由。"), code="paper_unfinished"
            )
        if len((cleaned.get("reason") or "").strip()) < 5:
            self.add_error("reason", ValidationError(_("请写明放弃的理由（至少 5 个字）。"), code="no_reason"))
        return cleaned


class PublishForm(forms.Form):
    """The publish confirmation; a written reason when the data fall short."""

    acknowledge = forms.BooleanField(label=_("我已知悉数据不足，仍要发布"), required=False)
    reason = forms.CharField(
        label=_("仍要发布的理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=_("理由和操作人记入全程记实；历年走势中本轮会标注“数据不足”。"),
    )

    def __init__(self, *args, shortfall=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shortfall = shortfall
        if shortfall is None or not shortfall.flagged:
            del self.fields["acknowledge"], self.fields["reason"]

    def clean(self):
        cleaned = super().clean()
        if "reason" not in self.fields:
            cleaned["reason"] = ""
            return cleaned
        if not cleaned.get("acknowledge"):
            self.add_error("acknowledge", ValidationError(_("数据不足时发布须明确确认。"), code="not_acknowledged"))
        if len((cleaned.get("reason") or "").strip()) < 5:
            self.add_error("reason", ValidationError(_("请写明仍要发布的理由（至少 5 个字）。"), code="no_reason"))
        return cleaned


class InvestigationForm(forms.Form):
    findings = forms.CharField(label=_("调查情况"), widget=forms.Textarea(attrs={"rows": 5}))
    conclusion = forms.ChoiceField(
        label=_("结论"), widget=forms.RadioSelect,
        choices=[
            (scoring.Conclusion.SERIOUS.value, _("用人不正之风问题较为严重，认定为群众不满意单位")),
            (scoring.Conclusion.NOT_SERIOUS.value, _("未发现较为严重的问题（仍为未达标，不认定为群众不满意单位）")),
        ],
    )


class RectificationForm(forms.ModelForm):
    class Meta:
        model = Rectification
        fields = ["measures", "deadline", "status"]
        widgets = {"measures": forms.Textarea(attrs={"rows": 3}), "deadline": forms.DateInput(attrs={"type": "date"})}
