from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from units.models import UnitGroup

from .roles import ADMIN, LEADER, STAFF

ROLE_CHOICES = [(STAFF, _("工作人员")), (LEADER, _("领导")), (ADMIN, _("管理员"))]


class LoginForm(AuthenticationForm):
    """The login form in Chinese; failed attempts are counted by django-axes (accounts/lockout.py)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账号已停用。"),
    }


class AccountForm(forms.Form):
    """Create or edit an account: who, which role, which groups (leaders only)."""

    username = forms.RegexField(
        label=_("用户名"), max_length=150, regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("用户名只能包含字母、数字和 @ . + - _。")},
    )
    full_name = forms.CharField(label=_("姓名或称呼"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=ROLE_CHOICES)
    scope = forms.ModelMultipleChoiceField(
        label=_("仅可查看的单位分组"), queryset=UnitGroup.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("只对领导账号有效；不选表示可查看全部单位。"),
    )
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput(render_value=False), required=False,
        help_text=_("新建账号时必填；请当面告知本人并提醒其登录后修改。"),
    )

    def __init__(self, *args, instance=None, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields.pop("password")
            self.fields["username"].disabled = True

    def clean_username(self):
        username = self.cleaned_data["username"]
        others = User.objects.filter(username__iexact=username)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("该用户名已被使用。"), code="taken")
        return username

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") and cleaned.get("role") != LEADER:
            self.add_error("scope", ValidationError(_("只有领导账号可以限定查看范围。"), code="scope_not_leader"))
        if self.instance is None:
            password = cleaned.get("password")
            if not password:
                self.add_error("password", ValidationError(_("请设置初始密码。"), code="required"))
            else:
                try:
                    validate_password(password, User(username=cleaned.get("username", "")))
                except ValidationError as exc:
                    self.add_error("password", exc)
        return cleaned


class ResetPasswordForm(SetPasswordForm):
    """An administrator sets a new password for someone who forgot theirs."""
