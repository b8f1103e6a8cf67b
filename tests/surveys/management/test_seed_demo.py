from collections import Counter

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from surveys import scoring
from surveys.ballots import tallies_verify
from surveys.models import AccessCode, Ballot, Round, RoundStatus, Tally
from surveys.rounds.services import round_verify
from surveys.selectors import round_results
from units.models import Unit, UnitKind

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        Unit.objects.count(),
        Round.objects.count(),
        Ballot.objects.count(),
        AccessCode.objects.count(),
        sum(Tally.objects.values_list("count", flat=True)),
    )


def test_seed_demo_builds_a_believable_city_once(capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    out = capsys.readouterr().out
    assert "staff" in out and "leader" in out

    assert Unit.objects.filter(kind=UnitKind.DISTRICT).count() == 38
    assert Unit.objects.filter(kind=UnitKind.DEPARTMENT).count() == 60
    rounds = list(Round.objects.order_by("year"))
    assert [r.year for r in rounds] == [2023, 2024, 2025, 2026]
    assert [r.status for r in rounds] == [RoundStatus.PUBLISHED] * 3 + [RoundStatus.OPEN]

    positives = []
    for r in rounds[:3]:
        assert tallies_verify(round_=r) == {}
        # Sealed through the same services as a real round: the trail holds the close and the
        # seal, and verify_round finds every demo round intact.
        assert {"round.close", "round.seal", "round.publish"} <= set(
            AuditEntry.objects.filter(object_id=str(r.pk), object_type="surveys.Round").values_list("action", flat=True)
        )
        assert round_verify(round_=r).intact, round_verify(round_=r).findings
        results = round_results(r)
        finals = Counter(u.final for u in results.units)
        assert finals[scoring.FinalClass.SATISFIED] and finals[scoring.FinalClass.BASIC]
        assert finals[scoring.FinalClass.UNSATISFIED] or finals[scoring.FinalClass.BELOW]
        positives.append(sum(u.mean_positive for u in results.units) / len(results.units))
    assert positives == sorted(positives), "the city improves year on year"
