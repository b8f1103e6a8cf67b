"""Punctuation follows the language (docs/i18n.md).

Chinese has its own marks: 、 between the names of a list, ， between phrases, ； between
clauses, ： after a label, 。 at the end of a sentence, and （…） around an aside. English
writes ", ", ", ", "; ", ": ", "." and " (…)". Whatever the interface glues together (names
into a list, messages into one line, a note after a value) goes through these helpers, so the
marks follow the language of the page; in Chinese the result is exactly the Chinese text.

The marks are messages with a context (`pgettext`), so the same 、 can be ", " here and
something else elsewhere; templates use the filters of the same names
(`{% load text %}`: `|series`, `|phrases`, `|clauses`, `|aside`) or the same messages
(`{% translate "：" context "colon" %}`).

Only for what the interface says: data (names, questions, opinions) stay as entered, and
nothing that is hashed or sealed (surveys/snapshots.py) goes through here.
"""

from django.utils.translation import pgettext


def list_separator():
    """、 between the names of a list: 甲、乙、丙 / A, B, C."""
    return pgettext("list separator", "、")


def phrase_separator():
    """， between phrases of one sentence."""
    return pgettext("phrase separator", "，")


def clause_separator():
    """； between clauses or messages shown on one line."""
    return pgettext("clause separator", "；")


def colon():
    """： between a label and its value."""
    return pgettext("colon", "：")


def full_stop():
    """。 at the end of a sentence."""
    return pgettext("full stop", "。")


def series(items):
    """Names as a list: 领导干部、一般干部 / 领导干部, 一般干部."""
    return list_separator().join(str(item) for item in items)


def phrases(items):
    """Phrases of one sentence: 甲，乙 / 甲, 乙."""
    return phrase_separator().join(str(item) for item in items)


def clauses(items):
    """Clauses or messages on one line: 甲；乙 / 甲; 乙."""
    return clause_separator().join(str(item) for item in items)


def labelled(label, value):
    """A label and its value: 权重：1.5 / Weight: 1.5."""
    return f"{label}{colon()}{value}"


def sentence(text):
    """Text closed with a full stop: 甲。 / 甲."""
    return f"{text}{full_stop()}"


def aside(text):
    """An aside after what it explains: （区县） / " (District)"; the English mark brings its
    own space."""
    return pgettext("aside", "（%(text)s）") % {"text": text}
