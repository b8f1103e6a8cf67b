"""One-time access codes: generation, normalization, the keyed hash and the sealed copy.

A code is 11 random characters from an alphabet without look-alikes plus one check
character, shown as XXXX-XXXX-XXXX. 31**11 is about 2**54.5 codes, so guessing is
infeasible; the check character tells a mistyped code from a wrong one without a lookup.
The database keeps only HMAC-SHA256(key, code) and, so that slips can be printed again,
the code encrypted under a key derived from settings.SURVEY_CODE_KEY, which lives outside
the database.
"""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
RANDOM_LENGTH = 11
LENGTH = RANDOM_LENGTH + 1
# Characters people type for their look-alikes.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check_char(body):
    total = sum((index + 1) * ALPHABET.index(char) for index, char in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def generate():
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + _check_char(body)


def normalize(raw):
    """Upper-case and drop spaces and dashes; returns the bare code (maybe malformed)."""
    return "".join(ch for ch in str(raw).upper().translate(_LOOKALIKES) if ch.isalnum())


def is_well_formed(code):
    """True when a normalized code has the right length, alphabet and check character."""
    return (
        len(code) == LENGTH
        and all(ch in ALPHABET for ch in code)
        and _check_char(code[:-1]) == code[-1]
    )


def display(code):
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _key(purpose):
    secret = settings.SURVEY_CODE_KEY
    if not secret:
        raise RuntimeError("SURVEY_CODE_KEY is not set")
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def digest(code):
    return hmac.new(_key("digest"), code.encode(), hashlib.sha256).hexdigest()


def _fernet():
    return Fernet(base64.urlsafe_b64encode(_key("seal")))


def seal(code):
    return _fernet().encrypt(code.encode()).decode()


def unseal(token):
    """The code behind a sealed copy, or None if the key has changed since."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
