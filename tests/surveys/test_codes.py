"""The code itself: format, check character, keyed digest, sealed copy (surveys/codes.py)."""

import math
import re

from django.test import override_settings

from surveys import codes


def test_code_format_and_entropy():
    code = codes.generate()
    assert len(code) == 12 and codes.is_well_formed(code)
    assert set(code) <= set(codes.ALPHABET)
    assert not set("01OIL") & set(codes.ALPHABET)  # no look-alikes
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", codes.display(code))
    assert codes.RANDOM_LENGTH * math.log2(len(codes.ALPHABET)) >= 50
    assert len({codes.generate() for _ in range(2000)}) == 2000


def test_mistyped_codes_are_detected_by_the_check_character():
    code = codes.generate()
    assert codes.normalize(codes.display(code).lower()) == code
    wrong = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    assert not codes.is_well_formed(wrong)
    assert not codes.is_well_formed(code[:-1])
    assert not codes.is_well_formed(code + "A")


def test_digest_is_keyed_and_seal_needs_the_key():
    code = codes.generate()
    digest = codes.digest(code)
    assert code not in digest and len(digest) == 64
    token = codes.seal(code)
    assert code not in token and codes.unseal(token) == code
    with override_settings(SURVEY_CODE_KEY="another-key"):
        assert codes.digest(code) != digest
        assert codes.unseal(token) is None
