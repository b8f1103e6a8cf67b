import pytest
from django.core.exceptions import ValidationError

from surveys.ballots import ballot_submit, tallies_rebuild, tallies_verify
from surveys.models import Answer, Ballot, Channel, ItemKind, RoundUnit, Tally
from tests import factories

pytestmark = pytest.mark.django_db


def test_submit_stores_answers_counts_and_tallies(city):
    r = city["round"]
    ru = r.round_units.first()
    sub = r.items.filter(kind=ItemKind.SUB).first()
    ru.paper_forms_issued = 5
    ru.save()
    ballot = ballot_submit(
        round_unit=ru,
        category=factories.category(),
        channel=Channel.PAPER,
        answers={factories.headline(r).pk: 1, factories.headline(r, ItemKind.CONDUCT).pk: 2, sub.pk: None},
        opinion="  建议多公开  ",
    )
    assert ballot.opinion == "建议多公开"
    assert Answer.objects.filter(ballot=ballot).count() == 2  # the blank sub-item is an abstention
    ru.refresh_from_db()
    assert ru.paper_ballots == 1 and ru.online_ballots == 0
    assert Tally.objects.get(round_unit=ru, item=factories.headline(r), option=1).count == 1
    assert tallies_verify(round_=r) == {}


def test_missing_headline_answer_stores_nothing(city):
    r = city["round"]
    ru = r.round_units.first()
    ru.paper_forms_issued = 5
    ru.save()
    with pytest.raises(ValidationError) as excinfo:
        ballot_submit(
            round_unit=ru, category=factories.category(), channel=Channel.PAPER,
            answers={factories.headline(r).pk: 1},
        )
    assert "请回答" in str(excinfo.value)
    assert Ballot.objects.count() == 0 and Tally.objects.count() == 0


def test_option_outside_scale_is_refused(city):
    r = city["round"]
    ru = r.round_units.first()
    ru.paper_forms_issued = 5
    ru.save()
    with pytest.raises(ValidationError):
        ballot_submit(
            round_unit=ru, category=factories.category(), channel=Channel.PAPER,
            answers={factories.headline(r).pk: 9, factories.headline(r, ItemKind.CONDUCT).pk: 1},
        )
    assert Ballot.objects.count() == 0


def test_paper_ballots_stop_at_forms_issued(city):
    r = city["round"]
    ru = r.round_units.first()
    factories.ballots(ru, [1, 2])  # issues exactly two forms
    with pytest.raises(ValidationError) as excinfo:
        ballot_submit(
            round_unit=ru, category=factories.category(), channel=Channel.PAPER,
            answers={factories.headline(r).pk: 1, factories.headline(r, ItemKind.CONDUCT).pk: 1},
        )
    assert "收回数不能超过发出数" in str(excinfo.value)
    assert RoundUnit.objects.get(pk=ru.pk).paper_ballots == 2
    assert Ballot.objects.filter(round_unit=ru).count() == 2


def test_verify_detects_a_tally_that_drifted_and_rebuild_repairs_it(city):
    r = city["round"]
    ru = r.round_units.first()
    factories.ballots(ru, [1, 1, 3])
    Tally.objects.filter(round_unit=ru, option=1).update(count=5)
    assert tallies_verify(round_=r)
    tallies_rebuild(round_=r)
    assert tallies_verify(round_=r) == {}
    assert Tally.objects.get(round_unit=ru, item=factories.headline(r), option=1).count == 2


def test_closed_round_takes_no_more_ballots(city):
    from surveys.models import Round, RoundStatus

    r = city["round"]
    ru = r.round_units.first()
    ru.paper_forms_issued = 5
    ru.save()
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.CLOSED)
    with pytest.raises(ValidationError) as excinfo:
        ballot_submit(
            round_unit=ru, category=factories.category(), channel=Channel.PAPER,
            answers={factories.headline(r).pk: 1, factories.headline(r, ItemKind.CONDUCT).pk: 1},
        )
    assert "未在进行中" in str(excinfo.value)
    assert Ballot.objects.count() == 0
