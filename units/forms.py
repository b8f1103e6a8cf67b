from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Unit, UnitGroup, UnitKind


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "short_name", "kind", "group", "order", "is_active"]


class GroupForm(forms.ModelForm):
    class Meta:
        model = UnitGroup
        fields = ["name", "kind", "order"]


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("代码、名称或简称")}))
    kind = forms.ChoiceField(label=_("类别"), required=False, choices=[("", _("全部类别"))] + UnitKind.choices)
    group = forms.ModelChoiceField(label=_("分组"), required=False, queryset=UnitGroup.objects.all(),
                                   empty_label=_("全部分组"))
    active = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), ("1", _("启用")), ("0", _("已停用"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"
            field.widget.attrs["aria-label"] = field.label

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["q"]:
            q = data["q"]
            queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(short_name__icontains=q))
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["group"]:
            queryset = queryset.filter(group=data["group"])
        if data["active"]:
            queryset = queryset.filter(is_active=data["active"] == "1")
        return queryset


class ImportForm(forms.Form):
    # Size and content are checked by sheets.reader, which names what a wrong file is.
    file = forms.FileField(label=_("单位名册（.xlsx）"), allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
