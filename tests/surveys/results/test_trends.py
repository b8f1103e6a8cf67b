"""City trends read the sealed snapshots: a constant number of queries whatever the number of
rounds, and rounds that are not comparable (other rules, too little data) are marked."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Round, RoundStatus
from surveys.results import dashboards
from surveys.rounds.services import round_close, round_publish
from tests import factories

pytestmark = pytest.mark.django_db


def sealed_rounds(units, count, *, start_year=2020, **settings):
    """`count` published, sealed rounds over `units`, a year apart, a few ballots each."""
    staff = factories.staff()
    made = []
    for index in range(count):
        r = factories.round_(units, year=start_year + index, planned=4, **settings)
        for i, ru in enumerate(r.round_units.all()):
            factories.ballots(ru, [1, 1, 2, 3, 1 + i % 4][: 3 + i % 3])
        round_close(round_=r, actor=staff)
        round_publish(round_=r, actor=staff)
        year = start_year + index
        Round.objects.filter(pk=r.pk).update(opens_at=r.opens_at.replace(year=year),
                                             closes_at=r.closes_at.replace(year=year))
        made.append(r)
    return made


def test_trends_cost_the_same_queries_at_2_and_6_rounds(client, django_assert_max_num_queries):
    units = [factories.unit(group_=factories.group()) for _ in range(4)]
    client.force_login(factories.leader())
    counts = {}
    for total in (2, 6):
        sealed_rounds(units, total - len(Round.objects.published()), start_year=2000 + 10 * total)
        assert Round.objects.published().count() == total
        with CaptureQueriesContext(connection) as view:
            page = client.get(reverse("dashboards:trends"))
        assert page.status_code == 200 and page.content.decode().count("data-round=") == total
        with CaptureQueriesContext(connection) as read:
            points = dashboards.city_trends(Round.objects.published(), groups=None)
        assert len(points) == total and all(p.fingerprint for p in points)
        counts[total] = (len(view), len(read))
    assert counts[2] == counts[6], counts
    assert counts[6][1] <= 2  # the rounds, their snapshots' figures


def test_rounds_with_other_rules_or_too_little_data_are_marked(client):
    units = [factories.unit(group_=factories.group()) for _ in range(3)]
    staff = factories.staff()
    strict, = sealed_rounds(units, 1, start_year=2022, positive_threshold=85, basic_threshold=75)
    thin = factories.round_(units, year=2023, planned=100)
    factories.ballots(thin.round_units.first(), [1, 1, 2])
    round_close(round_=thin, actor=staff)
    round_publish(round_=thin, actor=staff, reason="换届前须公布，已说明样本不足")
    Round.objects.filter(pk=thin.pk).update(opens_at=thin.opens_at.replace(year=2023),
                                            closes_at=thin.closes_at.replace(year=2023))
    latest, = sealed_rounds(units, 1, start_year=2024)

    points = {p.round.pk: p for p in dashboards.city_trends(Round.objects.published(), groups=None)}
    assert points[strict.pk].rule_notes == ["满意单位线 85%（最近一轮 80%）", "基本满意单位线 75%（最近一轮 70%）"]
    assert points[strict.pk].shortfall is None
    assert points[thin.pk].rule_notes == []
    assert points[thin.pk].shortfall.low_turnout and len(points[thin.pk].shortfall.empty) == 2
    assert points[thin.pk].publish_reason == "换届前须公布，已说明样本不足"
    assert not points[latest.pk].flagged

    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:trends")).content.decode()
    assert f'data-note="{strict.pk}"' in html and f'data-note="{thin.pk}"' in html
    assert f'data-note="{latest.pk}"' not in html
    assert "数据不足" in html and "换届前须公布" in html and "满意单位线 85%" in html
    assert "2022※" in html and "2023※" in html and "2024※" not in html


def test_the_dashboards_print_the_seal_fingerprint(client):
    units = [factories.unit(group_=factories.group()) for _ in range(2)]
    r, = sealed_rounds(units, 1)
    fingerprint = Round.objects.get(pk=r.pk).snapshot.fingerprint
    client.force_login(factories.leader())
    for url in (reverse("dashboards:round", args=[r.pk]), reverse("dashboards:unit", args=[r.pk, units[0].pk]),
                reverse("dashboards:trends")):
        assert fingerprint in client.get(url).content.decode(), url
    unsealed = factories.round_(units, year=2030)
    Round.objects.filter(pk=unsealed.pk).update(status=RoundStatus.PUBLISHED)
    assert "本轮尚未封存" in client.get(reverse("dashboards:round", args=[unsealed.pk])).content.decode()


def _trend_rounds():
    """Published rounds of every kind the trends mark: plain, other rules, too little data
    (units without ballots), weighted by category; over two groups of units."""
    from surveys.models import RespondentCategory

    north, south = factories.group("北片"), factories.group("南片")
    units = [factories.unit(group_=north) for _ in range(3)] + [factories.unit(group_=south) for _ in range(2)]
    staff = factories.staff()
    sealed_rounds(units, 1, start_year=2020)
    sealed_rounds(units, 1, start_year=2021, positive_threshold=85, basic_threshold=75)
    thin = factories.round_(units, year=2022, planned=100)
    factories.ballots(thin.round_units.first(), [1, 1, 2])
    round_close(round_=thin, actor=staff)
    round_publish(round_=thin, actor=staff, reason="样本不足仍须公布")
    crowd, cadres = RespondentCategory.objects.get(name="群众"), RespondentCategory.objects.get(name="领导干部")
    weighted = factories.round_(units, year=2023, planned=4, use_weights=True, categories=[(crowd, 3), (cadres, 1)])
    for i, ru in enumerate(weighted.round_units.all()):
        factories.ballots(ru, [1, 1, 3][: 1 + i % 3], category_=crowd)
        factories.ballots(ru, [3, 2, 1, 4][: 2 + i % 3], category_=cadres)
    round_close(round_=weighted, actor=staff)
    round_publish(round_=weighted, actor=staff)
    for year, r in ((2022, thin), (2023, weighted)):
        Round.objects.filter(pk=r.pk).update(opens_at=r.opens_at.replace(year=year),
                                             closes_at=r.closes_at.replace(year=year))
    return north, south


def test_stored_figures_give_the_trends_that_rating_every_unit_gives():
    """Issue 15: the trends read each seal's per-group figures (a few sums) instead of rating
    every unit of every round. Same points, whole city and each scope, every kind of round."""
    from surveys.models import ResultSnapshot

    north, south = _trend_rounds()
    published = Round.objects.published()
    scopes = {"city": None, "north": [north], "south": [south], "both": [north, south]}
    with CaptureQueriesContext(connection) as fast_queries:
        fast = {name: dashboards.city_trends(published, groups=groups) for name, groups in scopes.items()}
    assert not any("investigation" in q["sql"] for q in fast_queries.captured_queries)  # no unit rated

    ResultSnapshot.objects.update(figures=None)  # as sealed before figures existed
    with CaptureQueriesContext(connection) as slow_queries:
        slow = {name: dashboards.city_trends(published, groups=groups) for name, groups in scopes.items()}
    assert any("investigation" in q["sql"] for q in slow_queries.captured_queries)

    assert [len(fast[name]) for name in scopes] == [4, 4, 4, 4]
    for name in scopes:
        assert fast[name] == slow[name], name
    thin = fast["city"][2]
    assert thin.shortfall and len(thin.shortfall.empty) == 4 and thin.publish_reason == "样本不足仍须公布"
    assert fast["north"][0].units == 3 and fast["south"][0].units == 2
    assert fast["city"][3].city[next(iter(fast["city"][3].city))].weighted


def test_the_migration_fills_the_figures_of_rounds_sealed_before():
    import importlib

    from django.apps import apps

    from surveys import snapshots
    from surveys.models import ResultSnapshot

    _trend_rounds()
    stored = {s.pk: s.figures for s in ResultSnapshot.objects.all()}
    ResultSnapshot.objects.update(figures=None)
    migration = importlib.import_module("surveys.migrations.0007_result_snapshot_figures")
    migration.fill_figures(apps, None)
    for snapshot in ResultSnapshot.objects.all():
        assert snapshot.figures == stored[snapshot.pk]
        assert snapshots.sha(snapshot.figures) == snapshots.sha(snapshots.figures(snapshot.results))


def test_a_units_trend_reads_that_unit_alone_and_rates_it_as_the_whole_round_does():
    """Issue 15: a unit's trend no longer reads and rates every unit of every earlier round.
    Each point equals that unit's entry when the whole round is rated (rates, levels, final
    class, with investigations), for every kind of round; on PostgreSQL the database cuts the
    sealed results down to the unit, and the cost in queries does not grow with the rounds."""
    from surveys import selectors
    from surveys.models import Investigation, ResultSnapshot
    from surveys.scoring import Conclusion

    north, south = _trend_rounds()
    published = list(Round.objects.published().order_by("opens_at"))
    weighted = published[-1]
    below = next(r for r in selectors.round_results(weighted).units
                 if any(d.level.value == "below" for d in r.dimensions.values()))
    kind = next(k for k, d in below.dimensions.items() if d.level.value == "below")
    Investigation.objects.create(round_unit=below.round_unit, item=weighted.items.get(kind=kind),
                                 conclusion=Conclusion.NOT_SERIOUS, findings="核实", decided_by=factories.staff())
    whole = selectors.rounds_results(published)
    units = {ru.unit for r in published for ru in r.round_units.select_related("unit__group")}
    for unit in units:
        with CaptureQueriesContext(connection) as queries:
            trend = dashboards.unit_trend(unit, Round.objects.published())
        assert len(queries) <= 3  # the rounds, their snapshots, the investigations
        assert [p.round.pk for p in trend] == [r.pk for r in published]
        for point in trend:
            entry = next(x for x in whole[point.round.pk].units if x.unit.pk == unit.pk)
            assert point.result.dimensions == entry.dimensions
            assert (point.result.level, point.result.final) == (entry.level, entry.final)
            assert point.result.unit.name == unit.name and point.result.ranks == {}
    investigated = {p.round.pk: p.result for p in dashboards.unit_trend(below.unit, Round.objects.published())}
    assert investigated[weighted.pk].conclusions[kind] == Conclusion.NOT_SERIOUS

    if connection.vendor == "postgresql":
        unit = next(iter(units))
        cut = {s.round_id: s.in_scope for s in selectors._snapshots_in_scope([r.pk for r in published], units=[unit.pk])}
        full = {s.round_id: s.results for s in ResultSnapshot.objects.all()}
        for round_id, data in cut.items():
            assert [u["unit"] for u in data["units"]] == [unit.pk]
            assert {**data, "units": full[round_id]["units"]} == full[round_id]
        grouped = selectors._snapshots_in_scope([r.pk for r in published], groups=[south])
        assert all({u["group"]["id"] for u in s.in_scope["units"]} == {south.pk} for s in grouped)
