"""Code batches: issuing stores only the keyed hash and a sealed copy, voiding, counting."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from surveys import codes
from surveys.fieldwork.services import batch_codes, code_counts, codes_issue, codes_void
from surveys.models import AccessCode, CodeStatus, RoundStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_issue_stores_only_hash_and_sealed_copy(city):
    ru = city["round"].round_units.first()
    actor = factories.staff()
    batch, plain = codes_issue(round_unit=ru, size=25, actor=actor)
    assert len(set(plain)) == 25 and all(codes.is_well_formed(c) for c in plain)
    rows = list(AccessCode.objects.filter(batch=batch))
    assert len(rows) == 25 and {r.status for r in rows} == {CodeStatus.UNUSED}
    stored = " ".join(r.digest + r.sealed for r in rows)
    assert not any(c in stored for c in plain)
    assert {r.digest for r in rows} == {codes.digest(c) for c in plain}
    assert sorted(c for c, _ in batch_codes(batch)) == sorted(plain)
    entry = AuditEntry.objects.get(action="codes.issue")
    assert entry.actor == actor and entry.object_id == str(batch.pk)


@pytest.mark.parametrize("size", [0, 5001])
def test_issue_refuses_bad_sizes(city, size):
    ru = city["round"].round_units.first()
    with pytest.raises(ValidationError):
        codes_issue(round_unit=ru, size=size, actor=factories.staff())
    assert not AccessCode.objects.exists()


def test_issue_refused_for_a_closed_round(city):
    r = factories.round_(city["units"][:1], status=RoundStatus.CLOSED)
    with pytest.raises(ValidationError, match="已结束"):
        codes_issue(round_unit=r.round_units.get(), size=3, actor=factories.staff())


def test_void_marks_unused_codes_void_and_keeps_used(city):
    ru = city["round"].round_units.first()
    batch, plain = codes_issue(round_unit=ru, size=4, actor=factories.staff())
    AccessCode.objects.filter(digest=codes.digest(plain[0])).update(status=CodeStatus.USED)
    assert codes_void(batch=batch, actor=factories.staff(), reason="测评票遗失") == 3
    statuses = sorted(AccessCode.objects.filter(batch=batch).values_list("status", flat=True))
    assert statuses == [CodeStatus.USED] + [CodeStatus.VOID] * 3
    batch.refresh_from_db()
    assert batch.voided_at and batch.void_reason == "测评票遗失"
    assert AuditEntry.objects.filter(action="codes.void", object_id=str(batch.pk)).exists()
    with pytest.raises(ValidationError):
        codes_void(batch=batch, actor=factories.staff())


def test_code_counts_per_unit(city):
    r = city["round"]
    first, second = list(r.round_units.all()[:2])
    batch, plain = codes_issue(round_unit=first, size=5, actor=factories.staff())
    factories.cast(plain[0], r)
    codes_issue(round_unit=first, size=2, actor=factories.staff())
    void_batch, _ = codes_issue(round_unit=second, size=3, actor=factories.staff())
    codes_void(batch=void_batch, actor=factories.staff())
    counts = {ru.pk: (ru.codes_issued, ru.codes_used, ru.codes_void) for ru in code_counts(r.round_units.all())}
    assert counts[first.pk] == (7, 1, 0)
    assert counts[second.pk] == (3, 0, 3)
    batch.refresh_from_db()
    assert (batch.size, batch.codes_used, batch.codes_void, batch.codes_unused) == (5, 1, 0, 4)


def test_code_counts_read_batches_not_codes(city, django_assert_num_queries):
    r = city["round"]
    for ru in r.round_units.all():
        codes_issue(round_unit=ru, size=30, actor=factories.staff())
    with django_assert_num_queries(1):
        rows = list(code_counts(r.round_units.all()))
    assert sum(row.codes_issued for row in rows) == 30 * len(rows)


def test_voiding_after_use_counts_each_code_once(city):
    r = city["round"]
    ru = r.round_units.first()
    batch, plain = codes_issue(round_unit=ru, size=4, actor=factories.staff())
    factories.cast(plain[0], r)
    assert codes_void(batch=batch, actor=factories.staff(), reason="遗失") == 3
    batch.refresh_from_db()
    assert (batch.codes_used, batch.codes_void, batch.codes_unused) == (1, 3, 0)
