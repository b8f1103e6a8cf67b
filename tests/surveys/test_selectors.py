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
