"""Reads that span models. Every rate, level and rank comes from `scoring`; nothing here
re-implements the rule. Query counts do not grow with the number of units or ballots."""

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Q, Sum

from . import breakdowns, scoring
from .models import (
    HEADLINE_KINDS, AccessCode, Ballot, CodeStatus, Investigation, Item, Round, RoundUnit, Tally,
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


def _rank(results, key):
    """Ranks inside one group by `scoring.level_ranks`: level first, then the exact rate.

    `key(result)` gives (level, rate); units without data are not ranked.
    """
    ranks = scoring.level_ranks([key(r) for r in results])
    return {id(r): rank for r, rank in zip(results, ranks)}


def round_results(round_, *, groups=None):
    """Every unit of a round rated on both headline dimensions, with final class and rank.

    `groups` limits the units (a leader's scope); ranks are always computed among the
    whole group, which a scope either includes whole or not at all.
    """
    items = {item.kind: item for item in Item.objects.filter(round=round_).headline()}
    round_units = list(
        RoundUnit.objects.filter(round=round_)
        .select_related("unit__group")
        .order_by("unit__kind", "unit__group__order", "unit__group__name", "unit__order", "unit__code")
    )
    if groups is not None:
        allowed = {g.pk for g in groups}
        round_units = [ru for ru in round_units if ru.unit.group_id in allowed]
    ids = [ru.pk for ru in round_units]
    counts = _counts(round_, ids, [i.pk for i in items.values()])
    conclusions = {
        (ru, item): conclusion
        for ru, item, conclusion in Investigation.objects.filter(round_unit_id__in=ids)
        .values_list("round_unit_id", "item_id", "conclusion")
    } if ids else {}
    weights = round_.category_weights() if round_.use_weights else None
    policy = round_.policy(weights)
    scale = round_.scale_def

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
    for members in by_group.values():
        for kind in HEADLINE_KINDS:
            ranks = _rank(members, lambda r, k=kind: (r.dimensions[k].level, r.dimensions[k].positive))
            for r in members:
                r.ranks[kind] = ranks.get(id(r))
        overall = _rank(members, lambda r: (r.level, r.mean_positive))
        for r in members:
            r.ranks["overall"] = overall.get(id(r))
    return RoundResults(round=round_, items=items, units=results)


# --- Reports (issue 6): reads for the Excel workbooks. Rates still come from `scoring`. ---


@dataclass
class ItemResults:
    items: list  # rated Items (headline and sub-indicators) in questionnaire order
    results: dict  # (round_unit_id, item_id) -> scoring.DimensionResult
    by_category: dict  # (round_unit_id, item_id) -> {category_id: {option: count}}


def item_results(round_, round_units):
    """Every rated item of every given unit, rated like `round_results` rates the headlines.

    One Tally query whatever the number of units; the headline entries equal the
    dimensions `round_results` returns for the same units.
    """
    items = list(Item.objects.filter(round=round_).rated().order_by("order", "id"))
    ids = [ru.pk for ru in round_units]
    counts = _counts(round_, ids, [i.pk for i in items]) if ids else {}
    weights = round_.category_weights() if round_.use_weights else None
    policy, scale = round_.policy(weights), round_.scale_def
    results, by_category = {}, {}
    for ru in round_units:
        for item in items:
            cells = {cat: dict(options) for cat, options in counts.get((ru.pk, item.pk), {}).items()}
            by_category[(ru.pk, item.pk)] = cells
            results[(ru.pk, item.pk)] = scoring.rate(None, scale, policy, by_category=cells)
    return ItemResults(items=items, results=results, by_category=by_category)


def category_totals(round_, round_unit_ids, item_ids):
    """{item_id: {category_id: {option: count}}} over the given units, summed in SQL."""
    totals = defaultdict(lambda: defaultdict(dict))
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


def category_cells(round_):
    """{(round_unit_id, category_id): (answers per headline dimension)} of the whole round.

    What `breakdowns.suppress` needs to decide the round's pattern; one query, summed in SQL.
    """
    kinds = list(HEADLINE_KINDS)
    items = dict(Item.objects.filter(round=round_).headline().values_list("pk", "kind"))
    cells = defaultdict(lambda: [0] * len(kinds))
    rows = (
        Tally.objects.filter(round_unit__round=round_, item_id__in=list(items), count__gt=0)
        .values_list("round_unit_id", "category_id", "item_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for ru, category, item, n in rows:
        cells[(ru, category)][kinds.index(items[item])] = n
    return {key: tuple(sizes) for key, sizes in cells.items()}


def round_suppression(round_):
    """The round's category suppression pattern (`breakdowns.Suppression`), keyed by
    round unit id and category id. Computed over the whole round whatever the reader's scope,
    so every page and file of the round shows the same pattern."""
    return breakdowns.suppress(category_cells(round_))


def round_rules(round_):
    """The rule a round was rated by, [(key, label, text)], for every page and 说明 sheet."""
    labels = None
    if round_.use_weights:
        labels = {
            rc.category_id: rc.category.name
            for rc in round_.round_categories.select_related("category").order_by("category__order")
        }
    weights = round_.category_weights() if round_.use_weights else None
    return scoring.describe_policy(
        round_.policy(weights), round_.scale_def, weight_labels=labels, min_cell=breakdowns.MIN_CELL,
    )


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
    """[Turnout] for the given units, access codes counted in one query."""
    ids = [ru.pk for ru in round_units]
    codes = {
        row["round_unit_id"]: row
        for row in AccessCode.objects.filter(round_unit_id__in=ids)
        .values("round_unit_id")
        .annotate(
            issued=Count("id"),
            used=Count("id", filter=Q(status=CodeStatus.USED)),
            void=Count("id", filter=Q(status=CodeStatus.VOID)),
        )
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


UNIT_ORDER = ("unit__kind", "unit__group__order", "unit__group__name", "unit__order", "unit__code")


def round_opinions(round_unit_ids):
    """(round_unit_id, opinion) of every ballot with an opinion, unit by unit.

    Sorted by text inside a unit, never by ballot id, so the order tells nothing about
    when (or in which sequence) anyone answered. Use `.iterator()`: this can be large.
    """
    return (
        Ballot.objects.filter(round_unit_id__in=round_unit_ids)
        .exclude(opinion="")
        .order_by(*(f"round_unit__{f}" for f in UNIT_ORDER), "opinion")
        .values_list("round_unit_id", "opinion")
    )


def mean_positive(unit_results, kind):
    """Mean positive rate of one headline dimension over units with data (组/全市平均)."""
    rated = [r.dimensions[kind].positive for r in unit_results if r.dimensions[kind].valid]
    return sum(rated, Fraction(0)) / len(rated) if rated else None


def unit_history(round_, units, *, published_only):
    """[(earlier Round, {unit_id: UnitResult})] for rounds before `round_` holding the units.

    Each earlier round is rated whole-group by `round_results`, so ranks are those of the
    day. `published_only` for leaders, who never see unpublished rounds.
    """
    unit_ids = [u.pk for u in units]
    rounds = Round.objects.published() if published_only else Round.objects.with_results()
    rounds = (
        rounds.filter(opens_at__lt=round_.opens_at, round_units__unit_id__in=unit_ids)
        .exclude(pk=round_.pk)
        .distinct()
        .order_by("opens_at", "id")
    )
    groups = list({u.group_id: u.group for u in units}.values())
    history = []
    for earlier in rounds:
        results = round_results(earlier, groups=groups)
        history.append((earlier, {r.unit.pk: r for r in results.units if r.unit.pk in unit_ids}))
    return history
