"""Close and verify hold one unit's ballots (and a fetch buffer) at a time: their peak memory
does not grow with the round. Structural, not timed: the same ballots per unit, four times
the units."""

import tracemalloc
from datetime import date

import pytest

from surveys.ballots import tallies_rebuild
from surveys.models import Answer, Ballot, Channel, ItemKind, RoundStatus
from surveys.rounds import sealing, services
from tests import factories

pytestmark = pytest.mark.django_db

PER_UNIT = 1000


def load(n_units):
    """An open round of n_units with PER_UNIT ballots each (both headline items answered)."""
    units = [factories.unit(group_=factories.group()) for _ in range(n_units)]
    r = factories.round_(units, planned=PER_UNIT)
    items = list(r.items.filter(kind__in=[ItemKind.SELECTION, ItemKind.CONDUCT]))
    category = factories.category()
    for ru in r.round_units.all():
        ballots = Ballot.objects.bulk_create(
            Ballot(round_unit=ru, category=category, channel=Channel.ONLINE, cast_on=date(2026, 5, 1),
                   opinion="意见建议" * (i % 7))
            for i in range(PER_UNIT)
        )
        Answer.objects.bulk_create(
            Answer(ballot=b, item=item, option=1 + (b.pk + item.pk) % 4) for b in ballots for item in items
        )
    tallies_rebuild(round_=r)
    return r


def peak(work):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_close_and_verify_memory_does_not_grow_with_the_number_of_ballots(monkeypatch):
    # Rows are fetched CHUNK at a time: below the test's sizes, so the fetch buffers are full
    # at both sizes and what is measured is what grows with the round.
    monkeypatch.setattr(sealing, "CHUNK", 500)
    staff = factories.staff()
    peaks = {}
    for n_units in (5, 20):  # 5,000 and 20,000 ballots
        r = load(n_units)
        close = peak(lambda: services.round_close(round_=r, actor=staff))
        r.refresh_from_db()
        assert r.status == RoundStatus.CLOSED and r.seal_digest
        result = []
        verify = peak(lambda: result.append(services.round_verify(round_=r)))
        assert result[0].intact
        peaks[n_units] = (close, verify)
    small, large = peaks[5], peaks[20]
    # Holding every ballot would take four times the memory; one unit at a time stays flat
    # (what grows with units, a few hundred bytes of digests each, is far below the bound).
    assert large[0] < 2 * small[0], peaks
    assert large[1] < 2 * small[1], peaks
