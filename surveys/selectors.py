"""Reads that span models. Every rate, level and rank comes from `scoring`; nothing here
re-implements the rule. Query counts do not grow with the number of units or ballots."""

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from fractions import Fraction

from django.conf import settings
from django.db import connection
from django.db.models import Count, JSONField, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from credibility.text import clauses, series
from units.models import unit_order

from . import breakdowns, scoring, snapshots
from .models import (
    HEADLINE_KINDS, AccessCode, Ballot, CodeBatch, CodeStatus, Investigation, Item, ResultSnapshot,
    Round, RoundCategory, RoundStatus, RoundUnit, Tally, fingerprint,
)


@dataclass
class UnitResult:
    round_unit: RoundUnit
    dimensions: dict  # ItemKind -> scoring.DimensionResult
    conclusions: dict  # ItemKind -> scoring.Conclusion value or None
    level: scoring.Level = None
    final: scoring.FinalClass = None
    dimension_finals: dict = field(default_factory=dict)
    ranks: dict = field(default_factory=dict)  # ItemKind -> rank in group; "overall" too

    @property
    def unit(self):
        return self.round_unit.unit

    @property
    def group(self):
        return self.round_unit.unit.group

    @property
    def mean_positive(self):
        """Mean positive rate of the headline dimensions that have data (ranking key)."""
        rated = [d.positive for d in self.dimensions.values() if d.valid]
        return sum(rated, Fraction(0)) / len(rated) if rated else None


@dataclass
class RoundResults:
    round: object
    items: dict  # ItemKind -> Item (headline)
    units: list  # [UnitResult] in group order, ranked inside each group
    policy: object = None  # scoring.Policy the units were rated with
    scale: object = None
    counts: dict = field(default_factory=dict)  # (round_unit_id, item_id) -> {category: {option: n}}
    labels: dict = field(default_factory=dict)  # category id -> name (as at close when sealed)
    snapshot: object = None  # the ResultSnapshot read, or None (tallies)
    rules: object = None  # the Round whose policy fields applied (sealed values when sealed)
    source: object = None  # where the counts came from (`results_source`), to read more of it

    @property
    def fingerprint(self):
        return self.snapshot.fingerprint if self.snapshot is not None else ""

    def limited(self, groups):
        """The same results limited to `groups` (ranks stay those of the whole group)."""
        if groups is None:
            return self
        allowed = {g.pk for g in groups}
        units = [u for u in self.units if u.group.pk in allowed]
        ids = {u.round_unit.pk for u in units}
        return replace(self, units=units, counts={k: v for k, v in self.counts.items() if k[0] in ids})

    def totals(self, round_unit_ids=None):
        """{item_id: {category_id: {option: n}}} of the headline items over the given units
        (all of them by default), summed from the counts already read."""
        ids = None if round_unit_ids is None else set(round_unit_ids)
        totals = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
        for (ru, item), by_cat in self.counts.items():
            if ids is not None and ru not in ids:
                continue
            for category, options in by_cat.items():
                for option, n in options.items():
                    totals[item][category][option] += n
        return totals

    def by_group(self):
        groups = defaultdict(list)
        for result in self.units:
            groups[result.group].append(result)
        return dict(groups)


def _counts(round_, round_unit_ids, item_ids):
    """{(round_unit_id, item_id): {category_id: {option: count}}} in one query."""
    cells = defaultdict(lambda: defaultdict(dict))
    rows = Tally.objects.filter(
        round_unit__round=round_, round_unit_id__in=round_unit_ids, item_id__in=item_ids,
        count__gt=0,
    ).values_list("round_unit_id", "item_id", "category_id", "option", "count")
    for ru, item, category, option, n in rows:
        cells[(ru, item)][category][option] = n
    return cells


@dataclass
class _Live:
    """An open (or not yet sealed) round's results source: the tallies and the live rows."""

    round: Round

    def __post_init__(self):
        self.snapshot = None
        self.rules = self.round
        self._units = None
        self._items = None
        self._labels = None

    @property
    def round_units(self):
        if self._units is None:
            self._units = list(
                RoundUnit.objects.filter(round=self.round).select_related("unit__group").order_by(*unit_order("unit__"))
            )
        return self._units

    @property
    def items(self):
        if self._items is None:
            self._items = list(Item.objects.filter(round=self.round).order_by("order", "id"))
        return self._items

    @property
    def labels(self):
        if self._labels is None:
            self._labels = {
                rc.category_id: rc.category.name
                for rc in RoundCategory.objects.filter(round=self.round).select_related("category")
                .order_by("category__order")
            }
        return self._labels

    @property
    def policy(self):
        return self.round.policy(self.round.category_weights() if self.round.use_weights else None)

    @property
    def scale(self):
        return self.round.scale_def

    def counts(self, round_unit_ids, item_ids):
        return _counts(self.round, round_unit_ids, item_ids) if round_unit_ids else {}


_UNREAD = object()


def rounds_figures(rounds):
    """{round id: (snapshots.Figures, fingerprint, publish reason)} of closed or published
    rounds, in one query; None when any of `rounds` has no stored figures (then the caller
    rates the sealed results instead)."""
    if any(r.status not in (RoundStatus.CLOSED, RoundStatus.PUBLISHED) for r in rounds):
        return None
    rows = ResultSnapshot.objects.filter(round__in=[r.pk for r in rounds], figures__isnull=False).values_list(
        "round_id", "figures", "mac", "publish_reason")
    found = {round_id: (data, mac, reason) for round_id, data, mac, reason in rows}
    if len(found) != len(rounds):
        return None
    return {
        r.pk: (snapshots.read_figures(found[r.pk][0], r), fingerprint(found[r.pk][1]), found[r.pk][2])
        for r in rounds
    }


def results_source(round_, *, snapshot=_UNREAD, groups=None, units=None, data=None):
    """Where a round's results come from: the sealed snapshot of a closed or published round,
    else (an open round, or one closed but not sealed) the tallies.

    Pass `snapshot` (or None) when it was looked up already, for several rounds in one
    query; its `detail` is read only if sub-indicators are asked for. `groups` may leave out
    other groups' units and `units` (unit ids) other units (the caller filters them anyway);
    `data`, the snapshot's results already cut to them by the database (`_snapshots_in_scope`).
    """
    if round_.status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        if snapshot is _UNREAD:
            snapshot = ResultSnapshot.objects.filter(round=round_).defer("detail", "parts").first()
        if snapshot is not None:
            return snapshots.from_results(
                snapshot.results if data is None else data, round_, snapshot=snapshot, groups=groups, units=units,
            )
    return _Live(round_)


# The sealed results of a round with only some of its units, cut by PostgreSQL: a unit's
# trend reads one unit of each earlier round instead of decoding all of them (`$ids[*]`
# matches any of the ids).
_IN_SCOPE_SQL = (
    "jsonb_set(results, '{units}', jsonb_path_query_array(results -> 'units',"
    " '$[*] ? (@.%s == $ids[*])', jsonb_build_object('ids', %%s::jsonb)))"
)


def _snapshots_in_scope(round_ids, *, groups=None, units=None):
    """The ResultSnapshots of `round_ids` (without detail). Given `units` (unit ids) or else
    `groups`, on PostgreSQL each carries `in_scope`, its results holding only those units,
    instead of `results`."""
    query = ResultSnapshot.objects.filter(round__in=round_ids).defer("detail", "parts")
    if (groups is None and units is None) or connection.vendor != "postgresql":
        return query
    path, ids = ("unit", units) if units is not None else ("group.id", {g.pk for g in groups})
    return query.defer("results").annotate(
        in_scope=RawSQL(_IN_SCOPE_SQL % path, [json.dumps(sorted(ids))], output_field=JSONField())
    )


def _rank(results, key):
    """Ranks inside one group by `scoring.level_ranks`: level first, then the exact rate.

    `key(result)` gives (level, rate); units without data are not ranked.
    """
    ranks = scoring.level_ranks([key(r) for r in results])
    return {id(r): rank for r, rank in zip(results, ranks)}


def round_results(round_, *, groups=None):
    """Every unit of a round rated on both headline dimensions, with final class and rank.

    `groups` limits the units (a leader's scope); ranks are always computed among the
    whole group, which a scope either includes whole or not at all. A closed or published
    round is read from its sealed snapshot (names, counts and rules as at close), an open
    one from the tallies.
    """
    source = results_source(round_, groups=groups)
    ids = [ru.pk for ru in source.round_units]
    conclusions = {
        (ru, item): conclusion
        for ru, item, conclusion in Investigation.objects.filter(round_unit_id__in=ids)
        .values_list("round_unit_id", "item_id", "conclusion")
    } if ids else {}
    return _rate_round(source, conclusions, groups)


def rounds_results(rounds, *, groups=None, units=None, ranked=True):
    """{round id: RoundResults} of several rounds in a constant number of queries (the
    snapshots in one, the investigations in one); rounds without a snapshot add their own.

    `ranked=False` leaves `ranks` empty, for callers that show no rank (the city trends).
    `units` (unit ids) rates only those units, unranked: a rank needs the whole group."""
    rounds = list(rounds)
    if units is not None:
        units, ranked = set(units), False
    sealed = {
        s.round_id: s for s in _snapshots_in_scope([r.pk for r in rounds], groups=groups, units=units)
    } if rounds else {}
    sources = [
        results_source(
            r, snapshot=sealed.get(r.pk), groups=groups, units=units, data=getattr(sealed.get(r.pk), "in_scope", None),
        )
        for r in rounds
    ]
    ids = [ru.pk for source in sources for ru in source.round_units]
    conclusions = {
        (ru, item): conclusion
        for ru, item, conclusion in Investigation.objects.filter(round_unit__round__in=[r.pk for r in rounds])
        .values_list("round_unit_id", "item_id", "conclusion")
    } if ids else {}
    return {source.round.pk: _rate_round(source, conclusions, groups, units=units, ranked=ranked) for source in sources}


def _rate_round(source, conclusions, groups, *, units=None, ranked=True):
    round_ = source.round
    items = {item.kind: item for item in source.items if item.kind in HEADLINE_KINDS}
    round_units = source.round_units
    if groups is not None:
        allowed = {g.pk for g in groups}
        round_units = [ru for ru in round_units if ru.unit.group_id in allowed]
    if units is not None:
        round_units = [ru for ru in round_units if ru.unit_id in units]
    ids = [ru.pk for ru in round_units]
    counts = source.counts(ids, [i.pk for i in items.values()])
    policy = source.policy
    scale = source.scale

    results = []
    for ru in round_units:
        dimensions, found = {}, {}
        for kind in HEADLINE_KINDS:
            item = items.get(kind)
            by_category = counts.get((ru.pk, item.pk), {}) if item else {}
            dimensions[kind] = scoring.rate(None, scale, policy, by_category=dict(by_category))
            found[kind] = conclusions.get((ru.pk, item.pk)) if item else None
        result = UnitResult(round_unit=ru, dimensions=dimensions, conclusions=found)
        result.level = scoring.overall_level(d.level for d in dimensions.values())
        result.final = scoring.unit_final_class(
            (dimensions[k].level, found[k]) for k in HEADLINE_KINDS
        )
        result.dimension_finals = {
            k: scoring.final_class(dimensions[k].level, found[k]) for k in HEADLINE_KINDS
        }
        results.append(result)

    by_group = defaultdict(list)
    for result in results:
        by_group[result.group.pk].append(result)
    for members in by_group.values() if ranked else ():
        for kind in HEADLINE_KINDS:
            ranks = _rank(members, lambda r, k=kind: (r.dimensions[k].level, r.dimensions[k].positive))
            for r in members:
                r.ranks[kind] = ranks.get(id(r))
        overall = _rank(members, lambda r: (r.level, r.mean_positive))
        for r in members:
            r.ranks["overall"] = overall.get(id(r))
    return RoundResults(
        round=round_, items=items, units=results, policy=policy, scale=scale,
        counts=counts, labels=source.labels, snapshot=source.snapshot, rules=source.rules,
        source=source,
    )


# --- Reports (issue 6): reads for the Excel workbooks. Rates still come from `scoring`. ---


@dataclass
class ItemResults:
    items: list  # rated Items (headline and sub-indicators) in questionnaire order
    results: dict  # (round_unit_id, item_id) -> scoring.DimensionResult
    by_category: dict  # (round_unit_id, item_id) -> {category_id: {option: count}}


def item_results(round_, round_units, *, source=None):
    """Every rated item of every given unit, rated like `round_results` rates the headlines.

    One read whatever the number of units (the tallies, or the snapshot of a sealed
    round; pass `source` from `RoundResults.source` not to read it twice); the headline
    entries equal the dimensions `round_results` returns.
    """
    source = source or results_source(round_)
    items = snapshots.rated_items(source.items)
    ids = [ru.pk for ru in round_units]
    counts = source.counts(ids, [i.pk for i in items]) if ids else {}
    policy, scale = source.policy, source.scale
    results, by_category = {}, {}
    for ru in round_units:
        for item in items:
            cells = counts.get((ru.pk, item.pk), {})  # read, never changed: no copy
            by_category[(ru.pk, item.pk)] = cells
            results[(ru.pk, item.pk)] = scoring.rate(None, scale, policy, by_category=cells)
    return ItemResults(items=items, results=results, by_category=by_category)


def category_totals(round_, round_unit_ids, item_ids):
    """{item_id: {category_id: {option: count}}} over the given units: summed in SQL from
    the tallies, or from the snapshot of a sealed round."""
    source = results_source(round_)
    totals = defaultdict(lambda: defaultdict(dict))
    if isinstance(source, snapshots.Sealed):
        for (_, item), by_cat in source.counts(round_unit_ids, item_ids).items():
            for category, options in by_cat.items():
                for option, n in options.items():
                    totals[item][category][option] = totals[item][category].get(option, 0) + n
        return totals
    rows = (
        Tally.objects.filter(
            round_unit__round=round_, round_unit_id__in=round_unit_ids, item_id__in=item_ids,
            count__gt=0,
        )
        .values_list("item_id", "category_id", "option")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for item, category, option, n in rows:
        totals[item][category][option] = n
    return totals


def category_cells(round_, *, source=None):
    """{(round_unit_id, category_id): (answers per headline dimension)} of the whole round.

    What `breakdowns.suppress` needs to decide the round's pattern: summed in SQL from the
    tallies, or from the snapshot of a sealed round (the figures its pages show).
    """
    source = source or results_source(round_)
    kinds = list(HEADLINE_KINDS)
    items = {i.pk: i.kind for i in source.items if i.kind in HEADLINE_KINDS}
    cells = defaultdict(lambda: [0] * len(kinds))
    if isinstance(source, snapshots.Sealed):
        for (ru, item), by_cat in source.counts([x.pk for x in source.round_units], list(items)).items():
            for category, options in by_cat.items():
                cells[(ru, category)][kinds.index(items[item])] += sum(options.values())
        return {key: tuple(sizes) for key, sizes in cells.items() if any(sizes)}
    rows = (
        Tally.objects.filter(round_unit__round=round_, item_id__in=list(items), count__gt=0)
        .values_list("round_unit_id", "category_id", "item_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for ru, category, item, n in rows:
        cells[(ru, category)][kinds.index(items[item])] = n
    return {key: tuple(sizes) for key, sizes in cells.items()}


def round_suppression(round_, *, source=None):
    """The round's category suppression pattern (`breakdowns.Suppression`), keyed by
    round unit id and category id. Computed over the whole round whatever the reader's scope,
    so every page and file of the round shows the same pattern."""
    return breakdowns.suppress(category_cells(round_, source=source))


def round_rules(round_, *, source=None):
    """The rule a round was rated by, [(key, label, text)], for every page and 说明 sheet:
    the sealed rule of a sealed round (`results_source`), else the round's settings."""
    source = source or results_source(round_)
    policy = source.policy
    labels = None
    if policy.weights is not None:
        labels = dict(source.labels)
    return scoring.describe_policy(policy, source.scale, weight_labels=labels, min_cell=breakdowns.MIN_CELL)


@dataclass(frozen=True)
class Turnout:
    """Codes and forms issued against ballots received for one unit (回收情况)."""

    round_unit: RoundUnit
    codes_issued: int
    codes_used: int
    codes_void: int

    @property
    def codes_unused(self):
        return self.codes_issued - self.codes_used - self.codes_void

    @property
    def issued(self):
        """Ballots that could come back: live codes plus paper forms handed out."""
        return self.codes_issued - self.codes_void + self.round_unit.paper_forms_issued

    @property
    def received(self):
        return self.round_unit.ballots

    @property
    def rate(self):
        return Fraction(self.received, self.issued) if self.issued else None

    @property
    def completion(self):
        """Ballots received against the planned sample."""
        planned = self.round_unit.planned_sample
        return Fraction(self.received, planned) if planned else None


def round_turnout(round_units):
    """[Turnout] for the given units, from the code batches' counters in one query.

    Reads one row per batch, never the codes: as fast at a million codes as at a hundred.
    """
    ids = [ru.pk for ru in round_units]
    codes = {
        row["round_unit_id"]: row
        for row in CodeBatch.objects.filter(round_unit_id__in=ids)
        .values("round_unit_id")
        .annotate(issued=Sum("size"), used=Sum("codes_used"), void=Sum("codes_void"))
        .order_by()
    } if ids else {}
    empty = {"issued": 0, "used": 0, "void": 0}
    return [
        Turnout(
            round_unit=ru,
            codes_issued=codes.get(ru.pk, empty)["issued"],
            codes_used=codes.get(ru.pk, empty)["used"],
            codes_void=codes.get(ru.pk, empty)["void"],
        )
        for ru in round_units
    ]


def round_opinions(round_unit_ids):
    """(round_unit_id, opinion) of every ballot with an opinion, unit by unit.

    Sorted by text inside a unit, never by ballot id, so the order tells nothing about
    when (or in which sequence) anyone answered. Use `.iterator()`: this can be large.
    """
    return (
        Ballot.objects.filter(round_unit_id__in=round_unit_ids)
        .exclude(opinion="")
        .order_by(*unit_order("round_unit__unit__"), "opinion")
        .values_list("round_unit_id", "opinion")
    )


def mean_positive(unit_results, kind):
    """Mean positive rate of one headline dimension over units with data (组/全市平均)."""
    rated = [r.dimensions[kind].positive for r in unit_results if r.dimensions[kind].valid]
    return sum(rated, Fraction(0)) / len(rated) if rated else None


def unit_history(round_, units, *, published_only):
    """[(earlier Round, {unit_id: UnitResult})] for rounds before `round_` holding the units.

    Each earlier round is rated whole-group (`rounds_results`, a constant number of queries
    whatever the number of rounds), so ranks are those of the day. `published_only` for
    leaders, who never see unpublished rounds.
    """
    unit_ids = [u.pk for u in units]
    rounds = Round.objects.published() if published_only else Round.objects.with_results()
    rounds = list(
        rounds.filter(opens_at__lt=round_.opens_at, round_units__unit_id__in=unit_ids)
        .exclude(pk=round_.pk)
        .distinct()
        .order_by("opens_at", "id")
    )
    groups = list({u.group_id: u.group for u in units}.values())
    rated = rounds_results(rounds, groups=groups)
    return [
        (earlier, {r.unit.pk: r for r in rated[earlier.pk].units if r.unit.pk in unit_ids})
        for earlier in rounds
    ]


@dataclass
class Shortfall:
    """How far a round's data falls short of publishing without an acknowledgment."""

    ballots: int
    planned: int
    empty: list  # names of units without valid answers on a headline dimension
    min_turnout: int  # percent of the planned sample

    @property
    def low_turnout(self):
        return self.ballots * 100 < self.planned * self.min_turnout

    @property
    def flagged(self):
        return self.low_turnout or bool(self.empty)

    def describe(self):
        parts = []
        if self.low_turnout:
            share = scoring.percent(Fraction(self.ballots, self.planned)) if self.planned else "—"
            parts.append(_("收回 %(ballots)s 张票，为计划样本 %(planned)s 张的 %(share)s，低于 %(minimum)s%%") % {
                "ballots": self.ballots, "planned": self.planned, "share": share, "minimum": self.min_turnout})
        if self.empty:
            shown = series(self.empty[:5])
            if len(self.empty) > 5:
                parts.append(_("%(units)s等 %(count)s 个单位没有有效数据") % {"units": shown, "count": len(self.empty)})
            else:
                parts.append(_("%(units)s没有有效数据") % {"units": shown})
        return clauses(parts)


def figures_shortfall(figures, *, min_turnout=None):
    """`data_shortfall` of a whole round from its stored figures (`snapshots.Figures`)."""
    return Shortfall(
        ballots=sum(g["ballots"] for g in figures.groups),
        planned=sum(g["planned"] for g in figures.groups),
        empty=[name for g in figures.groups for name in g["empty"]],
        min_turnout=settings.SURVEY_PUBLISH_MIN_TURNOUT if min_turnout is None else min_turnout,
    )


def data_shortfall(results, *, min_turnout=None):
    """`Shortfall` of rated round results: ballots against the plan, units without data."""
    return Shortfall(
        ballots=sum(r.round_unit.ballots for r in results.units),
        planned=sum(r.round_unit.planned_sample for r in results.units),
        empty=[r.unit.name for r in results.units if r.level is scoring.Level.NO_DATA],
        min_turnout=settings.SURVEY_PUBLISH_MIN_TURNOUT if min_turnout is None else min_turnout,
    )
