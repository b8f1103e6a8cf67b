"""The results of a closed round as kept at the close (`ResultSnapshot`): the format, how it
is built from recounted cells, and how it is read back into the objects results are made of.

`results` (JSON) holds what every results page needs:

    {"format": 1, "round": id,
     "policy": {"scale", "positive_threshold", "basic_threshold", "unknown_in_denominator",
                "use_weights", "min_valid_answers"},
     "categories": [{"id", "name", "order", "weight"}],         names as at close
     "items": [{"id", "kind", "text", "order", "required"}],    the questionnaire in order
     "units": [{"round_unit", "unit", "code", "name", "short_name", "kind", "order",
                "group": {"id", "name", "kind", "order"},      names as at close
                "planned", "online", "paper", "forms_issued",
                "counts": {item id: {category id: {option: n}}}}]}   headline items only

`detail` holds the other rated items' counts, {round unit id: {item id: {category id: {option:
n}}}}, read only by the unit page and the files. JSON keys are strings; `Sealed` turns them
back into ints. Units are listed in the order of the results pages as at close.

Reading a snapshot gives unsaved model instances (Unit, UnitGroup, RoundUnit, Item) carrying
the values of the close, so templates and reports read them exactly as they read live rows.
"""

import hashlib
import json
from dataclasses import dataclass, field
from fractions import Fraction

from units.models import Unit, UnitGroup, unit_sort_key

from . import scoring
from .models import HEADLINE_KINDS, Item, ItemKind, Round, RoundUnit
from .scales import SCALES

FORMAT = 1
POLICY_FIELDS = (
    "scale", "positive_threshold", "basic_threshold", "unknown_in_denominator", "use_weights",
    "min_valid_answers",
)
# The order of the units inside a sealed snapshot: part of what is hashed, so it never changes
# (a round sealed earlier must verify the same). Pages list them by `units.models.unit_order`.
UNIT_ORDER = ("unit__kind", "unit__group__order", "unit__group__name", "unit__order", "unit__code")


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical(obj):
    """The one byte string an object is hashed as: sorted keys, no spaces, UTF-8."""
    return _ENCODER.encode(obj).encode("utf-8")


def sha(obj):
    return hashlib.sha256(canonical(obj)).hexdigest()


def policy_of(round_):
    return {name: getattr(round_, name) for name in POLICY_FIELDS}


def categories_of(round_):
    """The round's respondent categories with their weights, names as they are now."""
    return [
        {"id": rc.category_id, "name": rc.category.name, "order": rc.category.order,
         "weight": f"{rc.weight:.3f}"}
        for rc in round_.round_categories.select_related("category").order_by("category__order", "category_id")
    ]


def questionnaire_of(round_):
    return [
        {"id": i.pk, "kind": i.kind, "text": i.text, "order": i.order, "required": i.required}
        for i in Item.objects.filter(round=round_).order_by("order", "id")
    ]


def _nest(cells):
    """{(item, category, option): n} -> {"item": {"category": {"option": n}}}, zeros left out."""
    nested = {}
    for (item, category, option), n in sorted(cells.items()):
        if n:
            nested.setdefault(str(item), {}).setdefault(str(category), {})[str(option)] = n
    return nested


def build(*, round_, round_units, cells):
    """(results, detail) of a round from its recounted `cells`.

    round_units: the round's RoundUnits with unit and group loaded, in page order;
    cells: {round_unit_id: {(item_id, category_id, option): n}}.
    """
    items = questionnaire_of(round_)
    headline = {i["id"] for i in items if i["kind"] in HEADLINE_KINDS}
    units, detail = [], {}
    for ru in round_units:
        own = cells.get(ru.pk, {})
        unit, group = ru.unit, ru.unit.group
        units.append({
            "round_unit": ru.pk, "unit": unit.pk, "code": unit.code, "name": unit.name,
            "short_name": unit.short_name, "kind": unit.kind, "order": unit.order,
            "group": {"id": group.pk, "name": group.name, "kind": group.kind, "order": group.order},
            "planned": ru.planned_sample, "online": ru.online_ballots, "paper": ru.paper_ballots,
            "forms_issued": ru.paper_forms_issued,
            "counts": _nest({k: n for k, n in own.items() if k[0] in headline}),
        })
        detail[str(ru.pk)] = _nest({k: n for k, n in own.items() if k[0] not in headline})
    results = {
        "format": FORMAT, "round": round_.pk, "policy": policy_of(round_),
        "categories": categories_of(round_), "items": items, "units": units,
    }
    return results, detail


def _ints(nested):
    return {
        int(item): {int(cat): {int(opt): n for opt, n in options.items()} for cat, options in by_cat.items()}
        for item, by_cat in nested.items()
    }


class SealedRules:
    """The rules a sealed round was rated by, from its `rules` (an unsaved Round carrying the
    sealed policy fields) and `weights` (category id -> Fraction)."""

    @property
    def policy(self):
        return self.rules.policy(self.weights if self.rules.use_weights else None)

    @property
    def scale(self):
        return SCALES[self.rules.scale]


@dataclass
class Sealed(SealedRules):
    """A snapshot read back: the round's units, items and rules as they stood at the close."""

    snapshot: object  # ResultSnapshot
    round: Round
    round_units: list  # [RoundUnit] (unsaved, values of the close) in page order
    items: list  # [Item] (unsaved) in questionnaire order
    labels: dict  # category id -> name as at close
    weights: dict  # category id -> Fraction
    rules: Round  # an unsaved Round carrying the sealed policy fields
    raw_counts: dict  # round unit id -> headline counts as stored (string keys)
    _counts: dict = field(default_factory=dict)
    _detail: dict = None

    def counts(self, round_unit_ids, item_ids):
        """{(round_unit_id, item_id): {category_id: {option: n}}} like the tally query gives."""
        wanted = set(item_ids)
        found = {}
        needs_detail = any(i.pk in wanted and i.kind not in HEADLINE_KINDS for i in self.items)
        for ru in round_unit_ids:
            if ru not in self._counts:  # converted on first use: a scope or a trend reads few
                self._counts[ru] = _ints(self.raw_counts.get(ru, {}))
            sources = [self._counts[ru]]
            if needs_detail:
                sources.append(self.detail().get(ru, {}))
            for source in sources:
                for item, by_cat in source.items():
                    if item in wanted:
                        found[(ru, item)] = by_cat
        return found

    def detail(self):
        if self._detail is None:
            self._detail = {int(ru): _ints(nested) for ru, nested in self.snapshot.detail.items()}
        return self._detail


def from_results(data, round_, *, snapshot=None, groups=None, units=None):
    """`Sealed` from a snapshot's `results` JSON (its `detail` is read only when asked for).

    `groups` (UnitGroups, matched by id with the groups as at close) keeps only their units:
    a leader's scope; `units` (unit ids) only those units: one unit's trend.
    """
    allowed = None if groups is None else {g.pk for g in groups}
    made, round_units, counts = {}, [], {}
    for u in data["units"]:
        g = u["group"]
        if (allowed is not None and g["id"] not in allowed) or (units is not None and u["unit"] not in units):
            continue
        group = made.get(g["id"]) or UnitGroup(pk=g["id"], name=g["name"], kind=g["kind"], order=g["order"])
        made[g["id"]] = group
        unit = Unit(pk=u["unit"], code=u["code"], name=u["name"], short_name=u["short_name"],
                    kind=u["kind"], order=u["order"], group=group)
        round_units.append(RoundUnit(
            pk=u["round_unit"], round=round_, unit=unit, planned_sample=u["planned"],
            online_ballots=u["online"], paper_ballots=u["paper"], paper_forms_issued=u["forms_issued"],
        ))
        counts[u["round_unit"]] = u["counts"]
    round_units.sort(key=lambda ru: unit_sort_key(ru.unit))
    items = [
        Item(pk=i["id"], round=round_, kind=i["kind"], text=i["text"], order=i["order"], required=i["required"])
        for i in data["items"]
    ]
    rules = Round(pk=round_.pk, **data["policy"])
    return Sealed(
        snapshot=snapshot, round=round_, round_units=round_units, items=items,
        labels={c["id"]: c["name"] for c in data["categories"]},
        weights={c["id"]: Fraction(c["weight"]) for c in data["categories"]},
        rules=rules, raw_counts=counts,
    )


def rated_items(items):
    """Items answered on the scale, in questionnaire order."""
    return [i for i in items if i.kind != ItemKind.OPINION]


# --- figures: what the city trends show, per group, derived from `results` at the seal ------
#
# The trends page shows every published round at once, for the whole city or a leader's
# groups: units, ballots against the plan, the pooled rates, the units reaching each goal,
# the units without data. Rating every unit of ten rounds on each view costs more than the
# page may take, so the seal also stores these per group (`ResultSnapshot.figures`), a pure
# function of `results`: a scope sums its groups. It is not part of the signature; like the
# results it is checked by `verify_round`, which computes it again from the sealed results
# and reports any difference.
#
#     {"format": 1, "items": {kind: item id}, "policy": …, "categories": … (as in results),
#      "groups": [{"id", "units", "ballots", "planned",
#                  "empty": [names of units without valid answers, in page order],
#                  "counts": {item id: {category id: {option: n}}},   headline items, summed
#                  "reaching": {kind or "both": {goal "p/q": units}}}]}   in page order

FIGURES_FORMAT = 1


def figures(results):
    """The per-group figures of a round's sealed `results` (pure: the same results, the same
    figures; `sha(figures(results))` is what verification compares)."""
    sealed = from_results(results, Round(pk=results["round"]))
    items = {i.kind: i for i in sealed.items if i.kind in HEADLINE_KINDS}
    policy, scale = sealed.policy, sealed.scale
    counts = sealed.counts([ru.pk for ru in sealed.round_units], [i.pk for i in items.values()])
    goals = [str(goal) for goal in scoring.GOALS]
    groups = {}
    for ru in sealed.round_units:
        g = groups.get(ru.unit.group.pk)
        if g is None:
            g = groups[ru.unit.group.pk] = {
                "id": ru.unit.group.pk, "units": 0, "ballots": 0, "planned": 0, "empty": [], "counts": {},
                "reaching": {key: dict.fromkeys(goals, 0) for key in (*HEADLINE_KINDS, "both")},
            }
        g["units"] += 1
        g["ballots"] += ru.online_ballots + ru.paper_ballots
        g["planned"] += ru.planned_sample
        dimensions = {}
        for kind in HEADLINE_KINDS:
            item = items.get(kind)
            by_category = counts.get((ru.pk, item.pk), {}) if item else {}
            dimensions[kind] = scoring.rate(None, scale, policy, by_category=dict(by_category))
            for category, options in by_category.items():
                cell = g["counts"].setdefault(str(item.pk), {}).setdefault(str(category), {})
                for option, n in options.items():
                    cell[str(option)] = cell.get(str(option), 0) + n
        if scoring.overall_level(d.level for d in dimensions.values()) is scoring.Level.NO_DATA:
            g["empty"].append(ru.unit.name)
        for goal, key in zip(scoring.GOALS, goals):
            met = [scoring.reaches_goal(dimensions[kind], goal) for kind in HEADLINE_KINDS]
            for kind, hit in zip(HEADLINE_KINDS, met):
                g["reaching"][kind][key] += hit
            g["reaching"]["both"][key] += all(met)
    return {
        "format": FIGURES_FORMAT,
        "items": {str(kind): item.pk for kind, item in items.items()},
        "policy": results["policy"], "categories": results["categories"],
        "groups": list(groups.values()),
    }


@dataclass
class Figures(SealedRules):
    """A round's stored figures read back for a scope: what `dashboards.city_trends` shows,
    with the rules as sealed (the attributes `selectors.round_rules` and the trends read)."""

    round: Round
    rules: Round  # an unsaved Round carrying the sealed policy fields
    labels: dict  # category id -> name as at close
    weights: dict  # category id -> Fraction
    items: dict  # ItemKind -> item id
    groups: list  # the stored group entries, in page order

    def scope(self, groups=None):
        """The group entries of `groups` (UnitGroups; None: all), in page order."""
        if groups is None:
            return self.groups
        allowed = {g.pk for g in groups}
        return [g for g in self.groups if g["id"] in allowed]

    def counts(self, entries):
        """{item id: {category id: {option: n}}} summed over group entries, as ints."""
        totals = {}
        for entry in entries:
            for item, by_cat in entry["counts"].items():
                into = totals.setdefault(int(item), {})
                for category, options in by_cat.items():
                    cell = into.setdefault(int(category), {})
                    for option, n in options.items():
                        cell[int(option)] = cell.get(int(option), 0) + n
        return totals


def read_figures(data, round_):
    """`Figures` from a snapshot's stored `figures`."""
    return Figures(
        round=round_, rules=Round(pk=round_.pk, **data["policy"]),
        labels={c["id"]: c["name"] for c in data["categories"]},
        weights={c["id"]: Fraction(c["weight"]) for c in data["categories"]},
        items={ItemKind(kind): pk for kind, pk in data["items"].items()},
        groups=data["groups"],
    )
