"""Slowing down code guessing: count wrong codes per client in the shared cache.

The cache is the database cache (settings.CACHES), so every worker process sees the same
counts. The key is a keyed hash of the client address, it expires on its own, and it is
never stored anywhere near a ballot.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import lazy
from django.utils.translation import gettext as _

FAILURES_LIMIT = getattr(settings, "SURVEY_CODE_FAILURES_LIMIT", 5)
WINDOW_SECONDS = getattr(settings, "SURVEY_CODE_FAILURES_WINDOW", 10 * 60)
BLOCK_SECONDS = getattr(settings, "SURVEY_CODE_BLOCK_SECONDS", 15 * 60)

# Lazy: said in the language of the request that reads it.
BLOCKED_MESSAGE = lazy(lambda: _(
    "输入错误的测评码次数过多，请 %(minutes)s 分钟后再试。"
    "如果测评码确实无法使用，请联系发放测评码的工作人员。"
) % {"minutes": BLOCK_SECONDS // 60}, str)()


def client_key(request):
    # Behind a reverse proxy, REMOTE_ADDR must be set from the proxy's header by the
    # proxy configuration; trusting X-Forwarded-For here would let a guesser pick any key.
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def _keys(client):
    return f"code-fail:{client}", f"code-block:{client}"


def is_blocked(client):
    return bool(cache.get(_keys(client)[1]))


def record_failure(client):
    """Count one wrong code; block the client once it reaches the limit within the window."""
    failures, block = _keys(client)
    cache.add(failures, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(failures)
    except ValueError:  # expired between add and incr
        cache.set(failures, 1, WINDOW_SECONDS)
        count = 1
    if count >= FAILURES_LIMIT:
        cache.set(block, 1, BLOCK_SECONDS)
        cache.delete(failures)
    return count
