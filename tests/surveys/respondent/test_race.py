"""Many submissions racing with one code store exactly one ballot (needs PostgreSQL)."""

import threading

import pytest
from django.db import connection

from surveys.ballots import ballots_mix
from surveys.models import AccessCode, Ballot, CodeStatus, PendingBallot
from surveys.respondent.services import CodeRefused, ballot_cast_online
from tests import factories

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_code_many_threads_one_ballot():
    city = factories.city()
    r = city["round"]
    ru = r.round_units.first()
    code = factories.access_codes(ru, 1)[0]
    answers = factories.online_answers(r)
    category = factories.category()
    barrier = threading.Barrier(THREADS)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            ballot_cast_online(code=code, category=category, answers=answers)
            outcomes.append("stored")
        except CodeRefused as refusal:
            outcomes.append(refusal.reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["stored"] + ["used"] * (THREADS - 1)
    assert PendingBallot.objects.filter(round_unit=ru).count() == 1
    ballots_mix(round_unit=ru, minimum=1)
    assert Ballot.objects.filter(round_unit=ru).count() == 1
    ru.refresh_from_db()
    assert ru.online_ballots == 1
    assert AccessCode.objects.get().status == CodeStatus.USED
