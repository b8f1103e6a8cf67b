"""Access codes: issuing and voiding batches, and casting an online ballot with a code.

The plain code leaves the server only on printed slips and the batch's code list; the
database keeps its keyed hash (to check it) and a sealed copy (to print it again).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from audit.services import audit_record
from surveys import codes
from surveys.ballots import ballot_submit
from surveys.models import AccessCode, Channel, CodeBatch, CodeStatus, RoundStatus, RoundUnit

MAX_BATCH_SIZE = 5000

REFUSALS = {
    "malformed": "测评码有误：请核对是否漏输或输错了字符。测评码共 12 位，形如 ABCD-EFGH-JKMN。",
    "unknown": "没有找到这个测评码，请核对后重新输入。",
    "used": "该测评码已使用。如果您刚才已提交，您的测评票已被记录。",
    "void": "该测评码已作废，不能使用。如有疑问，请联系发放测评码的工作人员。",
    "not_open": "本轮测评尚未开始，请在测评开始后再填写。",
    "closed": "本轮测评已结束，不再接收测评票。",
}


class CodeRefused(Exception):
    """A code that cannot cast a ballot; `reason` is a key of REFUSALS."""

    def __init__(self, reason):
        super().__init__(REFUSALS[reason])
        self.reason = reason
        self.message = REFUSALS[reason]


def _round_unit_state(round_unit, now=None):
    """Refuse a code whose round is not taking ballots right now."""
    round_ = round_unit.round
    now = now or timezone.now()
    if round_.status == RoundStatus.DRAFT or (
        round_.status == RoundStatus.OPEN and now < round_.opens_at
    ):
        raise CodeRefused("not_open")
    if not round_.is_accepting(now):
        raise CodeRefused("closed")


def _find(raw, *, lock):
    code = codes.normalize(raw or "")
    if not codes.is_well_formed(code):
        raise CodeRefused("malformed")
    rows = AccessCode.objects.select_for_update() if lock else AccessCode.objects
    access = rows.filter(digest=codes.digest(code)).first()
    if access is None:
        raise CodeRefused("unknown")
    if access.status == CodeStatus.USED:
        raise CodeRefused("used")
    if access.status == CodeStatus.VOID:
        raise CodeRefused("void")
    round_unit = RoundUnit.objects.select_related("round", "unit").get(pk=access.round_unit_id)
    _round_unit_state(round_unit)
    return access, round_unit


def code_check(raw):
    """The RoundUnit an unused code may vote for now; raises CodeRefused otherwise. Reads only."""
    return _find(raw, lock=False)[1]


@transaction.atomic
def ballot_cast_online(*, code, category, answers, opinion=""):
    """Consume the code and store its ballot in one transaction: exactly once.

    The code row is locked first, so of two racing submissions the second waits, then
    sees the code used and is refused. The ballot keeps no trace of the code.
    """
    access, round_unit = _find(code, lock=True)
    AccessCode.objects.filter(pk=access.pk).update(status=CodeStatus.USED)
    return ballot_submit(
        round_unit=round_unit,
        category=category,
        channel=Channel.ONLINE,
        answers=answers,
        opinion=opinion,
    )


@transaction.atomic
def codes_issue(*, round_unit, size, actor):
    """Issue a batch of `size` codes for one unit; returns (batch, plain codes), shown once."""
    round_ = round_unit.round
    if round_.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
        raise ValidationError("本轮测评已结束，不能再发放测评码。", code="round_finished")
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValidationError(f"每批测评码数量应在 1 至 {MAX_BATCH_SIZE} 之间。", code="bad_size")
    batch = CodeBatch(round_unit=round_unit, size=size, created_by=actor)
    batch.full_clean()
    batch.save()
    plain = set()
    while len(plain) < size:  # a duplicate among 2**54 codes is improbable, not impossible
        plain.add(codes.generate())
    plain = sorted(plain)
    AccessCode.objects.bulk_create(
        [
            AccessCode(
                batch=batch, round_unit=round_unit, digest=codes.digest(c), sealed=codes.seal(c)
            )
            for c in plain
        ],
        batch_size=1000,
    )
    audit_record(actor=actor, action="codes.issue", obj=batch, changes={"size": size})
    return batch, plain


@transaction.atomic
def codes_void(*, batch, actor, reason=""):
    """Void a batch's unused codes (slips lost, misprinted); used codes stay used."""
    batch = CodeBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.voided_at:
        raise ValidationError("该批测评码已作废。", code="already_void")
    voided = AccessCode.objects.filter(batch=batch, status=CodeStatus.UNUSED).update(
        status=CodeStatus.VOID
    )
    batch.voided_at = timezone.now()
    batch.void_reason = (reason or "").strip()[:200]
    batch.save(update_fields=["voided_at", "void_reason"])
    audit_record(
        actor=actor, action="codes.void", obj=batch,
        changes={"voided": voided, "reason": batch.void_reason},
    )
    return voided


def batch_codes(batch):
    """[(plain code or None, status)] of a batch, unsealed for printing; None if unreadable."""
    rows = AccessCode.objects.filter(batch=batch).order_by("pk").values_list("sealed", "status")
    return [(codes.unseal(sealed) if sealed else None, status) for sealed, status in rows]


@transaction.atomic
def codes_disclose(*, batch, actor, form):
    """Record that a batch's codes were shown in full (slips printed or list downloaded)."""
    audit_record(actor=actor, action=f"codes.{form}", obj=batch, changes={"size": batch.size})


def code_counts(round_units):
    """Annotate issued/used/void code counts per RoundUnit in one query."""
    return round_units.annotate(
        codes_issued=Count("access_codes"),
        codes_used=Count("access_codes", filter=Q(access_codes__status=CodeStatus.USED)),
        codes_void=Count("access_codes", filter=Q(access_codes__status=CodeStatus.VOID)),
    )
