"""Slowing down code guessing without ever turning away a real respondent.

Only unknown codes count: a well-formed code (its check character is right) that matches
nothing. A valid code is looked up and accepted before the throttle is asked anything, so a
hall of 500 behind one address is never refused for being busy; a mistyped code that fails its
check character never reaches the database. Over a limit, unknown codes get the "too many"
answer instead of "not found" for the rest of the window:

- per client: UNKNOWN_LIMIT unknown codes per window (generous: a hall where 2% mistype
  a code into another well-formed one makes 10);
- in all: UNKNOWN_GLOBAL_LIMIT per window, a sign that someone is guessing at scale (logged
  for the operator, without any address).

What keeps guessing hopeless is the code itself (about 2^54 possibilities; see
docs/anonymity.md for the numbers): since a valid code is never refused, these limits tell a
person who keeps mistyping to ask the staff, and give the operator a signal; they are not what
stops a guesser.

Counts live in UnknownCodeCount, in fixed windows. The client key is HMAC(key, window id +
address): a row means nothing once its window has passed, and rows of past windows are
deleted on the next unknown code. Nothing here is ever stored near a ballot.
"""

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from surveys.models import UnknownCodeCount

UNKNOWN_LIMIT = getattr(settings, "SURVEY_CODE_UNKNOWN_LIMIT", 50)
UNKNOWN_GLOBAL_LIMIT = getattr(settings, "SURVEY_CODE_UNKNOWN_GLOBAL_LIMIT", 5000)
WINDOW_SECONDS = getattr(settings, "SURVEY_CODE_UNKNOWN_WINDOW", 15 * 60)
EVERYONE = ""

# Lazy: said in the language of the request that reads it.
BLOCKED_MESSAGE = lazy(lambda: _(
    "输入有误的测评码次数过多，请 %(minutes)s 分钟后再试。"
    "如果测评码确实无法使用，请联系发放测评码的工作人员。"
) % {"minutes": WINDOW_SECONDS // 60}, str)()

logger = logging.getLogger(__name__)


def current_window(now=None):
    return int((time.time() if now is None else now) // WINDOW_SECONDS)


def client_key(request, window):
    # Behind a reverse proxy, REMOTE_ADDR must be set from the proxy's header by the
    # proxy configuration; trusting X-Forwarded-For here would let a guesser pick any key.
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    secret = hashlib.sha256(f"code-throttle:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(secret, f"{window}:{address}".encode(), hashlib.sha256).hexdigest()[:32]


@transaction.atomic
def record_unknown(request, now=None):
    """Count one unknown code; True when the client or everyone is over the window's limit."""
    window = current_window(now)
    client = client_key(request, window)
    table = connection.ops.quote_name(UnknownCodeCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE period < %s", [window])
        cursor.execute(
            f"INSERT INTO {table} (period, client, count) VALUES (%s, %s, 1), (%s, %s, 1)"
            f" ON CONFLICT (period, client) DO UPDATE SET count = {table}.count + 1"
            " RETURNING client, count",
            [window, client, window, EVERYONE],
        )
        counts = dict(cursor.fetchall())
    if counts[EVERYONE] == UNKNOWN_GLOBAL_LIMIT + 1:
        logger.warning(
            "More than %d unknown access codes in %d minutes: someone may be guessing codes.",
            UNKNOWN_GLOBAL_LIMIT, WINDOW_SECONDS // 60,
        )
    return counts[client] > UNKNOWN_LIMIT or counts[EVERYONE] > UNKNOWN_GLOBAL_LIMIT
