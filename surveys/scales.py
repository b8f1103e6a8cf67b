"""Answer scales: the options a respondent can pick and what each one counts as.

Pure Python, no Django import: `scoring` rates counts against these definitions.
An option's `value` is what a ballot stores (1..n); a blank item stores nothing.
"""

from dataclasses import dataclass
from enum import Enum


class Grade(str, Enum):
    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    grade: Grade
    score: int | None = None  # 0-100 points on the national five-level scale


@dataclass(frozen=True)
class Scale:
    key: str
    label: str
    options: tuple[Option, ...]

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
            if text in {option.label, str(option.value)}:
                return option.value
        return None


FOUR = Scale(
    "four",
    "满意 / 基本满意 / 不满意 / 不了解",
    (
        Option(1, "满意", Grade.SATISFIED),
        Option(2, "基本满意", Grade.BASIC),
        Option(3, "不满意", Grade.DISSATISFIED),
        Option(4, "不了解", Grade.UNKNOWN),
    ),
)
THREE = Scale(
    "three",
    "满意 / 基本满意 / 不满意",
    (
        Option(1, "满意", Grade.SATISFIED),
        Option(2, "基本满意", Grade.BASIC),
        Option(3, "不满意", Grade.DISSATISFIED),
    ),
)
FIVE = Scale(
    "five",
    "很满意 / 满意 / 基本满意 / 不太满意 / 不满意（百分制）",
    (
        Option(1, "很满意", Grade.SATISFIED, 100),
        Option(2, "满意", Grade.SATISFIED, 80),
        Option(3, "基本满意", Grade.BASIC, 60),
        Option(4, "不太满意", Grade.DISSATISFIED, 30),
        Option(5, "不满意", Grade.DISSATISFIED, 0),
    ),
)

SCALES = {scale.key: scale for scale in (FOUR, THREE, FIVE)}
