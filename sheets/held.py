"""Keep an uploaded file between an import's preview and its confirmation.

The bytes go to the shared cache (the database cache every worker process reads) under a
random token, for HOLD_SECONDS; the user's session keeps the token and the file's SHA-256.
On confirmation the file is taken back only by the same session and only if its checksum
still matches, so what is saved is exactly what was previewed. Nothing is written to disk
and nothing outlives the hour; a new upload for the same purpose replaces the old one.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.core.cache import cache

HOLD_SECONDS = 60 * 60
_SESSION_KEY = "sheets.held.{purpose}"
_CACHE_KEY = "sheets:held:{token}"


@dataclass(frozen=True)
class HeldFile:
    token: str
    name: str
    data: bytes
    sha256: str


def hold(request, purpose, data, name=""):
    """Keep `data` for this session; returns the token the confirmation form sends back."""
    release(request, purpose)
    token = secrets.token_urlsafe(24)
    digest = hashlib.sha256(data).hexdigest()
    cache.set(_CACHE_KEY.format(token=token), {"data": data, "user": request.user.pk}, HOLD_SECONDS)
    request.session[_SESSION_KEY.format(purpose=purpose)] = {"token": token, "sha256": digest, "name": name[:200]}
    return token


def held(request, purpose, token=None):
    """The file kept for this session, or None (expired, replaced, tampered).

    With a token (from a confirmation form) it must be the session's current one; without,
    the session's current file (to show its preview again).
    """
    entry = request.session.get(_SESSION_KEY.format(purpose=purpose))
    if not entry:
        return None
    if token is not None and not secrets.compare_digest(entry["token"], str(token)):
        return None
    stored = cache.get(_CACHE_KEY.format(token=entry["token"]))
    if not stored or stored.get("user") != request.user.pk:
        return None
    data = stored["data"]
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return None
    return HeldFile(entry["token"], entry["name"], data, entry["sha256"])


def release(request, purpose):
    """Forget the file kept for this purpose, if any."""
    entry = request.session.pop(_SESSION_KEY.format(purpose=purpose), None)
    if entry:
        cache.delete(_CACHE_KEY.format(token=entry["token"]))
