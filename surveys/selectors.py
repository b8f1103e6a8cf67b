"""Reads that span models. Every rate, level and rank comes from `scoring`; nothing here
re-implements the rule. Query counts do not grow with the number of units or ballots."""

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from . import scoring
from .models import HEADLINE_KINDS, Investigation, Item, RoundUnit, Tally


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
    """Competition ranks inside one group; units without data come last, unranked."""
    ranked = sorted((r for r in results if key(r) is not None), key=key, reverse=True)
    ranks = scoring.competition_ranks([key(r) for r in ranked])
    return {id(r): rank for r, rank in zip(ranked, ranks)}


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
            ranks = _rank(members, lambda r, k=kind: r.dimensions[k].positive if r.dimensions[k].valid else None)
            for r in members:
                r.ranks[kind] = ranks.get(id(r))
        overall = _rank(members, lambda r: r.mean_positive)
        for r in members:
            r.ranks["overall"] = overall.get(id(r))
    return RoundResults(round=round_, items=items, units=results)
