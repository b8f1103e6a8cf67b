"""The rating rule, without a database."""

import ast
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from surveys import scoring
from surveys.scales import FIVE, FOUR, THREE
from surveys.scoring import Conclusion, FinalClass, Level, Policy, rate

POLICY = Policy()


def four(sat=0, basic=0, dis=0, unknown=0):
    return {1: sat, 2: basic, 3: dis, 4: unknown}


def test_module_imports_nothing_from_django():
    for name in ("scoring.py", "scales.py"):
        tree = ast.parse((Path(scoring.__file__).parent / name).read_text())
        modules = [
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [m for m in modules if m.startswith("django")], name


def test_eight_of_ten_reaches_eighty_percent():
    result = rate(four(sat=5, basic=3, dis=2), FOUR, POLICY)
    assert result.positive == Fraction(4, 5)
    assert result.level is Level.SATISFIED


def test_7999_of_10000_does_not_reach_eighty_and_does_not_print_as_80():
    result = rate(four(sat=5000, basic=2999, dis=2001), FOUR, POLICY)
    assert scoring.percent(result.positive) == "79.9%"
    assert result.level is Level.BASIC


def test_seventy_percent_exactly_is_basically_satisfied():
    result = rate(four(sat=4, basic=3, dis=3), FOUR, POLICY)
    assert result.level is Level.BASIC


def test_one_ballot_below_seventy_is_below_standard():
    result = rate(four(sat=699, basic=0, dis=301), FOUR, POLICY)
    assert result.positive == Fraction(699, 1000)
    assert result.level is Level.BELOW


def test_satisfied_equal_to_dissatisfied_fails_both_upper_levels():
    # 90% positive, but satisfied (10%) is not greater than dissatisfied (10%).
    result = rate(four(sat=1, basic=8, dis=1), FOUR, POLICY)
    assert result.positive == Fraction(9, 10)
    assert result.satisfied == result.dissatisfied
    assert result.level is Level.BELOW


def test_all_unknown_counted_in_denominator_is_below_standard():
    result = rate(four(unknown=10), FOUR, Policy(unknown_in_denominator=True))
    assert result.valid == 10
    assert result.positive == 0
    assert result.unknown == 1
    assert result.level is Level.BELOW


def test_all_unknown_left_out_of_denominator_is_no_data():
    result = rate(four(unknown=10), FOUR, Policy(unknown_in_denominator=False))
    assert result.valid == 0
    assert result.answered == 10
    assert result.unknown == 1
    assert result.level is Level.NO_DATA


def test_unknown_policy_changes_the_level():
    counts = four(sat=6, basic=2, dis=1, unknown=1)
    assert rate(counts, FOUR, Policy(unknown_in_denominator=True)).level is Level.SATISFIED
    strict = rate(four(sat=5, basic=2, dis=1, unknown=2), FOUR, Policy(unknown_in_denominator=True))
    lenient = rate(four(sat=5, basic=2, dis=1, unknown=2), FOUR, Policy(unknown_in_denominator=False))
    assert strict.positive == Fraction(7, 10) and strict.level is Level.BASIC
    assert lenient.positive == Fraction(7, 8) and lenient.level is Level.SATISFIED


def test_zero_ballots_is_no_data_without_error():
    result = rate({}, FOUR, POLICY)
    assert result.valid == 0
    assert result.level is Level.NO_DATA
    assert result.interval is None
    assert result.positive == 0


def test_below_minimum_is_flagged_but_still_rated():
    result = rate(four(sat=9, basic=1), FOUR, Policy(min_valid=30))
    assert result.below_minimum
    assert result.level is Level.SATISFIED
    assert not rate(four(sat=27, basic=3), FOUR, Policy(min_valid=30)).below_minimum


def test_wilson_interval_brackets_the_rate():
    result = rate(four(sat=50, basic=30, dis=20), FOUR, POLICY)
    low, high = result.interval
    assert low < 0.8 < high
    assert round(low, 3) == 0.711 and round(high, 3) == 0.867


def test_weights_average_per_category_rates_and_renormalize_without_empty_category():
    by_category = {
        "public": {1: 1, 3: 1},  # 50% positive
        "cadres": {1: 10},  # 100% positive
        "empty": {},
    }
    weights = {"public": Fraction(3), "cadres": Fraction(1), "empty": Fraction(6)}
    result = rate(None, FOUR, Policy(weights=weights), by_category=by_category)
    assert result.weighted
    # (3 * 1/2 + 1 * 1) / 4 — the empty category's weight drops out.
    assert result.positive == Fraction(5, 8)
    assert result.valid == 12
    unweighted = rate(None, FOUR, Policy(), by_category=by_category)
    assert unweighted.positive == Fraction(11, 12)
    assert not unweighted.weighted


def test_weights_need_categories():
    with pytest.raises(ValueError):
        rate(four(sat=1), FOUR, Policy(weights={"a": 1}))


def test_five_level_scale_groups_options_and_scores():
    # 很满意 2, 满意 4, 基本满意 2, 不太满意 1, 不满意 1
    result = rate({1: 2, 2: 4, 3: 2, 4: 1, 5: 1}, FIVE, POLICY)
    assert result.satisfied == Fraction(6, 10)
    assert result.basic == Fraction(2, 10)
    assert result.dissatisfied == Fraction(2, 10)
    assert result.level is Level.SATISFIED
    assert result.score == Fraction(2 * 100 + 4 * 80 + 2 * 60 + 30 + 0, 10)


def test_three_option_scale():
    result = rate({1: 5, 2: 2, 3: 3}, THREE, POLICY)
    assert result.level is Level.BASIC
    assert result.score is None


def test_unknown_option_value_is_rejected():
    with pytest.raises(KeyError):
        rate({7: 1}, FOUR, POLICY)


def test_policy_rejects_floats_and_out_of_range():
    with pytest.raises(TypeError):
        Policy(positive_threshold=0.8)
    with pytest.raises(ValueError):
        Policy(positive_threshold=Fraction(3, 2))
    with pytest.raises(ValueError):
        Policy(positive_threshold=Fraction(6, 10), basic_threshold=Fraction(7, 10))


def test_overall_level_is_the_lower_of_two():
    assert scoring.overall_level([Level.SATISFIED, Level.BASIC]) is Level.BASIC
    assert scoring.overall_level([Level.BELOW, Level.SATISFIED]) is Level.BELOW
    assert scoring.overall_level([Level.SATISFIED, Level.NO_DATA]) is Level.NO_DATA


@pytest.mark.parametrize(
    "dimensions, expected",
    [
        ([(Level.SATISFIED, None), (Level.BASIC, None)], FinalClass.BASIC),
        ([(Level.BELOW, None), (Level.SATISFIED, None)], FinalClass.PENDING),
        ([(Level.BELOW, Conclusion.NOT_SERIOUS), (Level.SATISFIED, None)], FinalClass.BELOW),
        ([(Level.BELOW, Conclusion.NOT_SERIOUS), (Level.BELOW, None)], FinalClass.PENDING),
        ([(Level.BELOW, Conclusion.SERIOUS), (Level.BELOW, None)], FinalClass.UNSATISFIED),
        ([(Level.BELOW, "serious"), (Level.BASIC, None)], FinalClass.UNSATISFIED),
    ],
)
def test_unit_final_class(dimensions, expected):
    assert scoring.unit_final_class(dimensions) is expected


def test_competition_ranks_share_ties():
    assert scoring.competition_ranks([Fraction(9, 10), Fraction(8, 10), Fraction(8, 10), Fraction(1, 2)]) == [1, 2, 2, 4]


def test_percent_cuts_toward_zero_so_no_figure_crosses_a_line():
    assert scoring.percent(Fraction(7999, 10000)) == "79.9%"
    assert scoring.percent(Fraction(323, 404)) == "79.9%"  # 79.95%
    assert scoring.percent(Fraction(142, 203)) == "69.9%"  # 69.95%
    assert scoring.percent(Fraction(8, 10)) == "80.0%" and scoring.percent(Fraction(7, 10)) == "70.0%"
    assert scoring.percent(Fraction(2, 3)) == "66.6%"
    assert scoring.percent(Fraction(1, 3), places=2) == "33.33%"
    assert scoring.percent(1) == "100.0%" and scoring.percent(0) == "0.0%"
    assert scoring.percent(Fraction(1, 2000)) == "0.0%"
    assert scoring.percent(None) == "—"
    assert scoring.truncate(Fraction(323, 404), 3) == Fraction(799, 1000)
    assert scoring.truncate(Fraction(-1, 3), 1) == Fraction(-3, 10)  # toward zero
    assert scoring.decimal(Fraction(8599, 100)) == "85.9" and scoring.decimal(None) == "—"


@pytest.mark.parametrize(
    "satisfied, basic, dissatisfied, shown, level",
    [
        (161, 162, 81, "79.9%", Level.BASIC),  # 323 of 404: 79.95%
        (160, 163, 81, "79.9%", Level.BASIC),
        (400, 400, 200, "80.0%", Level.SATISFIED),  # exactly 80%
        (71, 71, 61, "69.9%", Level.BELOW),  # 142 of 203: 69.95%
        (35, 35, 30, "70.0%", Level.BASIC),  # exactly 70%
    ],
)
def test_the_shown_rate_and_the_level_agree_at_the_lines(satisfied, basic, dissatisfied, shown, level):
    result = rate(four(sat=satisfied, basic=basic, dis=dissatisfied), FOUR, POLICY)
    assert (scoring.percent(result.positive), result.level) == (shown, level)


# --- ranks agree with levels -------------------------------------------------------------------


def test_a_better_level_always_ranks_above_a_higher_rate():
    basic_high = rate(four(sat=70, basic=9, dis=21), FOUR, POLICY)  # 79%, basic
    satisfied_low = rate(four(sat=41, basic=39, dis=20), FOUR, POLICY)  # 80%, satisfied
    ninety_tied = rate(four(sat=10, basic=80, dis=10), FOUR, POLICY)  # 90%, satisfied not > dissatisfied
    below = rate(four(sat=30, basic=30, dis=40), FOUR, POLICY)  # 60%
    empty = rate({}, FOUR, POLICY)
    entries = [(r.level, r.positive) for r in (ninety_tied, basic_high, empty, below, satisfied_low)]
    assert scoring.level_ranks(entries) == [3, 2, None, 4, 1]


def test_equal_level_and_exact_rate_share_a_rank_and_nearly_equal_do_not():
    a = (Level.SATISFIED, Fraction(8, 10))
    b = (Level.SATISFIED, Fraction(80, 100))
    c = (Level.SATISFIED, Fraction(7999, 10000) + Fraction(1, 10**9))
    assert scoring.level_ranks([c, a, b]) == [3, 1, 1]
    assert scoring.level_ranks([]) == []


# --- weights ------------------------------------------------------------------------------------


def test_policy_refuses_float_weights_and_says_why():
    with pytest.raises(TypeError, match="exact"):
        Policy(weights={"public": 0.3, "cadres": 1})
    with pytest.raises(TypeError):
        Policy(weights={"public": True})


def test_policy_refuses_negative_and_all_zero_weights():
    with pytest.raises(ValueError, match="negative"):
        Policy(weights={"public": -1})
    with pytest.raises(ValueError, match="every category weight is 0"):
        Policy(weights={"public": 0, "cadres": Decimal("0.000")})


def test_decimal_weights_stay_exact_at_the_line():
    # 80% in one category and 80% in the other: exactly 80% whatever the weights. A float
    # weight of 0.1 would make it 79.99…% and basic; Decimal("0.1") keeps it satisfied.
    by_category = {"public": {1: 5, 2: 3, 3: 2}, "cadres": {1: 50, 2: 30, 3: 20}}
    result = rate(None, FOUR, Policy(weights={"public": Decimal("0.1"), "cadres": Decimal("0.7")}), by_category=by_category)
    assert result.positive == Fraction(4, 5) and result.level is Level.SATISFIED
    assert Policy(positive_threshold=Decimal("0.8")).positive_threshold == Fraction(4, 5)


def test_weighted_interval_and_minimum_use_the_effective_sample():
    # 2 answers weighted 9 and 98 weighted 1: 90% positive, but the estimate rests almost
    # wholly on two answers.
    by_category = {"a": {1: 2}, "b": {3: 98}}
    result = rate(None, FOUR, Policy(weights={"a": 9, "b": 1}, min_valid=30), by_category=by_category)
    assert result.positive == Fraction(9, 10) and result.valid == 100
    assert result.effective == Fraction(100) / (Fraction(81, 2) + Fraction(1, 98))
    assert 2 < result.effective < 3
    assert result.below_minimum
    low, high = result.interval
    assert low < 0.5 < 0.9 < high  # far wider than 100 plain answers would give
    plain = rate(None, FOUR, Policy(), by_category={"a": {1: 90}, "b": {3: 10}})
    assert plain.effective == plain.valid == 100 and not plain.below_minimum


def test_equal_weights_on_equal_categories_keep_the_plain_sample():
    by_category = {"a": {1: 30, 3: 10}, "b": {1: 20, 2: 20}}
    result = rate(None, FOUR, Policy(weights={"a": 2, "b": 2}), by_category=by_category)
    assert result.effective == 80


def test_a_category_weighted_zero_does_not_count():
    by_category = {"public": {1: 3, 3: 7}, "cadres": {1: 10}}
    result = rate(None, FOUR, Policy(weights={"public": 1, "cadres": 0}), by_category=by_category)
    assert result.positive == Fraction(3, 10) and result.valid == 10 and result.answered == 20
    only_zero = rate(None, FOUR, Policy(weights={"public": 1, "cadres": 0}), by_category={"cadres": {1: 10}})
    assert only_zero.level is Level.NO_DATA and only_zero.valid == 0 and not only_zero.below_minimum


def test_no_valid_answers_is_no_data_not_a_small_sample():
    result = rate(four(unknown=10), FOUR, Policy(unknown_in_denominator=False))
    assert result.level is Level.NO_DATA and not result.below_minimum
    assert not rate({}, FOUR, POLICY).below_minimum


# --- the rule in words ---------------------------------------------------------------------------


def test_the_rule_is_described_with_the_round_values():
    policy = Policy(
        positive_threshold=Fraction(85, 100), basic_threshold=Fraction(725, 1000), unknown_in_denominator=False,
        min_valid=20, weights={1: Decimal("3"), 2: Decimal("1.5"), 3: Fraction(1, 3)},
    )
    rules = {key: text for key, _, text in scoring.describe_policy(
        policy, FOUR, weight_labels={1: "群众", 2: "服务对象", 3: "领导干部"}, min_cell=5,
    )}
    assert "≥ 85%" in rules["levels"] and "≥ 72.5% 且 < 85%" in rules["levels"] and "满意率 > 不满意率" in rules["levels"]
    assert rules["unknown"].startswith("“不了解”不计入有效票")
    assert "群众 ×3、服务对象 ×1.5、领导干部 ×1/3" in rules["weights"]
    assert "Kish" in rules["minimum"] and "20" in rules["minimum"]
    assert "较低" in rules["overall"] and "79.95% 显示为 79.9%" in rules["display"]
    assert "先按等次" in rules["ranking"] and "5 人" in rules["suppression"]
    five = {key: text for key, _, text in scoring.describe_policy(Policy(), FIVE)}
    assert "很满意 100" in five["scale"] and "没有“不了解”" in five["unknown"] and "不加权" in five["weights"]
    assert "suppression" not in five


def test_rating_a_unit_stays_cheap():
    """Issue 15: integers for the comparisons, a Fraction per rate shown. Counted, not timed."""
    import fractions

    calls = []
    original = fractions.Fraction.__new__

    def counting(cls, *args, **kwargs):
        calls.append(1)
        return original(cls, *args, **kwargs)

    by_category = {c: {1: 30 + c, 2: 20, 3: 5 + c, 4: 3} for c in range(7)}
    fractions.Fraction.__new__ = counting
    try:
        rate(None, FOUR, POLICY, by_category=by_category)
    finally:
        fractions.Fraction.__new__ = original
    assert len(calls) == 5  # satisfied, basic, dissatisfied, unknown, positive: nothing else
