"""The login lockout (django-axes, configured in settings): what a locked-out user sees.

Axes counts failed logins per (username, client address) pair in the database; the limit
locks that pair only, for AXES_COOLOFF_TIME after the last counted failure. The message
states that same duration, read from the setting.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _


def cooloff_minutes():
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def locked_message():
    minutes = cooloff_minutes()
    return _(
        "该账号从您所在的网络地址登录失败次数过多，已暂停登录 %(minutes)s 分钟，"
        "请 %(minutes)s 分钟后再试。如忘记密码，请联系系统管理员重置。"
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page again, with the lockout message."""
    from .forms import LoginForm

    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = LoginForm(request, initial={"username": username})
    context = {"form": form, "locked_message": locked_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
