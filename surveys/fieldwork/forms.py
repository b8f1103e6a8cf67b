"""Forms for fieldwork staff: issuing codes, paper forms handed out, keying, importing."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from surveys.ballot_form import BallotForm
from units.models import UnitGroup

from .round_codes import MAX_MARGIN
from .services import MAX_BATCH_SIZE


class IssueCodesForm(forms.Form):
    size = forms.IntegerField(
        label=_("本批数量"), min_value=1, max_value=MAX_BATCH_SIZE,
        error_messages={
            "min_value": _("数量至少为 1。"),
            "max_value": _("每批最多 %(limit)s 个。") % {"limit": MAX_BATCH_SIZE},
            "required": _("请填写数量。"),
            "invalid": _("请填写整数。"),
        },
    )


class RoundIssueForm(forms.Form):
    """Round-wide issuing: which units, and the margin over each unit's planned sample."""

    SCOPES = [("all", _("本轮全部单位")), ("group", _("一个分组")), ("selected", _("表中勾选的单位"))]

    scope = forms.ChoiceField(label=_("发放范围"), choices=SCOPES, initial="all", widget=forms.RadioSelect)
    group = forms.ModelChoiceField(label=_("分组"), queryset=UnitGroup.objects.none(), required=False,
                                   empty_label=_("（选择分组）"))
    units = forms.TypedMultipleChoiceField(label=_("单位"), coerce=int, required=False)
    margin = forms.IntegerField(
        label=_("余量（%）"), min_value=0, max_value=MAX_MARGIN, initial=10,
        help_text=_("每个单位补足到“计划样本量 × (1 + 余量)”个有效测评码，已有的不重复生成。"),
        error_messages={"min_value": _("余量不能为负数。"), "max_value": _("余量最多 %(limit_value)s%%。"),
                        "required": _("请填写余量。"), "invalid": _("请填写整数。")},
    )

    def __init__(self, *args, round_, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round_
        self.round_units = list(round_.round_units.select_related("unit__group"))
        self.fields["group"].queryset = UnitGroup.objects.filter(units__round_units__round=round_).distinct()
        self.fields["units"].choices = [(ru.pk, ru.unit.name) for ru in self.round_units]

    def clean(self):
        cleaned = super().clean()
        scope, group = cleaned.get("scope"), cleaned.get("group")
        if scope == "group":
            if group is None:
                self.add_error("group", forms.ValidationError(_("请选择分组。"), code="no_group"))
                return cleaned
            chosen = [ru.pk for ru in self.round_units if ru.unit.group_id == group.pk]
        elif scope == "selected":
            chosen = cleaned.get("units") or []
            if not chosen:
                self.add_error("units", forms.ValidationError(_("请在表中勾选单位。"), code="no_units"))
        else:
            chosen = [ru.pk for ru in self.round_units]
        cleaned["round_unit_ids"] = chosen
        return cleaned


class VoidBatchForm(forms.Form):
    reason = forms.CharField(
        label=_("作废原因"), max_length=200, error_messages={"required": _("请填写作废原因。")}
    )


class PaperFormsIssuedForm(forms.Form):
    issued = forms.IntegerField(
        label=_("发出票数"), min_value=0, max_value=1_000_000,
        error_messages={"min_value": _("发出票数不能为负数。"), "required": _("请填写发出票数。"),
                        "invalid": _("请填写整数。")},
    )

    def __init__(self, *args, round_unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.round_unit = round_unit

    def clean_issued(self):
        issued = self.cleaned_data["issued"]
        if issued < self.round_unit.paper_ballots:
            raise forms.ValidationError(
                _("已录入 %(paper_ballots)s 张纸质票，发出票数不能少于此数。") % {"paper_ballots": self.round_unit.paper_ballots},
                code="below_keyed",
            )
        return issued


class PaperBatchForm(forms.Form):
    label = forms.CharField(
        label=_("批次名称"), max_length=50, help_text=_("如“第一回收点 第1箱”。"),
        error_messages={"required": _("请填写批次名称。")},
    )


class KeyingForm(BallotForm):
    """A paper ballot as staff key it: the same questions, numbered for the number keys."""

    category_label = _("参评人员类别")

    @classmethod
    def initial_from(cls, payload):
        """Form data for a stored pass entry (JSON payload), to show or key it again."""
        data = {"category": str(payload["category"]), "opinion": payload.get("opinion", "")}
        for item_id, value in payload["answers"].items():
            data[f"item_{item_id}"] = "" if value is None else str(value)
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("纸质票数据文件（.xlsx）"),
        error_messages={"required": _("请选择要导入的文件。"), "empty": _("文件是空的。")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES / 1024 / 1024
            raise forms.ValidationError(
                _("文件过大（上限 %(limit).1f MB），请拆分后分别导入。") % {"limit": limit}, code="too_large"
            )
        return upload


class ImportAgainForm(forms.Form):
    """Import a file whose ballots were imported before: only with a written reason."""

    token = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("再次导入的理由"), min_length=5, max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：这是第二回收点的另一箱纸质票，内容与第一箱恰好相同。理由记入操作记录。"),
        error_messages={"required": _("请写明再次导入的理由。"),
                        "min_length": _("请把理由写具体一些（至少 5 个字）。")},
    )
    confirm = forms.BooleanField(
        label=_("我已核对：这些纸质票此前没有计入本轮"),
        error_messages={"required": _("请勾选确认：这些纸质票此前没有计入本轮。")},
    )
