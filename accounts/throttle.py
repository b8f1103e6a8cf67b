"""Login throttling on the shared cache (the same DatabaseCache every worker sees).

Failures are counted per username and per client address; either reaching the limit inside
the window locks further attempts until the window passes. A success clears the username's
count. The counts expire by themselves, so nothing needs cleaning.
"""

from django.conf import settings
from django.core.cache import cache


def _keys(username, address):
    return [f"login-fail:user:{(username or '').strip().lower()}", f"login-fail:ip:{address}"]


def _limit():
    return getattr(settings, "LOGIN_THROTTLE_ATTEMPTS", 5)


def _window():
    return getattr(settings, "LOGIN_THROTTLE_WINDOW", 15 * 60)


def is_locked(username, address):
    return any((cache.get(key) or 0) >= _limit() for key in _keys(username, address))


def record_failure(username, address):
    for key in _keys(username, address):
        # add() starts the window once; incr() keeps its expiry.
        if not cache.add(key, 1, _window()):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, _window())


def record_success(username):
    cache.delete(_keys(username, "")[0])


def locked_message():
    minutes = max(1, _window() // 60)
    return f"登录失败次数过多，账号已暂时锁定，请 {minutes} 分钟后再试。如忘记密码，请联系系统管理员重置。"
