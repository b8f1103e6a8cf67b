"""Answer scales: the options a respondent can pick and what each one counts as.

Pure Python, no Django import: `scoring` rates counts against these definitions.
An option's `value` is what a ballot stores (1..n); a blank item stores nothing.
"""

from dataclasses import dataclass
from enum import Enum


def gettext_noop(text):
    """Mark a label for translation (makemessages finds it); it is translated when read."""
    return text


# How a label is said in the current language. Identity here, with no Django import;
# surveys.apps sets it to Django's gettext, so `.label` follows the request's language.
translate = gettext_noop


class Grade(str, Enum):
    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Option:
    value: int
    text: str  # the Chinese source; `label` says it in the current language
    grade: Grade
    score: int | None = None  # 0-100 points on the national five-level scale

    @property
    def label(self):
        return translate(self.text)


@dataclass(frozen=True)
class Scale:
    key: str
    text: str
    options: tuple[Option, ...]

    @property
    def label(self):
        return translate(self.text)

    def option(self, value):
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)

    @property
    def values(self):
        return tuple(option.value for option in self.options)

    @property
    def scored(self):
        return any(option.score is not None for option in self.options)

    def parse(self, raw):
        """Return the option value for a label or number typed by staff, or None."""
        text = str(raw).strip()
        for option in self.options:
            if text in {option.label, option.text, str(option.value)}:
                return option.value
        return None


FOUR = Scale(
    "four",
    gettext_noop("满意 / 基本满意 / 不满意 / 不了解"),
    (
        Option(1, gettext_noop("满意"), Grade.SATISFIED),
        Option(2, gettext_noop("基本满意"), Grade.BASIC),
        Option(3, gettext_noop("不满意"), Grade.DISSATISFIED),
        Option(4, gettext_noop("不了解"), Grade.UNKNOWN),
    ),
)
THREE = Scale(
    "three",
    gettext_noop("满意 / 基本满意 / 不满意"),
    (
        Option(1, gettext_noop("满意"), Grade.SATISFIED),
        Option(2, gettext_noop("基本满意"), Grade.BASIC),
        Option(3, gettext_noop("不满意"), Grade.DISSATISFIED),
    ),
)
FIVE = Scale(
    "five",
    gettext_noop("很满意 / 满意 / 基本满意 / 不太满意 / 不满意（百分制）"),
    (
        Option(1, gettext_noop("很满意"), Grade.SATISFIED, 100),
        Option(2, gettext_noop("满意"), Grade.SATISFIED, 80),
        Option(3, gettext_noop("基本满意"), Grade.BASIC, 60),
        Option(4, gettext_noop("不太满意"), Grade.DISSATISFIED, 30),
        Option(5, gettext_noop("不满意"), Grade.DISSATISFIED, 0),
    ),
)

SCALES = {scale.key: scale for scale in (FOUR, THREE, FIVE)}
