"""Replays of the attacks through PostgreSQL's hidden transaction ids (issue 11, attacks 1 and 3).

Before: a submission updated its code and inserted its ballot in one transaction, so sorting
a unit's used codes and its ballots by `xmin` paired them (100 of 100), and placing a ballot's
`xmin` between timestamped rows gave its time to the second. Now a ballot row carries its mix
batch's transaction id, shared by the whole batch and by the codes that batch consumed, and
after the close every code carries the close's: `xmin` says which batch at most, never which
ballot of it. Each test states that structurally (counts of distinct ids), not statistically.
"""

from collections import Counter, defaultdict

import pytest

from surveys import ballots
from surveys.ballots import ballots_mix, tallies_verify
from surveys.models import AccessCode, Ballot, CodeBatch, CodeStatus, PendingBallot, Tally
from tests import factories

from .conftest import submit, xmins

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
K = ballots.MIX_BATCH


def setup_unit(size):
    city = factories.city()
    r = city["round"]
    ru = r.round_units.select_related("round").first()
    return r, ru, factories.access_codes(ru, size)


def test_sorting_codes_and_ballots_by_xmin_pairs_nothing(seeded):
    """Attack 1 replayed: 2K + 3 respondents one after another, mixed as they come (every K)."""
    r, ru, plain = setup_unit(2 * K + 3)
    truth = {}
    for n, code in enumerate(plain):
        submit(code, r, f"respondent {n}")
        truth[AccessCode.objects.get(digest=_digest(code)).pk] = f"respondent {n}"

    # Two mixes ran after the K-th and 2K-th submissions; three ballots still wait.
    assert PendingBallot.objects.count() == 3
    code_x = xmins(AccessCode, round_unit=ru, status=CodeStatus.USED)
    ballot_x = xmins(Ballot, round_unit=ru)
    assert len(code_x) == len(ballot_x) == 2 * K
    # Each batch: K codes and K ballots under one transaction id, the mixer's.
    by_x = defaultdict(lambda: [0, 0])
    for x in code_x.values():
        by_x[x][0] += 1
    for x in ballot_x.values():
        by_x[x][1] += 1
    assert sorted(by_x.values()) == [[K, K], [K, K]]

    # The attack: pair the i-th code with the i-th ballot, sorted by (xmin, id).
    codes_sorted = sorted(code_x, key=lambda pk: (code_x[pk], pk))
    ballots_sorted = sorted(ballot_x, key=lambda pk: (ballot_x[pk], pk))
    opinions = dict(Ballot.objects.filter(round_unit=ru).values_list("pk", "opinion"))
    hits = sum(truth[c] == opinions[b] for c, b in zip(codes_sorted, ballots_sorted))
    # Before, 2K of 2K; now a random guess inside each batch (about one per batch expected;
    # with the test's fixed shuffle the count is the same on every run).
    assert hits <= 4

    # After the close every used code, batch and tally row carries one id: the close's.
    factories.close(r)
    closed_codes = set(xmins(AccessCode, round_unit=ru, status=CodeStatus.USED).values())
    assert len(closed_codes) == 1
    assert closed_codes == set(xmins(CodeBatch, round_unit=ru).values())
    assert closed_codes == set(xmins(Tally, round_unit=ru).values())
    assert not PendingBallot.objects.exists()
    assert Ballot.objects.filter(round_unit=ru).count() == 2 * K + 3
    assert tallies_verify(round_=r) == {}


def test_no_row_keeps_a_submission_transaction_id(no_auto_mix):
    """Attack 3 replayed: a time needs a row that carries the submission's own transaction id.

    Every code, ballot, answer, tally and batch row carries a mixer's or the close's id
    instead; the submission's ids survive only on the pending rows, deleted by the mix.
    """
    r, ru, plain = setup_unit(K + 5)
    for n, code in enumerate(plain):
        submit(code, r, f"respondent {n}")
    submissions = set(xmins(PendingBallot, round_unit=ru).values())
    assert len(submissions) == K + 5  # one transaction each, until mixed
    assert set(xmins(AccessCode, round_unit=ru, status=CodeStatus.SPENT).values()) == submissions

    ballots_mix(round_unit=ru)
    factories.close(r)
    kept = set()
    for model, filters in (
        (AccessCode, {"round_unit": ru}), (Ballot, {"round_unit": ru}),
        (Tally, {"round_unit": ru}), (CodeBatch, {"round_unit": ru}),
    ):
        kept |= set(xmins(model, **filters).values())
    from surveys.models import Answer

    kept |= set(xmins(Answer, ballot__round_unit=ru).values())
    assert not kept & submissions
    # One mix took all K + 5 waiting ballots: one id for all of them, whatever their order.
    assert len(set(xmins(Ballot, round_unit=ru).values())) == 1
    # Within one id, nothing orders the rows in time.
    assert min(Counter(xmins(Ballot, round_unit=ru).values()).values()) >= K


def test_tally_cells_touched_last_tell_no_single_ballot(no_auto_mix):
    """Before, the cells with the newest xmin were exactly the last respondent's answers.

    Here the last respondent alone answers 3 and is mixed alone (the close's small batch,
    topped up with K - 1 counted ballots): the cells the mix touched are the whole batch's.
    """
    r, ru, plain = setup_unit(K + 1)
    for code in plain[:K]:
        submit(code, r, "")
    ballots_mix(round_unit=ru)
    from surveys.respondent.services import ballot_cast_online

    ballot_cast_online(code=plain[K], category=factories.category(), answers=factories.online_answers(r, 3))
    assert ballots_mix(round_unit=ru, minimum=1) == 1
    tally_x = xmins(Tally, round_unit=ru)
    newest = max(tally_x.values())
    touched = set(Tally.objects.filter(pk__in=[pk for pk, x in tally_x.items() if x == newest])
                  .values_list("option", flat=True))
    assert touched == {1, 3}  # not only the newcomer's 3s
    ballot_x = xmins(Ballot, round_unit=ru)
    assert sum(x == newest for x in ballot_x.values()) == K
    assert tallies_verify(round_=r) == {}


def _digest(code):
    from surveys import codes

    return codes.digest(codes.normalize(code))
