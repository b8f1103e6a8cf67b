"""The rating rule of section 四.1: pure Python, no Django import.

Every figure the product shows or exports (dashboards, Excel, commands) comes from here.

Public functions
----------------
``rate(counts, scale, policy, by_category=None) -> DimensionResult``
    Rate one unit on one dimension. ``counts`` maps option value -> number of answers
    (blank items are abstentions and are simply not counted). ``by_category`` optionally
    maps respondent category -> {option value: count}; it is required when the policy
    carries weights, and then ``counts`` may be None (it is summed from the categories).
``overall_level(levels) -> Level``
    A unit's overall level: the lower of its headline dimensions' levels.
``final_class(level, conclusion) -> FinalClass``
    What a unit finally is once investigations are taken into account.
``competition_ranks(keys) -> list[int]``
    Ranks 1, 2, 2, 4 ... for values already sorted best first (ties share a rank).
``wilson_interval(successes, n) -> (low, high)``
    The 95% Wilson score interval of a proportion, as floats for display only.

DimensionResult fields
----------------------
counts          option value -> answers (all categories together)
answered        answers given (blank items excluded)
valid           the denominator: ``answered``, less 不了解 when the policy leaves it out
satisfied, basic, dissatisfied, unknown
                rates as ``Fraction``; ``unknown`` is a share of ``answered``, so it reads the
                same whichever denominator the round uses
positive        satisfied + basic, the rate compared with the thresholds
interval        95% Wilson interval of ``positive`` (floats, display only, never compared)
score           mean 0-100 score on a scored (five-level) scale, else None
below_minimum   fewer valid answers than the policy's minimum: the rating is shown with a mark
weighted        whether category weights were applied
level           Level.SATISFIED / BASIC / BELOW / NO_DATA

The rule
--------
satisfied unit: positive >= positive threshold (80%) and satisfied > dissatisfied;
basically satisfied unit: positive >= basic threshold (70%) and satisfied > dissatisfied;
otherwise below standard, pending investigation. Zero valid answers is NO_DATA.
All comparisons are on Fractions: 8 of 10 reaches 80%, 7,999 of 10,000 does not.

With weights, each rate is the weighted mean of the per-category rates; categories with no
valid answers drop out and the remaining weights are renormalized. A category missing from the
weights counts with weight 1.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

from .scales import Grade, Scale


def gettext_noop(text):
    """Mark a label for translation (makemessages finds it); it is translated when read."""
    return text


# How a label is said in the current language. Identity here, with no Django import;
# surveys.apps sets it to Django's gettext, so `.label` follows the request's language.
translate = gettext_noop


class Level(str, Enum):
    SATISFIED = "satisfied"
    BASIC = "basic"
    BELOW = "below"
    NO_DATA = "no_data"

    @property
    def label(self):
        return translate(LEVEL_LABELS[self])


LEVEL_LABELS = {
    Level.SATISFIED: gettext_noop("群众满意单位"),
    Level.BASIC: gettext_noop("群众基本满意单位"),
    Level.BELOW: gettext_noop("未达标"),
    Level.NO_DATA: gettext_noop("无数据"),
}
# Lower number = better; NO_DATA sorts last and "wins" the lower-of-two rule.
_LEVEL_RANK = {Level.SATISFIED: 0, Level.BASIC: 1, Level.BELOW: 2, Level.NO_DATA: 3}


class Conclusion(str, Enum):
    """An investigation's conclusion on a below-standard unit (经调查了解)."""

    SERIOUS = "serious"  # improper practices relatively serious
    NOT_SERIOUS = "not_serious"


class FinalClass(str, Enum):
    SATISFIED = "satisfied"
    BASIC = "basic"
    PENDING = "pending"  # below standard, investigation not yet concluded
    BELOW = "below"  # below standard, investigated, not serious
    UNSATISFIED = "unsatisfied"  # 群众不满意单位
    NO_DATA = "no_data"

    @property
    def label(self):
        return translate(FINAL_LABELS[self])


FINAL_LABELS = {
    FinalClass.SATISFIED: gettext_noop("群众满意单位"),
    FinalClass.BASIC: gettext_noop("群众基本满意单位"),
    FinalClass.PENDING: gettext_noop("未达标（待调查）"),
    FinalClass.BELOW: gettext_noop("未达标（已调查）"),
    FinalClass.UNSATISFIED: gettext_noop("群众不满意单位"),
    FinalClass.NO_DATA: gettext_noop("无数据"),
}


@dataclass(frozen=True)
class Policy:
    positive_threshold: Fraction = Fraction(80, 100)
    basic_threshold: Fraction = Fraction(70, 100)
    unknown_in_denominator: bool = True
    min_valid: int = 30
    weights: Mapping[object, Fraction] | None = None

    def __post_init__(self):
        for name in ("positive_threshold", "basic_threshold"):
            value = getattr(self, name)
            if isinstance(value, float):
                raise TypeError(f"{name} must be exact (int, Fraction or Decimal), not float")
            if not 0 <= Fraction(value) <= 1:
                raise ValueError(f"{name} must lie between 0 and 1")
        if Fraction(self.basic_threshold) > Fraction(self.positive_threshold):
            raise ValueError("basic_threshold must not exceed positive_threshold")


@dataclass(frozen=True)
class DimensionResult:
    counts: dict
    answered: int
    valid: int
    satisfied: Fraction
    basic: Fraction
    dissatisfied: Fraction
    unknown: Fraction
    positive: Fraction
    interval: tuple | None
    score: Fraction | None
    below_minimum: bool
    weighted: bool
    level: Level
    by_category: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Rates:
    answered: int
    valid: int
    satisfied: Fraction
    basic: Fraction
    dissatisfied: Fraction
    unknown: Fraction
    score: Fraction | None


def _rates(counts, scale, policy):
    by_grade = dict.fromkeys(Grade, 0)
    points = 0
    scored = 0
    for value, n in counts.items():
        if n < 0:
            raise ValueError("counts must not be negative")
        option = scale.option(value)
        by_grade[option.grade] += n
        if option.score is not None:
            points += option.score * n
            scored += n
    answered = sum(by_grade.values())
    valid = answered if policy.unknown_in_denominator else answered - by_grade[Grade.UNKNOWN]
    zero = Fraction(0)

    def share(n, d):
        return Fraction(n, d) if d else zero

    return _Rates(
        answered=answered,
        valid=valid,
        satisfied=share(by_grade[Grade.SATISFIED], valid),
        basic=share(by_grade[Grade.BASIC], valid),
        dissatisfied=share(by_grade[Grade.DISSATISFIED], valid),
        unknown=share(by_grade[Grade.UNKNOWN], answered),
        score=Fraction(points, scored) if scored else None,
    )


def _weighted(parts, weights):
    """Weighted mean of per-category rates; empty categories drop out, weights renormalize."""
    live = [(Fraction(weights.get(key, 1)), rates) for key, rates in parts.items() if rates.valid]
    live = [(w, r) for w, r in live if w > 0]
    total = sum((w for w, _ in live), Fraction(0))
    if not total:
        return None

    def mean(attr):
        return sum((w * getattr(r, attr) for w, r in live), Fraction(0)) / total

    scored = [(w, r.score) for w, r in live if r.score is not None]
    scored_total = sum((w for w, _ in scored), Fraction(0))
    return {
        "satisfied": mean("satisfied"),
        "basic": mean("basic"),
        "dissatisfied": mean("dissatisfied"),
        "unknown": mean("unknown"),
        "score": sum((w * s for w, s in scored), Fraction(0)) / scored_total
        if scored_total
        else None,
    }


def wilson_interval(successes, n, z=1.959963984540054):
    """95% Wilson score interval; floats, for display only. None when n is 0."""
    if n <= 0:
        return None
    p = float(successes) / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _level(positive, satisfied, dissatisfied, valid, policy):
    if not valid:
        return Level.NO_DATA
    ahead = satisfied > dissatisfied
    if ahead and positive >= Fraction(policy.positive_threshold):
        return Level.SATISFIED
    if ahead and positive >= Fraction(policy.basic_threshold):
        return Level.BASIC
    return Level.BELOW


def rate(counts, scale: Scale, policy: Policy, by_category=None) -> DimensionResult:
    if by_category is not None:
        summed = {}
        for category_counts in by_category.values():
            for value, n in category_counts.items():
                summed[value] = summed.get(value, 0) + n
        counts = summed
    if counts is None:
        raise ValueError("give counts or by_category")
    counts = {value: n for value, n in counts.items() if n}
    overall = _rates(counts, scale, policy)
    parts = {
        key: _rates({v: n for v, n in c.items() if n}, scale, policy)
        for key, c in (by_category or {}).items()
    }
    values = {
        "satisfied": overall.satisfied,
        "basic": overall.basic,
        "dissatisfied": overall.dissatisfied,
        "unknown": overall.unknown,
        "score": overall.score,
    }
    weighted = False
    if policy.weights is not None:
        if by_category is None:
            raise ValueError("weights need counts by category")
        mean = _weighted(parts, policy.weights)
        if mean is not None:
            values, weighted = mean, True
    positive = values["satisfied"] + values["basic"]
    interval = None
    if overall.valid:
        # Interval on the effective positive share: exact counts unweighted, the weighted
        # rate over the valid total when weighted (an approximation, display only).
        interval = wilson_interval(positive * overall.valid, overall.valid)
    return DimensionResult(
        counts=counts,
        answered=overall.answered,
        valid=overall.valid,
        satisfied=values["satisfied"],
        basic=values["basic"],
        dissatisfied=values["dissatisfied"],
        unknown=values["unknown"],
        positive=positive,
        interval=interval,
        score=values["score"],
        below_minimum=overall.valid < policy.min_valid,
        weighted=weighted,
        level=_level(
            positive, values["satisfied"], values["dissatisfied"], overall.valid, policy
        ),
        by_category=parts,
    )


def overall_level(levels):
    """The lower of the headline dimensions' levels (NO_DATA if any dimension has none)."""
    levels = list(levels)
    if not levels:
        return Level.NO_DATA
    return max(levels, key=_LEVEL_RANK.__getitem__)


def level_sort_key(level):
    return _LEVEL_RANK[Level(level)]


def final_class(level, conclusion=None):
    level = Level(level)
    if level is Level.SATISFIED:
        return FinalClass.SATISFIED
    if level is Level.BASIC:
        return FinalClass.BASIC
    if level is Level.NO_DATA:
        return FinalClass.NO_DATA
    if conclusion is None:
        return FinalClass.PENDING
    if Conclusion(conclusion) is Conclusion.SERIOUS:
        return FinalClass.UNSATISFIED
    return FinalClass.BELOW


def competition_ranks(keys):
    """Ranks for values sorted best first: equal keys share a rank (1, 2, 2, 4)."""
    ranks = []
    for index, key in enumerate(keys):
        if index and key == keys[index - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(index + 1)
    return ranks


def percent(value, places=1):
    """Format a Fraction as a percentage string for display (never for comparison)."""
    if value is None:
        return "—"
    scaled = Fraction(value) * 100 * 10**places
    rounded = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    text = f"{rounded / 10**places:.{places}f}" if places else str(rounded)
    return f"{text}%"


def unit_final_class(dimensions):
    """A unit's final class from [(Level, Conclusion or None), ...] of its headline dimensions.

    The overall level is the lower of the dimensions' levels. Below standard, the unit is a
    群众不满意单位 if any below-standard dimension was concluded serious, pending while any
    below-standard dimension still lacks a conclusion, and otherwise stays below standard.
    """
    dimensions = list(dimensions)
    level = overall_level(level for level, _ in dimensions)
    if level is not Level.BELOW:
        return final_class(level)
    conclusions = [Conclusion(c) if c else None for lvl, c in dimensions if lvl is Level.BELOW]
    if Conclusion.SERIOUS in conclusions:
        return FinalClass.UNSATISFIED
    if None in conclusions:
        return FinalClass.PENDING
    return FinalClass.BELOW
