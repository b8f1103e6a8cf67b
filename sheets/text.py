"""Tidying and comparing the text people type into spreadsheets."""

import re
import unicodedata

# Characters that are invisible or that no name should hold.
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Punctuation that looks alike on screen and on paper; each folds to one representative.
_LOOKALIKES = str.maketrans({
    **dict.fromkeys("·・•‧∙⋅〮ᐧ･･", "·"),
    **dict.fromkeys("‐‑‒–—―−﹣－⁃", "-"),
    **dict.fromkeys("([{【〔〖「『《〈﹙", "("),
    **dict.fromkeys(")]}】〕〗」』》〉﹚", ")"),
    **dict.fromkeys("“”„‟″\"'‘’‚‛′`", "'"),
    **dict.fromkeys("，、﹐﹑", ","),
    **dict.fromkeys("。．｡", "."),
})


def tidy(value, *, nfkc=True):
    """Text as it should be stored: invisible characters dropped, (NFKC,) spaces collapsed.

    NFKC turns full-width letters, digits and brackets into their ordinary forms
    ("Ｄ１０１" → "D101", "区县（自治县）" → "区县(自治县)") and the ideographic space U+3000
    into a plain space; runs of spaces become one, and the ends are stripped.
    """
    if value is None:
        return ""
    text = _INVISIBLE.sub("", str(value))
    if nfkc:
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def fold(value):
    """A key for "looks the same": tidied, look-alike punctuation unified, no spaces, no case.

    Two names with the same fold are indistinguishable to a reader ("主城・区" and "主城·区").
    """
    return "".join(tidy(value).translate(_LOOKALIKES).split()).casefold()


def display_width(text):
    """Width of text in Excel's character units: CJK (wide and full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def shorten(text, limit=30):
    """Text cut to `limit` characters with an ellipsis, for quoting a value in a message."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
