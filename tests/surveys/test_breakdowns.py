from fractions import Fraction

from surveys.breakdowns import ALL_MERGED_NOTE, OTHER_LABEL, category_breakdown
from surveys.scales import FOUR
from surveys.scoring import Policy

LABELS = {1: "领导干部", 2: "党代表", 3: "人大代表", 4: "群众"}


def test_small_cells_merge_into_other():
    rows = category_breakdown(
        {1: {1: 10}, 2: {1: 2, 3: 1}, 3: {2: 2}, 4: {}}, LABELS, FOUR, Policy()
    )
    assert [r.label for r in rows] == ["领导干部", OTHER_LABEL]
    other = rows[1]
    assert other.answered == 5 and other.merged == ("党代表", "人大代表")
    assert other.result.positive == Fraction(4, 5)


def test_one_small_cell_takes_a_complement_with_it():
    # 领导干部 shown beside the unit's totals would give 党代表 away: both merge.
    rows = category_breakdown({1: {1: 10}, 2: {1: 2}}, LABELS, FOUR, Policy())
    assert len(rows) == 1 and rows[0].hidden and rows[0].result is None
    assert rows[0].label == ALL_MERGED_NOTE and rows[0].merged == ()


def test_exactly_five_is_shown():
    rows = category_breakdown({4: {1: 5}}, LABELS, FOUR, Policy())
    assert rows[0].label == "群众" and rows[0].result is not None
