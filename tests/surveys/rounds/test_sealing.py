"""The seal: content-based, and verification tells additions, changes and removals apart."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.models import Answer, Ballot, RoundStatus
from surveys.rounds import sealing
from surveys.rounds.services import round_close, round_verify
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(city):
    staff = factories.staff()
    r = city["round"]
    first, second = r.round_units.all()[:2]
    factories.ballots(first, [1, 1, 2, 3])
    factories.ballots(second, [2, 4])
    round_close(round_=r, actor=staff)
    r.refresh_from_db()
    return r, first, second


def test_close_stores_the_digest_of_the_ballots(closed):
    r, *_ = closed
    assert r.status == RoundStatus.CLOSED
    assert len(r.seal_digest) == 64
    assert r.seal_digest == sealing.round_seal(r).digest
    assert round_verify(round_=r).intact


def test_digest_does_not_depend_on_database_ids(closed):
    r, first, _ = closed
    before = sealing.round_seal(r).digest
    # Re-insert one ballot with the same content under a new id.
    ballot = Ballot.objects.filter(round_unit=first).first()
    answers = list(ballot.answers.values_list("item_id", "option"))
    ballot.answers.all().delete()
    ballot.delete()
    clone = Ballot.objects.create(round_unit=first, category=ballot.category, channel=ballot.channel,
                                  cast_on=ballot.cast_on, opinion=ballot.opinion)
    Answer.objects.bulk_create([Answer(ballot=clone, item_id=i, option=o) for i, o in answers])
    assert sealing.round_seal(r).digest == before


def test_a_changed_answer_is_detected(closed):
    r, first, _ = closed
    answer = Answer.objects.filter(ballot__round_unit=first, option=3).first()
    Answer.objects.filter(pk=answer.pk).update(option=1)
    result = round_verify(round_=r)
    assert not result.intact
    assert result.changed == [first.unit.code]
    assert "内容被修改" in result.summary()


def test_added_and_removed_ballots_are_detected(closed):
    r, first, second = closed
    Ballot.objects.create(round_unit=first, category=factories.category(), channel="paper",
                          cast_on=Ballot.objects.first().cast_on)
    victim = Ballot.objects.filter(round_unit=second).first()
    victim.answers.all().delete()
    victim.delete()
    result = round_verify(round_=r)
    assert result.added == {first.unit.code: 1}
    assert result.removed == {second.unit.code: 1}


def test_a_changed_opinion_is_detected(closed):
    r, first, _ = closed
    Ballot.objects.filter(round_unit=first).update(opinion="后来改的")
    assert not round_verify(round_=r).intact


def test_verify_round_command(closed, capsys):
    r, first, _ = closed
    call_command("verify_round", r.pk)
    assert "未被增加、修改或删除" in capsys.readouterr().out
    Answer.objects.filter(ballot__round_unit=first).update(option=4)
    with pytest.raises(CommandError, match="内容被修改"):
        call_command("verify_round", r.pk)


def test_verify_round_command_refuses_unsealed_and_unknown_rounds(city):
    with pytest.raises(CommandError, match="尚未封存"):
        call_command("verify_round", city["round"].pk)
    with pytest.raises(CommandError, match="没有编号"):
        call_command("verify_round", 999999)
