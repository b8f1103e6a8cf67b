"""Dashboard selectors: pooled city figures, ranking tables, unit page, trends, live turnout.

Every expected figure is computed with `surveys.scoring` (or `round_results`) directly, so a
dashboard can only pass by showing what the rating rule says.
"""

from datetime import timedelta
from fractions import Fraction

import pytest

from surveys import scoring
from surveys.ballots import ballot_submit, ballots_mix
from surveys.breakdowns import ALL_MERGED_NOTE
from surveys.models import Channel, ItemKind, Rectification, Round, RoundStatus
from surveys.results import dashboards
from surveys.scales import FOUR
from surveys.selectors import mean_positive, round_results
from tests import factories

pytestmark = pytest.mark.django_db


SELECTION = ItemKind.SELECTION


def publish(r, *, days_ago=0):
    Round.objects.filter(pk=r.pk).update(
        status=RoundStatus.PUBLISHED, opens_at=r.opens_at - timedelta(days=days_ago),
        closes_at=r.closes_at - timedelta(days=days_ago),
    )
    r.refresh_from_db()
    return r


@pytest.fixture
def data():
    data = factories.reported_city()
    publish(data["round"])
    return data


def test_city_rate_is_scoring_on_the_pooled_counts(data):
    r = data["round"]
    overview = dashboards.round_overview(r, groups=None)
    results = round_results(r)
    pooled = {}
    for unit_result in results.units:
        for option, n in unit_result.dimensions[SELECTION].counts.items():
            pooled[option] = pooled.get(option, 0) + n
    expected = scoring.rate(pooled, r.scale_def, r.policy())
    assert overview.city[SELECTION].positive == expected.positive
    assert overview.city[SELECTION].valid == expected.valid
    assert overview.units == 7
    assert overview.ballots == sum(x.ballots for x in r.round_units.all())
    assert overview.online == 4 + 10  # the opinions and 主城3区's online ballots
    finals = dict(overview.finals)
    assert finals[scoring.FinalClass.UNSATISFIED] == 1  # 主城3区, concluded serious
    assert sum(finals.values()) == 7


def test_ranking_tables_filter_sort_and_change_of_rank(data):
    r = data["round"]
    main = data["groups"][0]
    # An earlier round in which the order of 主城区 was reversed.
    earlier = factories.round_(data["units"], year=2025)
    ru = {x.unit.name: x for x in earlier.round_units.select_related("unit")}
    factories.ballots(ru["主城1区"], [1] * 6 + [3] * 4)
    factories.ballots(ru["主城2区"], [1] * 7 + [3] * 3)
    factories.ballots(ru["主城3区"], [1] * 9 + [3] * 1)
    publish(earlier, days_ago=365)
    previous = dashboards.previous_round(r, Round.objects.published())
    assert previous == earlier
    overview = dashboards.round_overview(r, groups=None, previous=previous)

    tables = dashboards.ranking_tables(overview, dimension=SELECTION, group_id=main.pk)
    assert [t.group for t in tables] == [main]
    rows = tables[0].rows
    assert [row.result.unit.name for row in rows] == ["主城1区", "主城2区", "主城3区"]
    assert [row.rank for row in rows] == [1, 2, 3]
    assert [row.change for row in rows] == [2, 0, -2]

    by_rate = dashboards.ranking_tables(overview, dimension=SELECTION, group_id=main.pk, sort="positive")[0]
    assert [row.result.unit.name for row in by_rate.rows] == ["主城3区", "主城2区", "主城1区"]

    below = dashboards.ranking_tables(overview, dimension=SELECTION, final="unsatisfied")
    assert [row.result.unit.name for t in below for row in t.rows] == ["主城3区"]
    departments = dashboards.ranking_tables(overview, dimension=SELECTION, unit_kind="department")
    assert [t.group.name for t in departments] == ["政府部门"]
    # 远郊2区 has no ballots: no rank, listed last whatever the sort.
    outer = dashboards.ranking_tables(overview, dimension=SELECTION, group_id=data["groups"][1].pk, sort="positive", descending=True)[0]
    assert outer.rows[-1].result.unit.name == "远郊2区" and outer.rows[-1].rank is None


def test_unit_page_figures_come_from_the_round_results(data):
    r = data["round"]
    unit = data["round_units"]["主城1区"].unit
    page = dashboards.unit_page(r, unit, trend_rounds=Round.objects.published())
    results = round_results(r)
    mine = next(x for x in results.units if x.unit == unit)
    assert page.result.dimensions == mine.dimensions
    headline = next(row for row in page.items if row.item.kind == SELECTION)
    assert headline.result.positive == mine.dimensions[SELECTION].positive
    members = [x for x in results.units if x.group == unit.group]
    assert headline.group_mean == mean_positive(members, SELECTION)
    assert headline.city_mean == mean_positive(results.units, SELECTION)
    assert [(label, n) for label, n, _ in headline.segments] == [("满意", 12), ("基本满意", 2), ("不满意", 1), ("不了解", 0)]
    assert [p.round for p in page.trend] == [r]
    # Opinions: all four, escaped by the template later, searchable here.
    assert len(page.opinions) == 4 and not page.more_opinions
    assert [text for _, text in dashboards.unit_page(r, unit, trend_rounds=Round.objects.published(), q="监督").opinions] == ["希望加强干部监督"]


def test_unit_page_never_shows_a_category_of_fewer_than_five(data):
    r = data["round"]
    unit = data["round_units"]["远郊1区"].unit
    page = dashboards.unit_page(r, unit, trend_rounds=Round.objects.published())
    label, rows = page.breakdowns[0]
    assert label == SELECTION.label
    # 7 领导干部 and 3 党代表: showing 领导干部 alone would give away the 党代表 cell as the
    # unit's totals less that row, so both stay merged and no category is shown.
    assert [row for row, _ in rows if not row.hidden] == []
    hidden = [row for row, p in rows if row.hidden]
    assert hidden[0].label == ALL_MERGED_NOTE and hidden[0].result is None and hidden[0].merged == ()


def test_unit_page_investigations_pending_and_rectifications(data):
    r = data["round"]
    ru = data["round_units"]["主城3区"]
    Rectification.objects.create(round_unit=ru, measures="开展专项整治", deadline=r.closes_at.date(), created_by=factories.staff())
    page = dashboards.unit_page(r, ru.unit, trend_rounds=Round.objects.published())
    assert [i.conclusion for i in page.investigations] == ["serious"]
    assert page.pending == [ItemKind.CONDUCT]  # below on conduct too, not yet investigated
    assert [x.measures for x in page.rectifications] == ["开展专项整治"]


def test_only_the_newest_opinions_are_listed(data, monkeypatch):
    monkeypatch.setattr(dashboards, "OPINION_LIMIT", 3)
    r = data["round"]
    page = dashboards.unit_page(r, data["round_units"]["主城1区"].unit, trend_rounds=Round.objects.published())
    assert len(page.opinions) == 3 and page.more_opinions


def test_opinions_newest_day_last():
    data = factories.city()
    r = data["round"]
    ru = r.round_units.first()
    selection = factories.headline(r)
    today = r.opens_at.date()
    for text, day in [("乙 今天", today), ("甲 前天", today - timedelta(days=2)), ("丙 昨天", today - timedelta(days=1))]:
        ballot_submit(round_unit=ru, category=factories.category(), channel=Channel.ONLINE,
                      answers={selection.pk: 1, factories.headline(r, ItemKind.CONDUCT).pk: 1}, opinion=text, cast_on=day)
    ballots_mix(round_unit=ru, minimum=1)
    publish(r)
    page = dashboards.unit_page(r, ru.unit, trend_rounds=Round.objects.published())
    assert [text for _, text in page.opinions] == ["甲 前天", "丙 昨天", "乙 今天"]


def test_reaching_a_goal_is_decided_on_exact_fractions():
    policy, scale = scoring.Policy(), FOUR
    just = scoring.rate({1: 5, 2: 3, 3: 2}, scale, policy)  # 80% exactly
    short = scoring.rate({1: 5000, 2: 2999, 3: 2001}, scale, policy)  # 79.99%, prints 79.9%
    tied = scoring.rate({1: 4, 2: 12, 3: 4}, scale, policy)  # 80%, satisfied not above dissatisfied
    goal = dashboards.GOALS[0][0]
    assert scoring.reaches_goal(just, goal)
    assert scoring.percent(short.positive) == "79.9%" and not scoring.reaches_goal(short, goal)
    assert not scoring.reaches_goal(tied, goal)
    assert not scoring.reaches_goal(scoring.rate({}, scale, policy), goal)


def test_city_trends_count_units_at_each_goal_and_respect_the_scope(data):
    r = data["round"]
    points = dashboards.city_trends(Round.objects.published(), groups=None)
    assert [p.round for p in points] == [r]
    results = round_results(r)
    expected = sum(scoring.reaches_goal(u.dimensions[SELECTION], Fraction(4, 5)) for u in results.units)
    assert points[0].reaching[SELECTION][Fraction(4, 5)] == expected == 4  # 主城1区, 远郊1区 (8 of 10), both departments
    assert points[0].reaching[SELECTION][Fraction(9, 10)] == 3  # 主城1区 (14 of 15), the departments
    main = data["groups"][0]
    scoped = dashboards.city_trends(Round.objects.published(), groups=[main])
    assert scoped[0].units == 3
    assert scoped[0].reaching[SELECTION][Fraction(4, 5)] == 1


def test_live_turnout_counts_codes_and_forms_without_rates(data):
    r = data["round"]
    groups = dashboards.live_turnout(r, groups=[data["groups"][0]])
    assert [g.group for g in groups] == [data["groups"][0]]
    first = groups[0].turnouts[0]
    assert first.round_unit.unit.name == "主城1区"
    assert (first.codes_issued, first.codes_void, first.received) == (10, 1, 15)
    assert first.issued == 10 - 1 + first.round_unit.paper_forms_issued


def test_live_pages_keep_groups_together_and_repeat_a_continued_heading():
    from types import SimpleNamespace

    def group(name, n):
        return dashboards.LiveGroup(SimpleNamespace(name=name), [f"{name}{i}" for i in range(n)])

    pages = dashboards.live_pages([group("甲", 3), group("乙", 6), group("丙", 1)], rows=4, columns=2)
    shown = [[[("·" if line.turnout else ("续" if line.continued else "头")) + line.group.group.name
               for line in column] for column in page] for page in pages]
    assert shown == [
        [["头甲", "·甲", "·甲", "·甲"], ["头乙", "·乙", "·乙", "·乙"]],
        [["续乙", "·乙", "·乙", "·乙"], ["头丙", "·丙"]],
    ]
    # A heading never ends a column: 丁 would start on the last line, so it moves on.
    pages = dashboards.live_pages([group("甲", 2), group("丁", 2)], rows=4, columns=2)
    assert [[line.group.group.name for line in column] for column in pages[0]] == [["甲"] * 3, ["丁"] * 3]
    assert dashboards.live_pages([], rows=4, columns=2) == [[]]


@pytest.mark.postgres
def test_the_newest_opinions_are_read_from_the_opinions_index_not_every_ballot():
    """Issue 15: at a million ballots the unit page sorted all of a unit's ballots (8,000 here)
    for its 50 newest opinions (31 ms warm, 66 ms cold). The partial index on opinions, newest
    day first, serves the query; ballots without an opinion are not in it."""
    from django.db import connection

    from surveys.models import Ballot

    data = factories.city()
    ru = data["round"].round_units.first()
    factories.ballots(ru, [1, 2, 3])
    with connection.cursor() as cursor:  # the plan a large table gets
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    for q in ("", "监督"):
        plan = dashboards.newest_opinions(ru, q)[:51].explain()
        assert "ballot_unit_opinions" in plan, plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ballot_unit_opinions'"
        )
        definition = cursor.fetchone()[0]
    assert "WHERE" in definition and "opinion" in definition.split("WHERE")[1]
    assert Ballot._meta.get_field("opinion").max_length == 1000  # why the text is not in the key
