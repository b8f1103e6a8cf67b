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
``level_ranks(entries) -> list[int | None]``
    Ranks inside a group for [(level, rate)]: level first, then the exact rate; NO_DATA unranked.
``competition_ranks(keys) -> list[int]``
    Ranks 1, 2, 2, 4 ... for values already sorted best first (ties share a rank).
``wilson_interval(successes, n) -> (low, high)``
    The 95% Wilson score interval of a proportion, as floats for display only.
``percent(value)``, ``decimal(value)``, ``truncate(value, places)``
    Display: cut toward zero, never rounded, so a shown figure never crosses a threshold.
``describe_policy(policy, scale, ...) -> [(label, text)]``
    The rule a round was rated by, in plain Chinese, for every page and 说明 sheet.

DimensionResult fields
----------------------
counts          option value -> answers (all categories together)
answered        answers given (blank items excluded)
valid           the denominator: ``answered``, less 不了解 when the policy leaves it out, less
                the answers of categories weighted 0 in a weighted round
satisfied, basic, dissatisfied, unknown
                rates as ``Fraction``; ``unknown`` is a share of ``answered``, so it reads the
                same whichever denominator the round uses
positive        satisfied + basic, the rate compared with the thresholds
interval        95% Wilson interval of ``positive`` on ``effective`` answers (floats, display
                only, never compared)
score           mean 0-100 score on a scored (five-level) scale, else None
below_minimum   some valid answers, but an effective sample below the policy's minimum: the
                rating is shown with a mark (no valid answers at all is NO_DATA, not this)
weighted        whether category weights were applied
level           Level.SATISFIED / BASIC / BELOW / NO_DATA
by_category     kept for callers that build results themselves; ``rate`` leaves it empty
effective       the effective sample size: ``valid`` unweighted; with weights Kish's
                (sum of w)^2 / sum of w^2 over the valid answers, each answer weighing its
                category's weight over the category's valid answers (a ``Fraction``)

The rule
--------
satisfied unit: positive >= positive threshold (80%) and satisfied > dissatisfied;
basically satisfied unit: positive >= basic threshold (70%) and satisfied > dissatisfied;
otherwise below standard, pending investigation. Zero valid answers is NO_DATA.
All comparisons are exact (integer cross-multiplication, or Fractions when weighted): 8 of 10
reaches 80%, 7,999 of 10,000 does not.

With weights, each rate is the weighted mean of the per-category rates; categories with no
valid answers drop out and the remaining weights are renormalized. A category missing from the
weights counts with weight 1; a category weighted 0 does not count at all. Weights must be
exact numbers (int, Fraction, Decimal), never floats, and not all zero.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from functools import cached_property, lru_cache

from .scales import Grade, Scale


def gettext_noop(text):
    """Mark a label for translation (makemessages finds it); it is translated when read."""
    return text


# How a label is said in the current language. Identity here, with no Django import;
# surveys.apps sets it to Django's gettext, so `.label` follows the request's language.
translate = gettext_noop


def _(text):
    """A rule text in the current language (makemessages finds the literal)."""
    return translate(text)


def series(items):
    """Names as a list in the current language: 、 here, with no Django import; surveys.apps
    sets it to credibility.text.series, so the separator follows the request's language."""
    return "、".join(str(item) for item in items)


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


def _exact(value, what):
    """`value` as a Fraction; floats (and bools, and anything else) are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, Fraction, Decimal)):
        raise TypeError(
            f"{what} must be exact (int, Fraction or Decimal), not {type(value).__name__} {value!r}"
        )
    return Fraction(value)


@dataclass(frozen=True)
class Policy:
    positive_threshold: Fraction = Fraction(80, 100)
    basic_threshold: Fraction = Fraction(70, 100)
    unknown_in_denominator: bool = True
    min_valid: int = 30
    weights: Mapping[object, Fraction] | None = None

    def __post_init__(self):
        # Stored as Fractions, so the rule never meets a Decimal or an int it did not expect.
        for name in ("positive_threshold", "basic_threshold"):
            value = _exact(getattr(self, name), name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must lie between 0 and 1")
            object.__setattr__(self, name, value)
        if self.basic_threshold > self.positive_threshold:
            raise ValueError("basic_threshold must not exceed positive_threshold")
        if isinstance(self.min_valid, bool) or not isinstance(self.min_valid, int) or self.min_valid < 0:
            raise ValueError("min_valid must be a whole number of answers, 0 or more")
        if self.weights is not None:
            weights = {}
            for key, weight in self.weights.items():
                weight = _exact(weight, f"the weight of category {key!r}")
                if weight < 0:
                    raise ValueError(f"the weight of category {key!r} is negative ({weight})")
                weights[key] = weight
            if weights and not any(weights.values()):
                raise ValueError(
                    "every category weight is 0, so no answer would count: "
                    "give at least one category a positive weight, or rate unweighted"
                )
            object.__setattr__(self, "weights", weights)


_SHARES = ("satisfied", "basic", "dissatisfied", "unknown", "positive", "interval", "score")
_FIELDS = ("counts", "answered", "valid", *_SHARES, "below_minimum", "weighted", "level",
           "by_category", "effective")


class DimensionResult:
    """One unit rated on one dimension (the fields: see the module docstring).

    Unweighted, the rule needs only integers: `rate` decides the level by cross-multiplying
    the tally and keeps it; the shares (Fractions) and the interval are made the first time a
    page reads them. A results page rates thousands of dimensions and shows a few of them.
    Weighted results are given their shares already made (they are needed for the level).
    """

    def __init__(self, *, counts, answered, valid, level, below_minimum, weighted, effective=0,
                 by_category=None, tally=None, **shares):
        if shares or tally is None:  # weighted: every share given, made already
            if set(shares) != set(_SHARES):
                raise TypeError(f"give the tally or every share of {_SHARES}, not {sorted(shares)}")
            self.__dict__.update(shares)  # overrides the lazy properties below
        self.counts = counts
        self.answered = answered
        self.valid = valid
        self.level = level
        self.below_minimum = below_minimum
        self.weighted = weighted
        self.effective = effective
        self.by_category = {} if by_category is None else by_category
        self._tally = tally  # (satisfied, basic, dissatisfied, unknown, points, scored)

    @cached_property
    def satisfied(self):
        return _share(self._tally[0], self.valid)

    @cached_property
    def basic(self):
        return _share(self._tally[1], self.valid)

    @cached_property
    def dissatisfied(self):
        return _share(self._tally[2], self.valid)

    @cached_property
    def unknown(self):
        return _share(self._tally[3], self.answered)

    @cached_property
    def positive(self):
        return _share(self._tally[0] + self._tally[1], self.valid)

    @cached_property
    def interval(self):
        return wilson_interval(self._tally[0] + self._tally[1], self.valid) if self.valid else None

    @cached_property
    def score(self):
        points, scored = self._tally[4], self._tally[5]
        return Fraction(points, scored) if scored else None

    @property
    def ahead(self):
        """Satisfied answers outnumber dissatisfied ones (the rule's second condition)."""
        if self._tally is not None:
            return self._tally[0] > self._tally[2]
        return self.satisfied > self.dissatisfied

    def reaches(self, threshold):
        """positive >= threshold, exactly: integers unweighted, Fractions weighted."""
        if self._tally is not None:
            if not isinstance(threshold, Fraction):
                threshold = Fraction(threshold)
            return _reaches(self._tally[0] + self._tally[1], self.valid, threshold)
        return self.positive >= threshold

    def _key(self):
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other):
        if not isinstance(other, DimensionResult):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None

    def __repr__(self):
        return "DimensionResult(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in _FIELDS) + ")"

    @property
    def positive_text(self):
        """The positive rate as shown anywhere (cut toward zero), or 无数据 without valid answers."""
        return percent(self.positive) if self.valid else LEVEL_LABELS[Level.NO_DATA]


_GRADE_INDEX = {Grade.SATISFIED: 0, Grade.BASIC: 1, Grade.DISSATISFIED: 2, Grade.UNKNOWN: 3}
_ZERO = Fraction(0)


@lru_cache(maxsize=None)
def _grading(scale):
    """{option value: (grade index, score or None)} of a scale, built once per scale."""
    return {o.value: (_GRADE_INDEX[o.grade], o.score) for o in scale.options}


def _tally(counts, grading):
    """(satisfied, basic, dissatisfied, unknown, points, scored answers) as integers."""
    by_grade = [0, 0, 0, 0]
    points = scored = 0
    for value, n in counts.items():
        if not n:
            continue
        if n < 0:
            raise ValueError("counts must not be negative")
        try:
            index, score = grading[value]
        except KeyError:
            raise KeyError(value) from None
        by_grade[index] += n
        if score is not None:
            points += score * n
            scored += n
    return (*by_grade, points, scored)


def _share(n, d):
    return Fraction(n, d) if d else _ZERO


def wilson_interval(successes, n, z=1.959963984540054):
    """95% Wilson score interval; floats, for display only. None when n is 0.

    `n` may be an effective sample size (not a whole number) and `successes` its share of it.
    """
    if n <= 0:
        return None
    n = float(n)
    p = min(1.0, max(0.0, float(successes) / n))
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _reaches(count, valid, threshold):
    """count / valid >= threshold, by integer cross-multiplication."""
    return count * threshold.denominator >= threshold.numerator * valid


def rate(counts, scale: Scale, policy: Policy, by_category=None) -> DimensionResult:
    grading = _grading(scale)
    if by_category is not None:
        summed = {}
        for category_counts in by_category.values():
            for value, n in category_counts.items():
                if n:
                    summed[value] = summed.get(value, 0) + n
        counts = summed
    if counts is None:
        raise ValueError("give counts or by_category")
    counts = {value: n for value, n in counts.items() if n}
    tally = _tally(counts, grading)
    if policy.weights is not None:
        if by_category is None:
            raise ValueError("weights need counts by category")
        return _rate_weighted(counts, tally, by_category, grading, policy)

    s, b, d, u, points, scored = tally
    answered = s + b + d + u
    valid = answered if policy.unknown_in_denominator else answered - u
    if not valid:
        level = Level.NO_DATA
    elif s > d and _reaches(s + b, valid, policy.positive_threshold):
        level = Level.SATISFIED
    elif s > d and _reaches(s + b, valid, policy.basic_threshold):
        level = Level.BASIC
    else:
        level = Level.BELOW
    return DimensionResult(
        counts=counts,
        answered=answered,
        valid=valid,
        tally=tally,
        below_minimum=0 < valid < policy.min_valid,
        weighted=False,
        level=level,
        effective=valid,
    )


class _Mean:
    """Weighted means Σ w·(n/d) / Σ w over fixed (w, d) pairs with d > 0, exactly.

    Everything is integer arithmetic over one common denominator, with one Fraction per
    mean at the end: a few microseconds where summing Fractions costs a hundred.
    """

    def __init__(self, pairs):
        common = weights = 1
        for w, d in pairs:
            common = math.lcm(common, w.denominator * d)
            weights = math.lcm(weights, w.denominator)
        self.multipliers = [w.numerator * (common // (w.denominator * d)) for w, d in pairs]
        total = sum(w.numerator * (weights // w.denominator) for w, _ in pairs)
        self.scale, self.denominator = weights, common * total

    def __call__(self, numerators):
        top = sum(m * n for m, n in zip(self.multipliers, numerators))
        return Fraction(top * self.scale, self.denominator)


def _rate_weighted(counts, tally, by_category, grading, policy):
    """The weighted mean of the per-category rates (see the module docstring)."""
    weights = policy.weights
    one = Fraction(1)
    live = []  # (weight, tally, valid, answered) of categories that count
    for key, category_counts in by_category.items():
        part = _tally(category_counts, grading)
        answered = sum(part[:4])
        valid = answered if policy.unknown_in_denominator else answered - part[3]
        weight = weights.get(key, one)
        if valid and weight:
            live.append((weight, part, valid, answered))
    answered = sum(tally[:4])
    valid = sum(v for _, _, v, _ in live)
    if not live:
        # Only categories weighted 0 answered (or nobody did): nothing counts.
        return DimensionResult(
            counts=counts, answered=answered, valid=0, satisfied=_ZERO, basic=_ZERO,
            dissatisfied=_ZERO, unknown=_share(tally[3], answered), positive=_ZERO,
            interval=None, score=None, below_minimum=False, weighted=True,
            level=Level.NO_DATA, effective=0,
        )
    over_valid = _Mean([(w, v) for w, _, v, _ in live])
    satisfied = over_valid([t[0] for _, t, _, _ in live])
    basic = over_valid([t[1] for _, t, _, _ in live])
    dissatisfied = over_valid([t[2] for _, t, _, _ in live])
    positive = over_valid([t[0] + t[1] for _, t, _, _ in live])
    unknown = _Mean([(w, a) for w, _, _, a in live])([t[3] for _, t, _, _ in live])
    scored = [(w, t) for w, t, _, _ in live if t[5]]
    score = _Mean([(w, t[5]) for w, t in scored])([t[4] for _, t in scored]) if scored else None
    # Kish: each valid answer of category c weighs w_c / n_c, so
    # n_eff = (Σ a)² / Σ a² = (Σ w_c)² / Σ (w_c² / n_c) = Σ w_c / mean of (w_c / n_c).
    total = sum((w for w, _, _, _ in live), _ZERO)
    effective = total / _Mean([(w, w.denominator * v) for w, _, v, _ in live])([w.numerator for w, _, _, _ in live])
    ahead = satisfied > dissatisfied
    if ahead and positive >= policy.positive_threshold:
        level = Level.SATISFIED
    elif ahead and positive >= policy.basic_threshold:
        level = Level.BASIC
    else:
        level = Level.BELOW
    return DimensionResult(
        counts=counts,
        answered=answered,
        valid=valid,
        satisfied=satisfied,
        basic=basic,
        dissatisfied=dissatisfied,
        unknown=unknown,
        positive=positive,
        interval=wilson_interval(float(positive) * float(effective), effective),
        score=score,
        below_minimum=effective < policy.min_valid,
        weighted=True,
        level=level,
        effective=effective,
    )


# The policy's goals, "两年两提高，五年大提升": positive >= 80% within two years, >= 90% within
# five, each with more satisfied than dissatisfied answers (labels: surveys/results/dashboards.py).
GOALS = (Fraction(80, 100), Fraction(90, 100))


def reaches_goal(dimension, goal):
    """Whether one dimension meets a goal: positive >= goal and satisfied > dissatisfied.

    It reads like the satisfied-unit rule with another line and compares exactly as `rate`
    does; a rate printed 80.0% may still fall short."""
    return bool(dimension.valid) and dimension.ahead and dimension.reaches(goal)


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


def level_ranks(entries):
    """Competition ranks for [(level, rate)], returned in the order given.

    A better level always ranks above a worse one (群众满意单位, then 群众基本满意单位, then
    未达标), and inside a level the higher exact rate ranks first; equal level and rate share
    a rank. NO_DATA is not ranked (None), so it never reads as "last with 0%".
    """
    entries = [(Level(level), value) for level, value in entries]
    order = sorted(
        (i for i, (level, _) in enumerate(entries) if level is not Level.NO_DATA),
        key=lambda i: (_LEVEL_RANK[entries[i][0]], -entries[i][1]),
    )
    keys = [(_LEVEL_RANK[entries[i][0]], entries[i][1]) for i in order]
    ranks = [None] * len(entries)
    for i, rank in zip(order, competition_ranks(keys)):
        ranks[i] = rank
    return ranks


# --- display: cut toward zero, never rounded --------------------------------------------------


def truncate(value, places):
    """`value` cut toward zero to `places` decimals, as an exact Fraction (or None)."""
    if value is None:
        return None
    value = Fraction(value)
    scale = 10**places
    return Fraction(math.trunc(value * scale), scale)


def _digits(value, places):
    """Text of a number cut toward zero to `places` decimals."""
    if not isinstance(value, Fraction):
        value = Fraction(value)
    scale = 10**places
    cut = abs(value.numerator) * scale // value.denominator
    whole, part = divmod(cut, scale)
    sign = "-" if value < 0 and cut else ""
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def percent(value, places=1):
    """A rate as a percentage for display, cut toward zero (never for comparison).

    79.95% shows 79.9%: a shown figure never reaches a threshold the exact rate misses.
    """
    if value is None:
        return "—"
    return _digits(Fraction(value) * 100, places) + "%"


def decimal(value, places=1):
    """A number (the 0-100 score) for display, cut toward zero like `percent`."""
    if value is None:
        return "—"
    return _digits(value, places)


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


# --- the rule in words --------------------------------------------------------------------


def exact_text(value):
    """An exact number as short text: 3, 1.5, 0.125, or 1/3 when it has no finite decimal."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    return _digits(value, places)


def describe_policy(policy, scale, *, weight_labels=None, min_cell=None):
    """The rule a round is rated by, as [(key, label, text)] in plain Chinese.

    One description for every page and every 说明 sheet, so they cannot drift apart.
    `weight_labels` maps category key -> name, in display order (weighted rounds);
    `min_cell` is the smallest category shown on its own in breakdowns, if any are shown.
    """
    positive = exact_text(policy.positive_threshold * 100)
    basic = exact_text(policy.basic_threshold * 100)
    has_unknown = any(o.grade is Grade.UNKNOWN for o in scale.options)
    if not has_unknown:
        unknown = _("本轮答案选项没有“不了解”；空白选项视为弃权，不计入有效票")
    elif policy.unknown_in_denominator:
        unknown = _("“不了解”计入有效票（比率的分母含“不了解”，较严格的口径）；空白选项视为弃权，不计入")
    else:
        unknown = _("“不了解”不计入有效票（比率的分母不含“不了解”）；空白选项视为弃权，不计入")
    if policy.weights is None:
        weights = _("不加权：每张有效票同等计数")
        minimum = _("有效票少于 %(minimum)s 张的评定标 *，仅供参考") % {"minimum": policy.min_valid}
        interval = _("95% 置信区间（Wilson 法），按有效票数计算")
    else:
        labels = weight_labels or {key: str(key) for key in policy.weights}
        listed = series(
            f"{name} ×{exact_text(policy.weights.get(key, 1))}" for key, name in labels.items()
        )
        weights = _(
            "按参评人员类别加权：%(listed)s。比率为各类别比率的加权平均（没有有效票的类别不参与，"
            "其余权重重新归一；权重为 0 的类别不计入），票数仍为实际票数，不能用票数直接相除得到比率"
        ) % {"listed": listed}
        minimum = _(
            "有效样本量少于 %(minimum)s 的评定标 *，仅供参考；加权时有效样本量按 Kish 公式"
            "（权重和的平方 ÷ 权重平方和）计算，少于实际票数"
        ) % {"minimum": policy.min_valid}
        interval = _("95% 置信区间（Wilson 法），加权时按有效样本量计算")
    rules = [
        ("scale", _("答案选项"), scale.label + (
            _("；另计百分制得分（%(scores)s，按各票得分平均）")
            % {"scores": series(f"{o.label} {o.score}" for o in scale.options)} if scale.scored else ""
        )),
        ("levels", _("等次线"), _(
            "群众满意单位：满意率＋基本满意率 ≥ %(positive)s%%，且满意率 > 不满意率；"
            "群众基本满意单位：≥ %(basic)s%% 且 < %(positive)s%%，且满意率 > 不满意率；"
            "其余为未达标，经调查认定用人不正之风问题较为严重的为群众不满意单位。按精确分数判定"
        ) % {"positive": positive, "basic": basic}),
        ("unknown", _("有效票"), unknown),
        ("weights", _("权重"), weights),
        ("overall", _("综合评定"), _("取两项总体评价（干部选拔任用工作满意度、防治用人不正之风工作满意度）中较低的等次")),
        ("display", _("数字显示"), _("比率截尾显示到 0.1%（不四舍五入，如 79.95% 显示为 79.9%），显示的数字不会越过等次线")),
        ("minimum", _("最少样本"), minimum),
        ("interval", _("置信区间"), interval),
        ("ranking", _("排名"), _(
            "在单位分组内先按等次（群众满意单位、群众基本满意单位、未达标），同一等次再按满意＋基本满意"
            "比率（精确比较）从高到低；并列者名次相同；无有效票的单位不排名（无数据）。"
            "综合名次先按综合评定的等次，再按两项比率的平均"
        )),
    ]
    if min_cell:
        rules.append((
            "suppression", _("按类别统计"),
            _("少于 %(min_cell)s 人的类别不单独显示，与其他类别合并为“其他”；"
              "为防止用合计数相减推算出被合并的类别，必要时另有较大的类别一并合并") % {"min_cell": min_cell},
        ))
    return rules
