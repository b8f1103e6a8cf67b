"""Exactly once under concurrency and faults, with the mixer in between (needs PostgreSQL).

Every test ends with the same accounting: per unit, ballots counted on the unit = ballots
stored + ballots pending, codes consumed = online ballots counted, and after the close
nothing pending and tallies equal to a recount.
"""

import threading

import pytest
from django.db import OperationalError, connection, connections

from surveys import ballots
from surveys.ballots import ballots_mix, intake_counts, round_intake_stop, tallies_verify
from surveys.models import AccessCode, Ballot, Channel, CodeStatus, PendingBallot, RoundUnit
from surveys.respondent.services import CodeRefused, ballot_cast_online
from surveys.rounds.services import round_verify
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
K = ballots.MIX_BATCH


def cast(code, r):
    return ballot_cast_online(code=code, category=factories.category(), answers=factories.online_answers(r))


def run(threads):
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)


def in_thread(fn):
    def target():
        try:
            fn()
        finally:
            connection.close()

    return threading.Thread(target=target)


def assert_exactly_once(r):
    for unit_id, (counted, stored, waiting, consumed) in intake_counts(round_=r).items():
        online = RoundUnit.objects.get(pk=unit_id).online_ballots
        assert counted == stored + waiting, unit_id
        assert consumed == online, unit_id


def test_many_clients_many_codes_each_counted_once():
    city = factories.city()
    r = city["round"]
    units = list(r.round_units.select_related("round")[:2])
    plain = {ru.pk: factories.access_codes(ru, 60) for ru in units}
    jobs = [code for ru in units for code in plain[ru.pk]]
    lock, outcomes = threading.Lock(), []

    def worker(mine):
        for code in mine:
            cast(code, r)
            with lock:
                outcomes.append(code)

    run([in_thread(lambda mine=jobs[i::8]: worker(mine)) for i in range(8)])
    assert len(outcomes) == 120
    assert_exactly_once(r)  # mixes ran after commits, while others submitted
    assert Ballot.objects.filter(round_unit__in=units).exists()
    factories.close(r)
    assert not PendingBallot.objects.exists()
    assert Ballot.objects.filter(round_unit__in=units, channel=Channel.ONLINE).count() == 120
    assert AccessCode.objects.filter(status=CodeStatus.USED).count() == 120
    assert tallies_verify(round_=r) == {}
    assert round_verify(round_=r).intact


def paused(monkeypatch, name, gate):
    """Make ballots.<name> wait for `gate` the first time it is called, in whichever thread."""
    original = getattr(ballots, name)
    first = threading.Event()

    def wrapper(*args, **kwargs):
        if not first.is_set():
            first.set()
            gate.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(ballots, name, wrapper)
    return first


def pending_unit(n, monkeypatch):
    monkeypatch.setattr(ballots, "_after_commit", lambda round_unit_id: None)
    city = factories.city()
    r = city["round"]
    ru = r.round_units.select_related("round").first()
    for code in factories.access_codes(ru, n):
        cast(code, r)
    return r, ru


def test_two_mixers_never_count_a_ballot_twice(monkeypatch):
    r, ru = pending_unit(50, monkeypatch)
    gate = threading.Event()
    inside = paused(monkeypatch, "_tallies_add", gate)  # the first mixer stops mid-mix
    results = []

    def mixer():
        results.append(ballots_mix(round_unit=ru, minimum=1))
        gate.set()  # the second mixer came back: let the first one finish

    first = in_thread(mixer)
    first.start()
    assert inside.wait(30)
    second = in_thread(mixer)
    run([second])
    first.join(60)
    assert sorted(results) == [0, 50]
    assert Ballot.objects.filter(round_unit=ru).count() == 50 and not PendingBallot.objects.exists()
    assert tallies_verify(round_=r) == {}
    assert_exactly_once(r)


def test_a_close_waits_for_a_running_mixer_then_counts_the_rest(monkeypatch):
    r, ru = pending_unit(30, monkeypatch)
    gate = threading.Event()
    inside = paused(monkeypatch, "_tallies_add", gate)
    results = {}
    mixer = in_thread(lambda: results.setdefault("mixer", ballots_mix(round_unit=ru, minimum=1)))
    mixer.start()
    assert inside.wait(30)
    closer = in_thread(lambda: results.setdefault("close", factories.close(r)))
    closer.start()
    # Wait until the close is blocked on the unit's mixer lock, then let the mixer go on.
    with connections["default"].cursor() as cursor:
        for _ in range(3000):
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the close never waited for the mixer")
    gate.set()
    mixer.join(60)
    closer.join(60)
    assert results["mixer"] == 30
    assert not PendingBallot.objects.exists()
    assert Ballot.objects.filter(round_unit=ru).count() == 30
    assert tallies_verify(round_=r) == {} and round_verify(round_=r).intact


def test_a_mixer_whose_connection_is_killed_leaves_the_ballots_pending(monkeypatch):
    r, ru = pending_unit(12, monkeypatch)
    gate = threading.Event()
    inside = paused(monkeypatch, "_tallies_add", gate)
    pid, errors = [], []

    def mixer():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid.append(cursor.fetchone()[0])
        try:
            ballots_mix(round_unit=ru, minimum=1)
        except OperationalError as error:
            errors.append(error)

    thread = in_thread(mixer)
    thread.start()
    assert inside.wait(30)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid[0]])
    gate.set()
    thread.join(60)
    assert errors  # the mixer died with its connection
    assert PendingBallot.objects.filter(round_unit=ru).count() == 12
    assert not Ballot.objects.exists()
    assert ballots_mix(round_unit=ru, minimum=1) == 12
    assert tallies_verify(round_=r) == {}
    assert_exactly_once(r)


def test_a_submission_whose_connection_is_killed_keeps_nothing_and_the_code(monkeypatch):
    monkeypatch.setattr(ballots, "_after_commit", lambda round_unit_id: None)
    city = factories.city()
    r = city["round"]
    ru = r.round_units.select_related("round").first()
    code = factories.access_codes(ru, 1)[0]
    gate = threading.Event()
    inside = paused(monkeypatch, "_mix_when_committed", gate)  # written, not yet committed
    pid, errors = [], []

    def respondent():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid.append(cursor.fetchone()[0])
        try:
            cast(code, r)
        except OperationalError as error:
            errors.append(error)

    thread = in_thread(respondent)
    thread.start()
    assert inside.wait(30)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid[0]])
    gate.set()
    thread.join(60)
    assert errors
    assert AccessCode.objects.get().status == CodeStatus.UNUSED
    assert RoundUnit.objects.get(pk=ru.pk).online_ballots == 0 and not PendingBallot.objects.exists()
    cast(code, r)  # the respondent tries again: it counts, once
    with pytest.raises(CodeRefused):
        cast(code, r)
    assert_exactly_once(r)


def test_a_close_in_the_middle_of_a_burst_loses_and_adds_nothing():
    city = factories.city()
    r = city["round"]
    ru = r.round_units.select_related("round").first()
    plain = factories.access_codes(ru, 160)
    lock, stored, refused = threading.Lock(), [], []
    started = threading.Event()

    def worker(mine):
        for n, code in enumerate(mine):
            try:
                cast(code, r)
            except CodeRefused as refusal:
                assert refusal.reason == "closed"
                with lock:
                    refused.append(code)
            else:
                with lock:
                    stored.append(code)
            if n == 5:
                started.set()

    workers = [in_thread(lambda mine=plain[i::8]: worker(mine)) for i in range(8)]
    for t in workers:
        t.start()
    assert started.wait(30)
    factories.close(r)
    for t in workers:
        t.join(60)
    assert len(stored) + len(refused) == 160 and stored and refused
    assert not PendingBallot.objects.exists()
    assert Ballot.objects.filter(round_unit=ru).count() == len(stored)
    assert AccessCode.objects.filter(status=CodeStatus.USED).count() == len(stored)
    assert AccessCode.objects.filter(status=CodeStatus.UNUSED).count() == len(refused)
    assert RoundUnit.objects.get(pk=ru.pk).online_ballots == len(stored)
    assert tallies_verify(round_=r) == {}
    assert round_verify(round_=r).intact  # the seal covers every ballot counted


def test_intake_stop_is_undone_when_the_close_fails(monkeypatch):
    monkeypatch.setattr(ballots, "_after_commit", lambda round_unit_id: None)
    city = factories.city()
    r = city["round"]
    ru = r.round_units.select_related("round").first()
    for code in factories.access_codes(ru, 3):
        cast(code, r)
    from django.db import transaction

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            round_intake_stop(round_=r)
            raise RuntimeError("the seal failed")
    assert PendingBallot.objects.count() == 3
    assert RoundUnit.objects.get(pk=ru.pk).accepting


def test_in_the_background_the_mix_runs_after_the_response(monkeypatch):
    """Production mixes on a thread of the worker: the respondent does not wait for it."""
    monkeypatch.setattr(ballots, "MIX_IN_BACKGROUND", True)
    city = factories.city()
    r = city["round"]
    ru = r.round_units.select_related("round").first()
    try:
        for code in factories.access_codes(ru, K):
            cast(code, r)
        ballots.mix_background_drain()
        assert Ballot.objects.filter(round_unit=ru).count() == K
        assert not PendingBallot.objects.exists()
        assert_exactly_once(r)
    finally:
        # The mixing thread's connection must not outlive the test database.
        ballots._background["executor"].submit(lambda: connection.close()).result(60)
