import random

import pytest
from django.core.exceptions import ValidationError

from surveys import ballots
from surveys.ballots import (
    ballot_submit,
    ballots_mix,
    intake_counts,
    round_intake_start,
    round_intake_stop,
    tallies_rebuild,
    tallies_verify,
)
from surveys.models import (
    AccessCode, Answer, Ballot, Channel, CodeBatch, CodeStatus, ItemKind, PendingBallot, RoundUnit, Tally,
)
from surveys.respondent.services import ballot_cast_online
from tests import factories

pytestmark = pytest.mark.django_db


def paper(ru, option=1, opinion="", **extra):
    r = ru.round
    return ballot_submit(
        round_unit=ru, category=factories.category(), channel=Channel.PAPER,
        answers={factories.headline(r).pk: option, factories.headline(r, ItemKind.CONDUCT).pk: option},
        opinion=opinion, **extra,
    )


@pytest.fixture
def ru(city):
    unit = city["round"].round_units.select_related("round").first()
    unit.paper_forms_issued = 500
    unit.save()
    return unit


def test_submit_counts_the_unit_and_keeps_the_ballot_pending_and_sealed(city, ru):
    r = city["round"]
    sub = r.items.filter(kind=ItemKind.SUB).first()
    pending = ballot_submit(
        round_unit=ru,
        category=factories.category(),
        channel=Channel.PAPER,
        answers={factories.headline(r).pk: 1, factories.headline(r, ItemKind.CONDUCT).pk: 2, sub.pk: None},
        opinion="  建议多公开  ",
    )
    assert isinstance(pending, PendingBallot)
    assert "建议多公开".encode() not in bytes(pending.sealed)  # sealed, not readable in a dump
    ru.refresh_from_db()
    assert ru.paper_ballots == 1 and ru.online_ballots == 0  # turnout is live
    assert not Ballot.objects.exists() and not Tally.objects.exists()  # counted by the mixer

    assert ballots_mix(round_unit=ru, minimum=1) == 1
    ballot = Ballot.objects.get()
    assert ballot.opinion == "建议多公开" and ballot.channel == Channel.PAPER
    assert sorted(Answer.objects.filter(ballot=ballot).values_list("option", flat=True)) == [1, 2]
    assert Tally.objects.get(round_unit=ru, item=factories.headline(r), option=1).count == 1
    assert not PendingBallot.objects.exists()
    assert tallies_verify(round_=r) == {}


def test_missing_headline_answer_stores_nothing(city, ru):
    r = city["round"]
    with pytest.raises(ValidationError) as excinfo:
        ballot_submit(
            round_unit=ru, category=factories.category(), channel=Channel.PAPER,
            answers={factories.headline(r).pk: 1},
        )
    assert "请回答" in str(excinfo.value)
    ru.refresh_from_db()
    assert ru.paper_ballots == 0 and not PendingBallot.objects.exists()


def test_option_outside_scale_is_refused(city, ru):
    r = city["round"]
    with pytest.raises(ValidationError):
        ballot_submit(
            round_unit=ru, category=factories.category(), channel=Channel.PAPER,
            answers={factories.headline(r).pk: 9, factories.headline(r, ItemKind.CONDUCT).pk: 1},
        )
    assert not PendingBallot.objects.exists()


def test_paper_ballots_stop_at_forms_issued(city):
    r = city["round"]
    ru = r.round_units.first()
    factories.ballots(ru, [1, 2])  # issues exactly two forms
    with pytest.raises(ValidationError) as excinfo:
        paper(ru)
    assert "收回数不能超过发出数" in str(excinfo.value)
    assert RoundUnit.objects.get(pk=ru.pk).paper_ballots == 2
    assert Ballot.objects.filter(round_unit=ru).count() == 2 and not PendingBallot.objects.exists()


def test_verify_detects_a_tally_that_drifted_and_rebuild_repairs_it(city):
    r = city["round"]
    ru = r.round_units.first()
    factories.ballots(ru, [1, 1, 3])
    Tally.objects.filter(round_unit=ru, option=1).update(count=5)
    assert tallies_verify(round_=r)
    tallies_rebuild(round_=r)
    assert tallies_verify(round_=r) == {}
    assert Tally.objects.get(round_unit=ru, item=factories.headline(r), option=1).count == 2


def test_closed_round_takes_no_more_ballots(city, ru):
    from surveys.models import Round, RoundStatus

    r = city["round"]
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.CLOSED)
    # `ru.round` still says open: the gate reads the round's status itself.
    with pytest.raises(ValidationError) as excinfo:
        paper(ru)
    assert "未在进行中" in str(excinfo.value)
    assert not PendingBallot.objects.exists()
    ru.refresh_from_db()
    assert ru.paper_ballots == 0


def test_a_unit_whose_intake_stopped_takes_no_ballot(city, ru):
    RoundUnit.objects.filter(pk=ru.pk).update(accepting=False)
    with pytest.raises(ValidationError) as excinfo:
        paper(ru)
    assert excinfo.value.code == "round_not_open"
    round_intake_start(round_=city["round"])
    paper(ru)
    assert PendingBallot.objects.count() == 1


def test_the_mixer_shuffles_each_batch(city, ru, monkeypatch):
    monkeypatch.setattr(ballots, "_random", random.Random(7))
    opinions = [f"第{n:02d}张" for n in range(ballots.MIX_BATCH)]
    for text in opinions:
        paper(ru, opinion=text)
    ballots_mix(round_unit=ru)
    stored = list(Ballot.objects.order_by("pk").values_list("opinion", flat=True))
    assert sorted(stored) == opinions and stored != opinions  # ids carry no submission order
    answer_order = list(
        Answer.objects.order_by("pk").values_list("ballot_id", flat=True).distinct()
    )
    assert answer_order == sorted(answer_order)  # answers follow their ballots' shuffled order


def test_tallies_are_added_once_per_cell(city, ru, django_assert_max_num_queries):
    for n in range(30):
        paper(ru, option=1 + n % 3)
    with django_assert_max_num_queries(12):  # not one query per answer (60 here)
        assert ballots_mix(round_unit=ru) == 30
    assert tallies_verify(round_=city["round"]) == {}
    assert Tally.objects.get(round_unit=ru, item=factories.headline(city["round"]), option=1).count == 10


def test_units_below_the_minimum_wait(city, ru):
    for _ in range(ballots.MIX_MIN - 1):
        paper(ru)
    assert ballots_mix(round_=city["round"]) == 0
    paper(ru)
    assert ballots_mix(round_=city["round"]) == ballots.MIX_MIN


def test_a_small_batch_is_mixed_again_with_the_newest_counted_ballots(city, ru):
    for n in range(ballots.MIX_BATCH):
        paper(ru, opinion=f"早{n}")
    ballots_mix(round_unit=ru)
    first_ids = set(Ballot.objects.values_list("pk", flat=True))
    paper(ru, opinion="最后一张")
    assert ballots_mix(round_unit=ru, minimum=1) == 1
    newest = Ballot.objects.order_by("-pk")[: ballots.MIX_BATCH]
    assert "最后一张" in [b.opinion for b in newest]
    # The late ballot's batch is as large as any other: MIX_BATCH - 1 ballots moved into it.
    assert len(first_ids - set(Ballot.objects.values_list("pk", flat=True))) == ballots.MIX_BATCH - 1
    assert Ballot.objects.count() == ballots.MIX_BATCH + 1
    assert tallies_verify(round_=city["round"]) == {}


def test_a_crash_in_the_middle_of_a_mix_leaves_everything_pending(city, ru, monkeypatch):
    for _ in range(5):
        paper(ru)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ballots, "_tallies_add", broken)
    with pytest.raises(RuntimeError):
        ballots_mix(round_unit=ru, minimum=1)
    assert PendingBallot.objects.count() == 5
    assert not Ballot.objects.exists() and not Answer.objects.exists()
    monkeypatch.undo()
    assert ballots_mix(round_unit=ru, minimum=1) == 5
    assert tallies_verify(round_=city["round"]) == {}


def test_online_ballots_spend_codes_and_the_mixer_marks_them_used(city):
    r = city["round"]
    ru = r.round_units.first()
    plain = factories.access_codes(ru, 4)
    for code in plain[:3]:
        ballot_cast_online(code=code, category=factories.category(), answers=factories.online_answers(r))
    batch = CodeBatch.objects.get(round_unit=ru)
    assert batch.codes_used == 3  # the batch counter is live
    statuses = sorted(AccessCode.objects.values_list("status", flat=True))
    assert statuses == [CodeStatus.SPENT] * 3 + [CodeStatus.UNUSED]
    ballots_mix(round_unit=ru, minimum=1)
    statuses = sorted(AccessCode.objects.values_list("status", flat=True))
    assert statuses == [CodeStatus.UNUSED] + [CodeStatus.USED] * 3
    assert intake_counts(round_=r)[ru.pk] == (3, 3, 0, 3)


def test_intake_stop_mixes_everything_and_closes_the_gate(city):
    r = city["round"]
    units = list(r.round_units.all())
    for unit in units[:3]:
        unit.paper_forms_issued = 10
        unit.save()
        for _ in range(3):
            paper(unit)
    assert round_intake_stop(round_=r) == 9
    assert not PendingBallot.objects.exists()
    assert not RoundUnit.objects.filter(round=r, accepting=True).exists()
    with pytest.raises(ValidationError):
        paper(units[0])
    assert all(n == stored for n, stored, waiting, _ in intake_counts(round_=r).values())
    assert tallies_verify(round_=r) == {}


def test_the_mix_command_counts_what_waits(city, ru):
    from django.core.management import call_command

    for _ in range(3):
        paper(ru)
    call_command("mix_ballots", "--all")
    assert Ballot.objects.count() == 3 and not PendingBallot.objects.exists()


def test_an_opinion_postgresql_could_not_store_is_refused_at_once(city, ru):
    # Sealed, it would wait pending; at its mix PostgreSQL would refuse it, and the unit's
    # batch with it, again and again.
    with pytest.raises(ValidationError, match="无法保存"):
        paper(ru, opinion="意见\x00")
    assert not PendingBallot.objects.exists()


def test_a_mix_stores_every_opinion_and_answer_exactly_as_written(city, ru):
    """The mix writes a batch from arrays on PostgreSQL (`_ballots_store`): text that array
    literals must quote (braces, commas, quotes, backslashes, NULL, new lines, long Chinese)
    comes back unchanged, and each answer stays with its own ballot."""
    opinions = ['{"a",b}', "逗号, 引号' 与 \"双引号\"", "back\\slash\\", "NULL", "第一行\n第二行", "长" * 1000, ""]
    for n, text in enumerate(opinions):
        paper(ru, option=1 + n % 4, opinion=text)
    assert ballots_mix(round_unit=ru, minimum=1) == len(opinions)
    stored = {b.opinion: sorted(b.answers.values_list("option", flat=True)) for b in Ballot.objects.filter(round_unit=ru)}
    assert stored == {text: [1 + n % 4] * 2 for n, text in enumerate(opinions)}
    assert tallies_verify(round_=city["round"]) == {}


def test_a_quiet_unit_is_mixed_by_the_first_submission_after_the_timer_is_due(city, monkeypatch, django_capture_on_commit_callbacks):
    """The timer without a scheduler: below a full batch and before MIX_MAX_WAIT has passed a
    submission leaves no commit hook at all (issue 15: 45 µs of every submission); once it has
    passed, the next submission, of any unit, sweeps the units with MIX_MIN pending."""
    import time

    from django.core.cache import cache

    r = city["round"]
    quiet, busy = list(r.round_units.order_by("pk")[:2])
    monkeypatch.setattr(ballots, "_last_sweep", [time.monotonic()])  # swept a moment ago
    cache.delete("surveys:ballots-mix-sweep")

    def cast(ru):
        code, = factories.access_codes(ru, 1)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            ballot_cast_online(code=code, category=factories.category(), answers=factories.online_answers(r))
        return callbacks

    for _ in range(ballots.MIX_MIN):
        assert cast(quiet) == []
    assert PendingBallot.objects.filter(round_unit=quiet).count() == ballots.MIX_MIN

    ballots._last_sweep[0] -= ballots.MIX_MAX_WAIT + 1  # the timer is due
    assert len(cast(busy)) == 1
    assert not PendingBallot.objects.filter(round_unit=quiet).exists()
    assert Ballot.objects.filter(round_unit=quiet).count() == ballots.MIX_MIN
    assert PendingBallot.objects.filter(round_unit=busy).count() == 1  # fewer than MIX_MIN: waits
    assert cast(busy) == []  # and the timer starts again
