"""Replay of attack 4: ballot ids (and so the raw export) followed the order of submission.

Now ids follow the mixer's shuffle inside each batch; the export sorts by content anyway.
The shuffle comes from a seeded generator here, so the permutation is the same on every run.
"""

import pytest

from surveys import ballots
from surveys.ballots import ballots_mix
from surveys.models import Ballot
from surveys.reports.raw_export import BallotRows
from tests import factories

from .conftest import submit

pytestmark = pytest.mark.django_db
K = ballots.MIX_BATCH


def test_ballot_ids_do_not_follow_submission_order(city, seeded):
    r = city["round"]
    ru = r.round_units.select_related("round").first()
    plain = factories.access_codes(ru, 3 * K)
    for start in range(0, 3 * K, K):  # three batches of K, mixed as they fill
        for n in range(start, start + K):
            submit(plain[n], r, f"{n:03d}")
        ballots_mix(round_unit=ru)
    by_id = list(Ballot.objects.filter(round_unit=ru).order_by("pk").values_list("opinion", flat=True))
    submitted = [f"{n:03d}" for n in range(3 * K)]
    assert sorted(by_id) == submitted
    for start in range(0, 3 * K, K):
        batch = by_id[start : start + K]
        # Ids keep the batches' order (that much they share with the transaction ids) but
        # inside a batch they are a shuffle, not the submission order.
        assert sorted(batch) == submitted[start : start + K]
        assert batch != submitted[start : start + K]
        in_place = sum(a == b for a, b in zip(batch, submitted[start : start + K]))
        assert in_place <= K // 4


def test_the_raw_export_is_in_content_order(city):
    r = city["round"]
    ru = r.round_units.select_related("unit").first()
    plain = factories.access_codes(ru, 6)
    for n, code in enumerate(plain):
        submit(code, r, f"意见{5 - n}")  # submitted in descending text order
    ballots_mix(round_unit=ru, minimum=1)
    opinions = [row[-1] for row in BallotRows(r, [ru])]
    assert opinions == sorted(opinions)
