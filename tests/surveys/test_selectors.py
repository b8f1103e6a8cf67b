from fractions import Fraction

import pytest

from surveys import scoring
from surveys.models import Investigation
from surveys.selectors import round_results
from tests import factories

pytestmark = pytest.mark.django_db


def test_round_results_rate_rank_and_respect_investigations(city, django_assert_max_num_queries):
    r = city["round"]
    main = city["groups"][0]
    ru = {x.unit: x for x in r.round_units.select_related("unit")}
    a, b, c = city["units"][:3]
    factories.ballots(ru[a], [1] * 8 + [3] * 2)  # 80%: satisfied unit
    factories.ballots(ru[b], [1] * 7 + [3] * 3)  # 70%: basic
    factories.ballots(ru[c], [1] * 6 + [3] * 4)  # 60%: below
    with django_assert_max_num_queries(6):
        results = round_results(r)
    by_unit = {res.unit: res for res in results.units}
    assert by_unit[a].final is scoring.FinalClass.SATISFIED
    assert by_unit[b].final is scoring.FinalClass.BASIC
    assert by_unit[c].final is scoring.FinalClass.PENDING
    assert [by_unit[u].ranks["overall"] for u in (a, b, c)] == [1, 2, 3]
    assert by_unit[a].dimensions["selection"].positive == Fraction(4, 5)

    staff = factories.staff()
    Investigation.objects.create(
        round_unit=ru[c], item=factories.headline(r), findings="较严重", conclusion="serious",
        decided_by=staff,
    )
    by_unit = {res.unit: res for res in round_results(r).units}
    # The conduct dimension is below too and still lacks a conclusion; serious wins anyway.
    assert by_unit[c].final is scoring.FinalClass.UNSATISFIED

    limited = round_results(r, groups=[main])
    assert {res.unit for res in limited.units} == set(city["units"][:3])


def test_query_count_does_not_grow_with_units(city, django_assert_max_num_queries):
    extra = [factories.unit(group_=city["groups"][1]) for _ in range(10)]
    r = factories.round_(city["units"] + extra)
    for ru in r.round_units.all()[:8]:
        factories.ballots(ru, [1, 2, 3])
    with django_assert_max_num_queries(6):
        round_results(r)


def test_districts_come_before_departments_live_and_sealed(city):
    """Issue 13: units were listed by the stored kind ("department" sorts before "district"),
    so reports and pages put 市级部门 ahead of 区县. Both sources now list districts first."""
    from surveys.selectors import round_opinions, round_results
    from units.models import UnitKind

    r = city["round"]
    expected = ["主城1区", "主城2区", "主城3区", "远郊1区", "远郊2区", "市部门1", "市部门2"]
    assert [u.unit.name for u in round_results(r).units] == expected
    from surveys.ballots import ballot_submit, ballots_mix
    from surveys.models import Channel, ItemKind

    answers = {factories.headline(r).pk: 1, factories.headline(r, ItemKind.CONDUCT).pk: 1}
    for ru in r.round_units.select_related("unit"):
        ru.paper_forms_issued = 1
        ru.save(update_fields=["paper_forms_issued"])
        ballot_submit(round_unit=ru, category=factories.category(), channel=Channel.PAPER,
                      answers=answers, opinion=f"意见{ru.unit.name}")
        ballots_mix(round_unit=ru, minimum=1)
    factories.close(r)
    sealed = round_results(r)
    assert sealed.snapshot is not None
    assert [u.unit.name for u in sealed.units] == expected
    kinds = [u.unit.kind for u in sealed.units]
    assert kinds == sorted(kinds, key=lambda k: k != UnitKind.DISTRICT)
    opinions = [text for _, text in round_opinions([ru.pk for ru in r.round_units.all()])]
    assert opinions == [f"意见{name}" for name in expected]
