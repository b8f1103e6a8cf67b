"""Reads for the leader dashboards (测评结果): round overview, unit page, trends, live turnout.

Every rate, level, class and rank comes from `selectors.round_results` / `item_results`,
which take them from `scoring`; this module only pools, filters, sorts and arranges them.
Query counts depend on the number of rounds shown, never on units or ballots.

Definitions shown on the pages:
- city-wide (全市) rate of a dimension: pooled over every valid answer of the units in view,
  i.e. `scoring.rate` on the summed counts (weighted by category like a unit when the
  round weights), so a unit counts by its number of answers;
- group / city average on the unit page (本组平均, 全市平均): the mean of the units' rates,
  each unit once (`selectors.mean_positive`), the same figure the Excel feedback shows.
"""

from collections import Counter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from django.db.models import Case, When

from accounts.roles import MANAGE, VIEW_RESULTS
from credibility.text import series
from surveys import scoring
from surveys.breakdowns import category_breakdown
from surveys.models import (
    HEADLINE_KINDS, Ballot, Investigation, Rectification, Round, RoundUnit,
)
from surveys.scales import Grade
from surveys.selectors import (
    data_shortfall, figures_shortfall, item_results, round_results, round_rules, round_suppression,
    round_turnout, rounds_figures, rounds_results,
)
from units.models import UnitKind

# The policy's goals (`scoring.GOALS`) with their names.
GOALS = (
    (scoring.GOALS[0], gettext_lazy("两年目标 80%")),
    (scoring.GOALS[1], gettext_lazy("五年目标 90%")),
)
FINAL_ORDER = (
    scoring.FinalClass.SATISFIED,
    scoring.FinalClass.BASIC,
    scoring.FinalClass.PENDING,
    scoring.FinalClass.BELOW,
    scoring.FinalClass.UNSATISFIED,
    scoring.FinalClass.NO_DATA,
)
DIMENSION_LABELS = {kind: kind.label for kind in HEADLINE_KINDS}
OPINION_LIMIT = 300


NO_DATA_TEXT = scoring.Level.NO_DATA.label  # 无数据


class Percents:
    """Rates of a DimensionResult (or any object) as display strings, for templates.

    `scoring.percent` cuts toward zero for reading only (79.95% shows 79.9%), so a shown rate
    never reaches a line the exact rate misses; the level printed beside it is scoring's,
    decided on the exact fraction. Without valid answers a rate is an absence, not 0%.
    """

    def __init__(self, obj):
        self.obj = obj

    def __getitem__(self, name):
        obj = self.obj
        if name == "unknown":  # a share of the answers given, whatever the denominator
            return "—" if not getattr(obj, "answered", 0) else scoring.percent(obj.unknown)
        if name == "score":
            return scoring.decimal(getattr(obj, "score", None))
        if name == "effective":
            return scoring.decimal(obj.effective) if obj.valid else "—"
        if name == "interval":
            value = obj.interval
            return "—" if not value else f"{scoring.percent(value[0])}–{scoring.percent(value[1])}"
        value = getattr(obj, name)
        if getattr(obj, "valid", None) == 0:
            return NO_DATA_TEXT if name == "positive" else "—"
        if value is None or isinstance(value, Fraction):
            return scoring.percent(value)
        raise KeyError(name)


@dataclass(frozen=True)
class Columns:
    """Which optional columns a round's tables carry."""

    has_unknown: bool  # the scale has 不了解
    scored: bool  # the five-level scale's 0-100 score
    weighted: bool  # category weights: the effective sample size beside the answers

    @classmethod
    def of(cls, round_):
        """`round_`: a Round, or `RoundResults.rules` (the sealed values of a sealed round)."""
        scale = round_.scale_def
        return cls(
            has_unknown=any(o.grade is Grade.UNKNOWN for o in scale.options),
            scored=scale.scored,
            weighted=round_.use_weights,
        )


def rules_by_round(points):
    """[(rules, [rounds])]: rounds rated by the same rule together, oldest group first.

    One description per distinct rule (`selectors.round_rules`, as each round was sealed:
    `CityPoint.policy_rules`), so a page spanning rounds says where the rule changed.
    """
    groups = []
    for point in points:
        r, rules = point.round, point.policy_rules
        for known, members in groups:
            if known == rules:
                members.append(r)
                break
        else:
            groups.append((rules, [r]))
    return groups


def dimension_rows(dimensions):
    """[(label, DimensionResult, Percents)] of the headline dimensions, in policy order."""
    return [(kind.label, dimensions[kind], Percents(dimensions[kind])) for kind in HEADLINE_KINDS if kind in dimensions]


# --- results of finished rounds ------------------------------------------------------------
#
# A closed or published round is read from its sealed snapshot (`selectors.results_source`):
# one row holding every unit's counts, names and rules as at close, the same for every worker
# process, so there is nothing to keep in memory here and nothing that can go stale.


def rated_round(round_, *, groups=None):
    """`round_results` of the round, limited to `groups`.

    Ranks stay those of the whole group, which a scope holds whole or not at all.
    """
    return round_results(round_, groups=groups)


# --- which rounds a user sees -------------------------------------------------------------


def result_rounds(user):
    """Rounds whose results a user may read: staff closed and published, leaders published."""
    if user.has_perm(MANAGE):
        return Round.objects.with_results()
    return Round.objects.published()


def live_rounds(user):
    """Open rounds whose turnout a user may watch: anyone who reads results (the screen
    shows counts of ballots only, never an answer or a rate, so nothing is published early)."""
    if user.has_perm(VIEW_RESULTS):
        return Round.objects.open()
    return Round.objects.none()


def dashboard_rounds(user):
    return (result_rounds(user) | live_rounds(user)).order_by("-year", "-opens_at", "-id")


def previous_round(round_, rounds):
    """The latest of `rounds` that opened before `round_` (for the change of rank)."""
    return rounds.filter(opens_at__lt=round_.opens_at).order_by("-opens_at", "-id").first()


# --- pooled figures -----------------------------------------------------------------------


def pooled(results, round_unit_ids=None):
    """{kind: DimensionResult} over all answers of the given units (default: every unit of
    `results`), summed from the counts the results were rated from."""
    totals = results.totals(round_unit_ids)
    return {
        kind: scoring.rate(None, results.scale, results.policy,
                           by_category={c: dict(o) for c, o in totals.get(results.items[kind].pk, {}).items()})
        for kind in HEADLINE_KINDS
        if kind in results.items
    }


# --- round overview -----------------------------------------------------------------------


@dataclass
class Overview:
    round: Round
    results: object  # selectors.RoundResults, limited to the user's groups
    previous: Round | None
    previous_ranks: dict  # unit_id -> ranks dict of the previous round
    previous_positive: dict  # unit_id -> {kind: positive rate or None} of the previous round
    city: dict  # kind -> pooled DimensionResult
    finals: list  # [(FinalClass, count)]
    online: int
    paper: int
    planned: int

    @property
    def units(self):
        return len(self.results.units)

    @property
    def ballots(self):
        return self.online + self.paper

    @property
    def completion(self):
        return Fraction(self.ballots, self.planned) if self.planned else None

    @property
    def groups(self):
        return list(self.by_group())

    def by_group(self):
        """{group: [UnitResult]}, districts' groups before departments', as the policy lists them."""
        grouped = self.results.by_group()
        return {g: grouped[g] for g in sorted(grouped, key=lambda g: g.kind != UnitKind.DISTRICT)}

    @property
    def city_rows(self):
        """[(label, pooled result, Percents, [(goal label, reached)])] per headline dimension."""
        return [
            (label, d, p, [(goal_label, scoring.reaches_goal(d, goal)) for goal, goal_label in GOALS])
            for label, d, p in dimension_rows(self.city)
        ]

    @property
    def completion_pct(self):
        return scoring.percent(self.completion)

    @cached_property
    def rules(self):
        return round_rules(self.round, source=self.results.source)

    @cached_property
    def columns(self):  # read once per row of the ranking table: keep the first answer
        return Columns.of(self.results.rules or self.round)


def round_overview(round_, *, groups, previous=None):
    results = rated_round(round_, groups=groups)
    previous_ranks, previous_positive = {}, {}
    if previous is not None:
        before = rated_round(previous, groups=groups).units
        previous_ranks = {r.unit.pk: r.ranks for r in before}
        previous_positive = {
            r.unit.pk: {kind: d.positive if d.valid else None for kind, d in r.dimensions.items()} for r in before
        }
    finals = Counter(r.final for r in results.units)
    return Overview(
        round=round_,
        results=results,
        previous=previous,
        previous_ranks=previous_ranks,
        previous_positive=previous_positive,
        city=pooled(results),
        finals=[(f, finals.get(f, 0)) for f in FINAL_ORDER if finals.get(f) or f is not scoring.FinalClass.NO_DATA],
        online=sum(r.round_unit.online_ballots for r in results.units),
        paper=sum(r.round_unit.paper_ballots for r in results.units),
        planned=sum(r.round_unit.planned_sample for r in results.units),
    )


@dataclass
class RankingRow:
    result: object  # selectors.UnitResult
    dimension: object  # scoring.DimensionResult of the chosen dimension
    rank: int | None
    previous_rank: int | None
    in_previous: bool
    previous_positive: Fraction | None = None

    @property
    def pct(self):
        return Percents(self.dimension)

    @property
    def show(self):
        """The row's display strings in a plain dict: 120 rows render measurably faster."""
        d, final, p = self.dimension, self.result.final, Percents(self.dimension)
        return {
            "satisfied": p["satisfied"], "basic": p["basic"], "dissatisfied": p["dissatisfied"],
            "unknown": p["unknown"], "positive": p["positive"], "interval": p["interval"],
            "score": p["score"], "effective": p["effective"],
            "below_minimum": d.below_minimum,
            "level": d.level.value, "level_label": d.level.label,
            "final": final.value, "final_label": final.label,
        }

    @property
    def change(self):
        """Places gained since the previous round (positive = moved up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def rate_change(self):
        """The positive rate now minus in the previous round (exact), or None."""
        if not self.dimension.valid or self.previous_positive is None:
            return None
        return self.dimension.positive - self.previous_positive

    @property
    def rate_change_text(self):
        """The rate's change in percentage points for display: ("up" | "down" | "same", "2.3")."""
        delta = self.rate_change
        if delta is None:
            return None
        if delta == 0:
            return ("same", "0")
        points = scoring.percent(abs(delta)).rstrip("%")
        return ("up" if delta > 0 else "down", points if points != "0.0" else "<0.1")


@dataclass
class RankingTable:
    group: object
    size: int  # units of the group in view, before filters
    rows: list = field(default_factory=list)


SORTS = {
    "rank": lambda row: row.rank,
    "positive": lambda row: row.dimension.positive if row.dimension.valid else None,
    "valid": lambda row: row.dimension.valid,
    "satisfied": lambda row: row.dimension.satisfied if row.dimension.valid else None,
    "dissatisfied": lambda row: row.dimension.dissatisfied if row.dimension.valid else None,
    "unknown": lambda row: row.dimension.unknown if row.dimension.answered else None,
    "score": lambda row: row.dimension.score if row.dimension.valid else None,
    "change": lambda row: row.change,
    "rate_change": lambda row: row.rate_change,
    "name": lambda row: row.result.unit.code,
}
# A rank reads best ascending, a rate best descending: each key's natural first direction.
DESCENDING_FIRST = {"positive", "valid", "satisfied", "score", "change", "rate_change"}


def ranking_tables(overview, *, dimension, unit_kind=None, group_id=None, final=None, sort="rank", descending=False):
    """One table per unit group, filtered and sorted; rows without a value sort last."""
    key = SORTS[sort]
    ranks_key = dimension
    tables = []
    for group, members in overview.by_group().items():
        if unit_kind and group.kind != unit_kind:
            continue
        if group_id and group.pk != group_id:
            continue
        table = RankingTable(group=group, size=len(members))
        for result in members:
            if final and result.final.value != final:
                continue
            previous = overview.previous_ranks.get(result.unit.pk)
            table.rows.append(
                RankingRow(
                    result=result,
                    dimension=result.dimensions[dimension],
                    rank=result.ranks.get(ranks_key),
                    previous_rank=previous.get(ranks_key) if previous else None,
                    in_previous=previous is not None,
                    previous_positive=overview.previous_positive.get(result.unit.pk, {}).get(dimension),
                )
            )
        present = [row for row in table.rows if key(row) is not None]
        missing = [row for row in table.rows if key(row) is None]
        present.sort(key=key, reverse=descending)
        table.rows = present + missing
        tables.append(table)
    return tables


# --- unit page ----------------------------------------------------------------------------


@dataclass
class ItemRow:
    item: object
    result: object  # scoring.DimensionResult of this unit
    group_mean: Fraction | None
    city_mean: Fraction | None
    segments: list  # [(label, count, css)] for the stacked bar

    @property
    def pct(self):
        return Percents(self.result)

    @property
    def means(self):
        return Percents(self)


@dataclass
class TrendPoint:
    round: Round
    result: object  # selectors.UnitResult of the unit in that round

    @property
    def dims(self):
        return dimension_rows(self.result.dimensions)


@dataclass
class UnitPage:
    round: Round
    result: object  # selectors.UnitResult
    group_size: int
    items: list  # [ItemRow]
    breakdowns: list  # [(dimension label, [(breakdowns.CategoryRow, Percents or None)])]
    trend: list  # [TrendPoint], oldest first
    opinions: list  # [(day, text)], the newest OPINION_LIMIT, newest last
    more_opinions: bool  # older ones left out
    investigations: list
    rectifications: list
    pending: list  # headline kinds below standard still without an investigation conclusion
    source: object = None  # where the round's figures come from (`selectors.results_source`)

    @property
    def fingerprint(self):
        """The seal's fingerprint; "" when the figures come from the tallies."""
        snapshot = getattr(self.source, "snapshot", None)
        return snapshot.fingerprint if snapshot is not None else ""

    @cached_property
    def rules(self):
        return round_rules(self.round, source=self.source)

    @cached_property
    def columns(self):  # read once per row of the ranking table: keep the first answer
        return Columns.of(getattr(self.source, "rules", None) or self.round)

    @property
    def dims(self):
        return dimension_rows(self.result.dimensions)

    @property
    def rows(self):
        """[(label, DimensionResult, Percents, rank in group)] of the headline dimensions."""
        return [(*row, self.result.ranks.get(kind)) for kind, row in zip(HEADLINE_KINDS, self.dims)]


def _mean_positive(dimensions):
    """Mean positive rate over dimensions with valid answers (each unit once)."""
    rated = [d.positive for d in dimensions if d.valid]
    return sum(rated, Fraction(0)) / len(rated) if rated else None


GRADE_CSS = {"satisfied": "seg-satisfied", "basic": "seg-basic", "dissatisfied": "seg-dissatisfied", "unknown": "seg-unknown"}


def _segments(scale, counts):
    return [
        (option.label, counts.get(option.value, 0), GRADE_CSS[option.grade.value])
        for option in scale.options
    ]


def unit_page(round_, unit, *, trend_rounds, q=""):
    """Everything about one unit in one round; the caller has checked the unit is in scope.

    Group and city averages are over every unit of the round (an average of many units
    names none of them), like the Excel feedback.
    """
    results = rated_round(round_)
    result = next((r for r in results.units if r.unit.pk == unit.pk), None)
    if result is None:
        return None
    ru = result.round_unit
    members = [r for r in results.units if r.group.pk == result.group.pk]
    everyone = [r.round_unit for r in results.units]
    member_ids = {r.round_unit.pk for r in members}
    detail = item_results(round_, everyone, source=results.source)
    scale = results.scale
    items = []
    for item in detail.items:
        own = detail.results[(ru.pk, item.pk)]
        items.append(
            ItemRow(
                item=item,
                result=own,
                group_mean=_mean_positive(detail.results[(x.pk, item.pk)] for x in everyone if x.pk in member_ids),
                city_mean=_mean_positive(detail.results[(x.pk, item.pk)] for x in everyone),
                segments=_segments(scale, own.counts),
            )
        )
    labels, policy = results.labels, results.policy
    # The round's pattern, not this unit's alone: a cell merged here must not come back by
    # subtracting from the totals of the category in the 分类统计 sheet (breakdowns.suppress).
    merged = round_suppression(round_, source=results.source).merged(ru.pk)
    breakdowns = [
        (
            kind.label,
            [
                (row, Percents(row.result) if row.result else None)
                for row in category_breakdown(
                    detail.by_category[(ru.pk, results.items[kind].pk)], labels, scale, policy, merged=merged,
                )
            ],
        )
        for kind in HEADLINE_KINDS
        if kind in results.items
    ]
    # One row past the limit tells whether there are more, without counting them all.
    newest = list(newest_opinions(ru, q)[: OPINION_LIMIT + 1])
    more = len(newest) > OPINION_LIMIT
    newest = newest[:OPINION_LIMIT]
    investigations = list(Investigation.objects.filter(round_unit=ru).select_related("item").order_by("item__order"))
    concluded = {i.item.kind for i in investigations}
    return UnitPage(
        round=round_,
        result=result,
        group_size=len(members),
        items=items,
        breakdowns=breakdowns,
        trend=unit_trend(unit, trend_rounds, current=(round_, result)),
        opinions=newest[::-1],
        more_opinions=more,
        investigations=investigations,
        rectifications=list(
            Rectification.objects.filter(round_unit__unit=unit, round_unit__round__opens_at__lte=round_.opens_at)
            .select_related("round_unit__round")
            .order_by("round_unit__round__opens_at", "deadline", "id")
        ),
        pending=[
            kind for kind in HEADLINE_KINDS
            if result.dimensions[kind].level is scoring.Level.BELOW and kind not in concluded
        ],
        source=results.source,
    )


def newest_opinions(round_unit, q=""):
    """(day, text) of a unit's opinions, newest first, those holding `q` when given.

    By day only: ballots keep no finer time, and ordering by id would tell the sequence of
    answers. Within a day, by text. Read through the partial index `ballot_unit_opinions`
    (a limit then stops after the newest days, whatever the number of ballots).
    """
    opinions = Ballot.objects.filter(round_unit=round_unit).exclude(opinion="")
    if q:
        opinions = opinions.filter(opinion__icontains=q)
    return opinions.order_by("-cast_on", "-opinion").values_list("cast_on", "opinion")


def unit_trend(unit, rounds, *, current=None):
    """[TrendPoint] of one unit over `rounds` that surveyed it, oldest first.

    Only the unit itself is read and rated in each round (the trend shows its rates and
    final class, no rank), all rounds in a constant number of queries
    (`selectors.rounds_results`).
    """
    rounds = list(rounds.filter(round_units__unit=unit).distinct().order_by("opens_at", "id"))
    others = [r for r in rounds if not (current and r.pk == current[0].pk)]
    rated = rounds_results(others, units=[unit.pk])
    points = []
    for r in rounds:
        if current and r.pk == current[0].pk:
            points.append(TrendPoint(r, current[1]))
            continue
        found = [x for x in rated[r.pk].units if x.unit.pk == unit.pk]
        if found:
            points.append(TrendPoint(r, found[0]))
    return points


# --- city trends --------------------------------------------------------------------------


@dataclass
class CityPoint:
    round: Round
    units: int
    city: dict  # kind -> pooled DimensionResult
    reaching: dict  # kind -> {goal: units}; "both" -> {goal: units meeting it on both}
    rules: dict = field(default_factory=dict)  # rule label -> text, compact (`trend_rules`)
    policy_rules: list = field(default_factory=list)  # `selectors.round_rules`, for the rule boxes
    rule_notes: list = field(default_factory=list)  # how its rules differ from the latest round's
    shortfall: object = None  # selectors.Shortfall when the data fall short, else None
    publish_reason: str = ""  # the written reason it was published with anyway
    fingerprint: str = ""  # of its seal; "" when not sealed

    @property
    def dims(self):
        """[(label, pooled result, Percents, [units reaching each goal])]."""
        return [
            (label, d, p, [self.reaching[kind][goal] for goal, _ in GOALS])
            for kind, (label, d, p) in zip(HEADLINE_KINDS, dimension_rows(self.city))
        ]

    @property
    def both(self):
        return [self.reaching["both"][goal] for goal, _ in GOALS]

    @property
    def flagged(self):
        return bool(self.rule_notes or self.shortfall)


def trend_rules(results):
    """{label: text}: the rules that make rounds comparable or not (scale, thresholds, the
    不了解 policy, weights), compactly, as the round was rated (sealed values when sealed)."""
    rules, policy = results.rules, results.policy
    if policy.weights:
        weighting = _("加权：") + series(
            f"{results.labels.get(c, c)}×{scoring.exact_text(w)}" for c, w in sorted(policy.weights.items(), key=lambda x: str(x[0]))
        )
    else:
        weighting = _("不加权")
    has_unknown = any(o.grade is Grade.UNKNOWN for o in results.scale.options)
    return {
        _("答案选项"): results.scale.label,
        _("满意单位线"): f"{rules.positive_threshold}%",
        _("基本满意单位线"): f"{rules.basic_threshold}%",
        _("“不了解”"): (_("计入有效票") if policy.unknown_in_denominator else _("不计入有效票")) if has_unknown else _("无此选项"),
        _("权重"): weighting,
    }


def _goal_counts():
    return {kind: dict.fromkeys((goal for goal, _ in GOALS), 0) for kind in (*HEADLINE_KINDS, "both")}


def _rated_points(rounds, *, groups):
    """[CityPoint] by rating every unit of every round (rounds sealed without figures)."""
    rated = rounds_results(rounds, ranked=False)  # the trends show no rank
    points = []
    for r in rounds:
        whole = rated[r.pk]
        results = whole.limited(groups)
        if not results.units:
            continue
        reaching = _goal_counts()
        for u in results.units:
            for goal, _label in GOALS:
                met = [scoring.reaches_goal(u.dimensions[kind], goal) for kind in HEADLINE_KINDS]
                for kind, hit in zip(HEADLINE_KINDS, met):
                    reaching[kind][goal] += hit
                reaching["both"][goal] += all(met)
        shortfall = data_shortfall(whole)
        points.append(
            CityPoint(
                round=r,
                units=len(results.units),
                city=pooled(results),
                reaching=reaching,
                rules=trend_rules(whole),
                policy_rules=round_rules(r, source=whole.source),
                shortfall=shortfall if shortfall.flagged else None,
                publish_reason=whole.snapshot.publish_reason if whole.snapshot is not None else "",
                fingerprint=whole.fingerprint,
            )
        )
    return points


def _figures_point(r, figures, fingerprint, publish_reason, *, groups):
    """One CityPoint from a round's stored figures (`snapshots.Figures`), or None when the
    scope holds none of its groups. The same point `_rated_points` makes (tested)."""
    entries = figures.scope(groups)
    if not entries:
        return None
    totals = figures.counts(entries)
    city = {
        kind: scoring.rate(None, figures.scale, figures.policy,
                           by_category={c: dict(o) for c, o in totals.get(item, {}).items()})
        for kind, item in figures.items.items()
    }
    reaching = _goal_counts()
    for key, by_goal in reaching.items():
        for goal in by_goal:
            by_goal[goal] = sum(e["reaching"][str(key)][str(goal)] for e in entries)
    shortfall = figures_shortfall(figures)
    return CityPoint(
        round=r,
        units=sum(e["units"] for e in entries),
        city={kind: city[kind] for kind in HEADLINE_KINDS if kind in city},
        reaching=reaching,
        rules=trend_rules(figures),
        policy_rules=round_rules(r, source=figures),
        shortfall=shortfall if shortfall.flagged else None,
        publish_reason=publish_reason,
        fingerprint=fingerprint,
    )


def city_trends(rounds, *, groups):
    """The city (or the user's groups) round after round, oldest first, in a constant number
    of queries: from each seal's stored figures (`snapshots.figures`: a few rows of sums per
    group) when every round has them, else by rating every round's sealed results.

    Rounds whose rules differ from the latest round's carry a note saying how; rounds whose
    data fall short (turnout below SURVEY_PUBLISH_MIN_TURNOUT of the plan, or units without
    data, judged on the whole round) carry the shortfall and the reason they were published.
    """
    rounds = list(rounds.order_by("opens_at", "id"))
    stored = rounds_figures(rounds)
    if stored is not None:
        points = [p for p in (_figures_point(r, *stored[r.pk], groups=groups) for r in rounds) if p]
    else:
        points = _rated_points(rounds, groups=groups)
    if points:
        latest = points[-1].rules
        for point in points:
            point.rule_notes = [
                _("%(label)s %(text)s（最近一轮 %(latest)s）") % {"label": label, "text": text, "latest": latest[label]}
                for label, text in point.rules.items()
                if text != latest[label]
            ]
    return points


# --- live turnout -------------------------------------------------------------------------

# The wall screen (大屏) shows pages of LIVE_COLUMNS columns of LIVE_ROWS lines each, sized in
# viewport units (static/css/dashboards.css uses the same numbers), so a page fits any screen
# without scrolling; the screen turns its pages by itself.
LIVE_COLUMNS = 3
LIVE_ROWS = 13


@dataclass
class LiveGroup:
    group: object
    turnouts: list  # [selectors.Turnout]

    @property
    def received(self):
        return sum(t.received for t in self.turnouts)

    @property
    def issued(self):
        return sum(t.issued for t in self.turnouts)


@dataclass
class LiveLine:
    """One line of a live page: a group's heading (maybe continued) or one unit."""

    group: LiveGroup
    turnout: object = None  # selectors.Turnout; None for a heading
    continued: bool = False


def live_turnout(round_, *, groups):
    """Per unit: ballots received against codes and paper forms issued. No answers, no rates.

    Districts before departments, as the policy lists them; then the registry order.
    """
    round_units = RoundUnit.objects.filter(round=round_).select_related("unit__group").order_by(
        Case(When(unit__kind=UnitKind.DISTRICT, then=0), default=1),
        "unit__group__order", "unit__group__name", "unit__order", "unit__code",
    )
    if groups is not None:
        round_units = round_units.filter(unit__group__in=groups)
    by_group = {}
    for turnout in round_turnout(list(round_units)):
        group = turnout.round_unit.unit.group
        by_group.setdefault(group.pk, LiveGroup(group, [])).turnouts.append(turnout)
    return list(by_group.values())


def live_pages(groups, *, rows=LIVE_ROWS, columns=LIVE_COLUMNS):
    """Lay the groups out in pages of up to `columns` columns of up to `rows` lines:
    [page [column [LiveLine]]].

    Each group starts with its heading, never on a column's last line; a group that runs
    past a column goes on in the next one (or on the next page) under its heading again,
    marked continued.
    """
    if rows < 2:
        raise ValueError("a column needs room for a heading and a unit")
    laid = [[]]
    for group in groups:
        if rows - len(laid[-1]) < (2 if group.turnouts else 1):
            laid.append([])
        laid[-1].append(LiveLine(group))
        for turnout in group.turnouts:
            if len(laid[-1]) == rows:
                laid.append([LiveLine(group, continued=True)])
            laid[-1].append(LiveLine(group, turnout))
    laid = [column for column in laid if column]
    return [laid[start:start + columns] for start in range(0, len(laid), columns)] or [[]]
