from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST
from django.views.generic import ListView
from django.utils.translation import gettext as _

from audit.services import audit_record

from . import services
from .forms import AccountForm, LoginForm, ResetPasswordForm
from .models import Scope
from .roles import AccountsRequiredMixin, accounts_required, role_of


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=self.request.user, action="account.change_password",
                     obj=self.request.user, source="修改密码")
        messages.success(self.request, _("密码已修改。"))
        return response


class AccountListView(AccountsRequiredMixin, ListView):
    template_name = "accounts/account_list.html"
    context_object_name = "accounts"

    def get_queryset(self):
        return User.objects.order_by("-is_active", "username").prefetch_related("groups")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scopes = {
            s.user_id: [g.name for g in s.groups.all()]
            for s in Scope.objects.prefetch_related("groups")
        }
        context["rows"] = [(u, role_of(u), scopes.get(u.pk, [])) for u in context["accounts"]]
        return context


def _initial(user):
    scope = Scope.objects.filter(user=user).first()
    return {
        "username": user.username, "full_name": user.first_name, "role": role_of(user),
        "scope": list(scope.groups.all()) if scope else [],
    }


@accounts_required
def account_create(request):
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.account_create(
            username=data["username"], full_name=data["full_name"], role=data["role"],
            scope=data["scope"], password=data["password"], actor=request.user, source="新建账号",
        )
        messages.success(request, _("已新建账号 %(username)s。") % {"username": user.username})
        return redirect("accounts:list")
    return render(request, "accounts/account_form.html", {"form": form})


@accounts_required
def account_edit(request, pk):
    account = get_object_or_404(User, pk=pk)
    form = AccountForm(request.POST or None, instance=account, initial=_initial(account))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_update(
                user=account, full_name=data["full_name"], role=data["role"], scope=data["scope"],
                actor=request.user, source="编辑账号",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已保存账号 %(username)s。") % {"username": account.username})
            return redirect("accounts:list")
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@accounts_required
@require_POST
def account_toggle_active(request, pk):
    account = get_object_or_404(User, pk=pk)
    try:
        services.account_set_active(user=account, active=not account.is_active,
                                    actor=request.user, source="账号列表")
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, (_("账号 %(username)s 已启用。") if account.is_active else _("账号 %(username)s 已停用。"))
                         % {"username": account.username})
    return redirect("accounts:list")


@accounts_required
def account_reset_password(request, pk):
    account = get_object_or_404(User, pk=pk)
    form = ResetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.account_reset_password(
            user=account, password=form.cleaned_data["new_password1"], actor=request.user,
            source="重置密码",
        )
        messages.success(request, _("已重置 %(username)s 的密码，请当面告知本人。") % {"username": account.username})
        return redirect("accounts:list")
    return render(request, "accounts/reset_password.html", {"form": form, "account": account})
