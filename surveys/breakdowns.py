"""Breakdowns by respondent category, with small-cell suppression. Pure Python.

A category cell with fewer than MIN_CELL answers is never shown on its own: such cells are
merged into "其他" (other), and if the merged cell is itself smaller than MIN_CELL it is
hidden with a note. Dashboards and Excel reports both use this, so no small group's answers
can be traced anywhere.
"""

from dataclasses import dataclass
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _

from . import scoring

MIN_CELL = 5
OTHER_LABEL = _("其他（合并小样本类别）")
HIDDEN_NOTE = lazy(lambda: gettext("样本少于 %(min_cell)s 的类别不单独显示") % {"min_cell": MIN_CELL}, str)()


@dataclass(frozen=True)
class CategoryRow:
    label: str
    answered: int
    result: object  # scoring.DimensionResult, or None when hidden
    merged: tuple = ()  # labels folded into this row (for "其他")
    hidden: bool = False


def category_breakdown(by_category, labels, scale, policy):
    """Rows for {category_key: {option: count}}; labels maps key -> display name, in order.

    Weights are not applied inside a single category, so each row is rated unweighted.
    """
    plain = scoring.Policy(
        positive_threshold=policy.positive_threshold,
        basic_threshold=policy.basic_threshold,
        unknown_in_denominator=policy.unknown_in_denominator,
        min_valid=policy.min_valid,
    )
    rows, small, small_counts = [], [], {}
    for key, label in labels.items():
        counts = {v: n for v, n in by_category.get(key, {}).items() if n}
        answered = sum(counts.values())
        if not answered:
            continue
        if answered < MIN_CELL:
            small.append(label)
            for value, n in counts.items():
                small_counts[value] = small_counts.get(value, 0) + n
            continue
        rows.append(CategoryRow(label, answered, scoring.rate(counts, scale, plain)))
    if small:
        answered = sum(small_counts.values())
        if answered >= MIN_CELL:
            rows.append(
                CategoryRow(OTHER_LABEL, answered, scoring.rate(small_counts, scale, plain), tuple(small))
            )
        else:
            rows.append(CategoryRow(HIDDEN_NOTE, answered, None, tuple(small), hidden=True))
    return rows
