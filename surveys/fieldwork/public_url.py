"""The questionnaire's address as printed on slips, and a warning when phones may not reach it."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _


def questionnaire_url(request):
    """The absolute address of /s/ as respondents reach it: SURVEY_PUBLIC_URL, else this request's."""
    return settings.SURVEY_PUBLIC_URL or request.build_absolute_uri(reverse("respondent:start"))


def _reach(host):
    """'loopback', 'private' or '' for a host name or address."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""  # a name: whether phones resolve it cannot be known here
    if address.is_loopback or address.is_unspecified:
        return "loopback"
    if address.is_private or address.is_link_local:
        return "private"
    return ""


def public_url_warning(url, *, configured):
    """Plain-Chinese warning for staff about the address printed on slips, or ''."""
    shown = url.split("://", 1)[-1]
    reach = _reach(urlsplit(url).hostname)
    if reach == "loopback":
        return _(
            "测评码条上的网址 %(url)s 是服务器本机地址，参评人员的手机打不开。"
            "请管理员把 SURVEY_PUBLIC_URL 设为手机能访问的问卷地址后再打印。"
        ) % {"url": shown}
    if reach == "private":
        return _(
            "测评码条上的网址 %(url)s 是内网地址，只有连入本单位内网的手机才能打开。"
            "参评人员如用手机流量作答，请管理员把 SURVEY_PUBLIC_URL 设为外部能访问的问卷地址。"
        ) % {"url": shown}
    if not configured:
        return _(
            "未设置 SURVEY_PUBLIC_URL：测评码条上印的是您现在访问本系统所用的网址 %(url)s，"
            "请确认参评人员的手机能打开它。"
        ) % {"url": shown}
    return ""


def slip_address(request):
    """(questionnaire URL, warning or '') for a page that prints or shows slips."""
    url = questionnaire_url(request)
    return url, public_url_warning(url, configured=bool(settings.SURVEY_PUBLIC_URL))
