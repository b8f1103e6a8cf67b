"""Breakdowns by respondent category, with small-cell suppression that holds. Pure Python.

What a round publishes about its categories, for each headline dimension: each unit's
answers per option (its result, on every page and in every file); per unit, one row per
respondent category (answers and rates, from which the counts per option follow); and for the
whole round, one row per category (the 分类统计 sheet). A cell - one category in one unit, or
in the whole round - with fewer than MIN_CELL answers is never shown on its own, and no
arithmetic on what is shown may single it out: a unit's totals less its shown rows, a
category's round total less the units' shown cells, or any chain of such subtractions.

`suppress(cells)` decides once per round, from every unit's answers per category, which
cells are merged, so that every page and file of the round (unit pages, the round report,
the feedback, the raw ballots) shows the same pattern: two downloads compared tell nothing
more than one. Complementary suppression, in three steps:

1. The round row: categories with fewer than MIN_CELL answers in the whole round merge into
   "其他". If that leaves one category alone in 其他, or 其他 below MIN_CELL, the next smallest
   category joins it, until neither holds (or everything is merged).
2. Each unit's row: the same rule over the unit's cells (primary suppression of small cells,
   then the unit's next smallest categories as complements).
3. Across units: the merged cells are the edges of a graph between units and categories
   (the round's merged categories acting as one). A unit's merged cells have a known sum (its
   totals less its shown rows) and so do a category's (its round total less the shown cells);
   from such sums one edge's value follows exactly when the edge lies on no cycle (a bridge).
   Every bridge is put on a cycle by also merging the cheapest cells that close a rectangle
   (unit u, category c), (u, c'), (u', c), (u', c'). Should none exist, the round row merges
   every category, which leaves no bridge.

A unit whose answers all come from one category has nothing to protect from its own result:
its one cell is its totals, shown anyway. Such a unit shows no breakdown, and its cell is
taken as known (not an edge) in step 3.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _

from . import scoring

MIN_CELL = 5
OTHER_LABEL = _("其他（合并小样本类别）")
HIDDEN_NOTE = lazy(lambda: gettext("样本少于 %(min_cell)s 的类别不单独显示") % {"min_cell": MIN_CELL}, str)()
ALL_MERGED_NOTE = _("答题人数较少，不按类别显示")
_MERGED_NODE = ("merged",)


@dataclass(frozen=True)
class CategoryRow:
    label: str
    answered: int
    result: object  # scoring.DimensionResult, or None when hidden
    merged: tuple = ()  # labels folded into this row (for "其他")
    hidden: bool = False
    key: object = None  # the category key of a row of one category


@dataclass(frozen=True)
class Suppression:
    """Which category cells a round shows. Keys are whatever `suppress` was given."""

    hidden: frozenset  # {(unit, category)} of nonzero cells merged into the unit's 其他
    hidden_totals: frozenset  # categories merged into 其他 in the whole round's row
    units: frozenset = frozenset()  # units the pattern was computed over

    def merged(self, unit):
        """Categories merged into the unit's 其他 (a unit the pattern does not know: none)."""
        return frozenset(c for u, c in self.hidden if u == unit)

    def shows(self, unit, category):
        return (unit, category) not in self.hidden


def _sizes(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _small(sizes, min_cell):
    return any(0 < n < min_cell for n in sizes)


def _group_ok(members, sizes, min_cell):
    """A merged group may be shown: two or more categories, each item's sum 0 or >= min_cell."""
    if len(members) < 2:
        return False
    sums = [sum(col) for col in zip(*(sizes[m] for m in members))]
    return all(s == 0 or s >= min_cell for s in sums)


def _complete(sizes, min_cell):
    """Merged keys of one row (a unit, or the round): small ones, then complements."""
    merged = {k for k, s in sizes.items() if _small(s, min_cell)}
    if not merged:
        return merged
    rest = sorted((k for k in sizes if k not in merged), key=lambda k: (max(sizes[k]), _order(k)))
    while not _group_ok(merged, sizes, min_cell) and rest:
        merged.add(rest.pop(0))
    return merged


def _order(key):
    """A sort key for any cell key: numbers before text, so ties break the same every run."""
    return (0, key, "") if isinstance(key, (int, float)) else (1, 0, str(key))


def _bridges(edges):
    """Indexes of the bridges of a multigraph given as [(node, node)] (iterative Tarjan)."""
    adjacency = defaultdict(list)
    for index, (a, b) in enumerate(edges):
        adjacency[a].append((b, index))
        adjacency[b].append((a, index))
    found, entry, low, clock = set(), {}, {}, 0
    for root in adjacency:
        if root in entry:
            continue
        entry[root] = low[root] = clock
        clock += 1
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for nxt, index in neighbours:
                if index == via:
                    continue
                if nxt in entry:
                    low[node] = min(low[node], entry[nxt])
                else:
                    entry[nxt] = low[nxt] = clock
                    clock += 1
                    stack.append((nxt, index, iter(adjacency[nxt])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > entry[parent]:
                        found.add(via)
    return found


def suppress(cells, *, min_cell=MIN_CELL):
    """The round's suppression pattern from {(unit, category): answers}.

    `answers` is an int, or a tuple with one count per headline dimension (a cell is small
    when any dimension has fewer than `min_cell` answers, and merged for every dimension:
    the pattern is the same on every page and sheet). Cells with no answers may be left out.
    """
    sizes = {key: _sizes(v) for key, v in cells.items() if any(_sizes(v))}
    width = max((len(s) for s in sizes.values()), default=1)
    sizes = {key: s + (0,) * (width - len(s)) for key, s in sizes.items()}
    by_unit = defaultdict(dict)
    totals = defaultdict(lambda: (0,) * width)
    for (unit, category), s in sizes.items():
        by_unit[unit][category] = s
        totals[category] = tuple(a + b for a, b in zip(totals[category], s))

    merged_totals = _complete(dict(totals), min_cell)
    hidden = set()
    for unit, row in by_unit.items():
        hidden |= {(unit, c) for c in _complete(row, min_cell)}

    if not _close_cycles(hidden, by_unit, merged_totals):
        merged_totals = set(totals)  # the round row shows no single category
        _close_cycles(hidden, by_unit, merged_totals)
    return Suppression(frozenset(hidden), frozenset(merged_totals), frozenset(by_unit))


def _close_cycles(hidden, by_unit, merged_totals):
    """Merge more cells (in `hidden`, in place) until no merged cell is a bridge.

    Returns False when some bridge cannot be put on a cycle with the round row as it is.
    """

    def node(category):
        return _MERGED_NODE if category in merged_totals else ("c", category)

    eligible = sorted((u for u, row in by_unit.items() if len(row) > 1), key=_order)
    while True:
        edges = sorted(
            ((u, c) for u, c in hidden if len(by_unit[u]) > 1), key=lambda e: (_order(e[0]), _order(e[1]))
        )
        bridges = _bridges([(("u", u), node(c)) for u, c in edges])
        if not bridges:
            return True
        unit, category = edges[min(bridges)]
        fix = _cheapest_cycle(unit, node(category), hidden, by_unit, eligible, node)
        if not fix or fix <= hidden:
            return False
        hidden |= fix


def _cheapest_cycle(unit, target, hidden, by_unit, eligible, node):
    """The fewest answers to merge so that the edge (unit, target) lies on a cycle, or None."""

    def cost_to_link(u, n):
        """(answers, cells) to give unit u a merged cell in node n; None if it has no such cell."""
        row = by_unit[u]
        if any((u, c) in hidden for c in row if node(c) == n):
            return 0, frozenset()
        options = sorted((max(s), _order(c), c) for c, s in row.items() if node(c) == n)
        if not options:
            return None
        size, _, c = options[0]
        return size, frozenset({(u, c)})

    best = None
    if target == _MERGED_NODE:
        # A second merged cell of the unit in the merged node closes a cycle of two edges.
        spare = sorted(
            (max(s), _order(c), c) for c, s in by_unit[unit].items()
            if node(c) == target and (unit, c) not in hidden
        )
        if spare:
            best = (spare[0][0], frozenset({(unit, spare[0][2])}))
    nodes = sorted({node(c) for row in by_unit.values() for c in row} - {target}, key=str)
    for other in eligible:
        if other == unit:
            continue
        back = cost_to_link(other, target)
        if back is None:
            continue
        for n in nodes:
            first, second = cost_to_link(unit, n), cost_to_link(other, n)
            if first is None or second is None:
                continue
            cost = back[0] + first[0] + second[0]
            if best is None or cost < best[0]:
                best = (cost, back[1] | first[1] | second[1])
    return None if best is None else best[1]


def category_breakdown(by_category, labels, scale, policy, merged=None):
    """Rows for {category_key: {option: count}}; labels maps key -> display name, in order.

    `merged` is the set of categories to fold into 其他, from the round's `suppress` pattern
    (`Suppression.merged(unit)` or `.hidden_totals`); without it, only this table's own small
    cells and their complements are merged, which does not protect against other tables.
    Weights are not applied inside a single category, so each row is rated unweighted.
    """
    plain = scoring.Policy(
        positive_threshold=policy.positive_threshold,
        basic_threshold=policy.basic_threshold,
        unknown_in_denominator=policy.unknown_in_denominator,
        min_valid=policy.min_valid,
    )
    present = {}
    for key in labels:
        counts = {v: n for v, n in by_category.get(key, {}).items() if n}
        if counts:
            present[key] = counts
    if merged is None:
        merged = _complete({k: (sum(c.values()),) for k, c in present.items()}, MIN_CELL)
    merged = [k for k in present if k in merged]
    rows = [
        CategoryRow(labels[key], sum(counts.values()), scoring.rate(counts, scale, plain), key=key)
        for key, counts in present.items()
        if key not in merged
    ]
    if not merged:
        return rows
    pooled = {}
    for key in merged:
        for value, n in present[key].items():
            pooled[value] = pooled.get(value, 0) + n
    answered = sum(pooled.values())
    names = tuple(labels[k] for k in merged)
    if not answered:
        return rows
    if not rows:
        return [CategoryRow(ALL_MERGED_NOTE, answered, None, (), hidden=True)]
    if answered < MIN_CELL:  # cannot happen with a `suppress` pattern; kept as a guard
        return [*rows, CategoryRow(HIDDEN_NOTE, answered, None, names, hidden=True)]
    return [*rows, CategoryRow(OTHER_LABEL, answered, scoring.rate(pooled, scale, plain), names)]
