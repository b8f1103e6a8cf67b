"""Casting an online ballot with a one-time code: check the code, then consume it and store its
ballot in one short transaction.

Nothing here writes the audit trail or keeps anything of the respondent. The ballot waits in
PendingBallot until the mixer counts it with others (surveys/ballots.py), so it shares neither
a transaction nor an order with the code that cast it.
"""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from surveys import codes
from surveys.ballots import ballot_clean, ballot_store
from surveys.models import CONSUMED, AccessCode, Channel, CodeStatus, RoundStatus

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


def _digest(raw):
    code = codes.normalize(raw or "")
    if not codes.is_well_formed(code):
        raise CodeRefused("malformed")
    return codes.digest(code)


def _refuse_status(status):
    if status is None:
        raise CodeRefused("unknown")
    if status in CONSUMED:
        raise CodeRefused("used")
    if status == CodeStatus.VOID:
        raise CodeRefused("void")


def code_check(raw):
    """The RoundUnit an unused code may vote for now; raises CodeRefused otherwise.

    Reads only: one query for the code, its unit, round and unit name.
    """
    access = (
        AccessCode.objects.select_related("round_unit__round", "round_unit__unit")
        .filter(digest=_digest(raw))
        .first()
    )
    _refuse_status(access.status if access else None)
    _round_unit_state(access.round_unit)
    return access.round_unit


def _consume(digest):
    """Mark the code spent if it is unused; returns (batch id, round unit id).

    One UPDATE that checks and locks: of two racing submissions with one code, the second
    waits for the first, re-checks `status = 'unused'` on the row it left, and matches nothing.
    """
    table = connection.ops.quote_name(AccessCode._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s WHERE digest = %s AND status = %s"
            " RETURNING batch_id, round_unit_id",
            [CodeStatus.SPENT, digest, CodeStatus.UNUSED],
        )
        row = cursor.fetchone()
    if row is None:
        _refuse_status(AccessCode.objects.filter(digest=digest).values_list("status", flat=True).first())
        raise CodeRefused("used")  # unused again only if its transaction rolled back: say used
    return row


def ballot_cast_online(*, code, category, answers, opinion="", round_unit=None):
    """Consume the code and store its ballot, pending the mixer, in one transaction: exactly once.

    `round_unit`: what `code_check` returned for this code (read again when not given). The
    answers are checked before the transaction, so it holds its locks for four statements.
    """
    digest = _digest(code)
    if round_unit is None:
        round_unit = code_check(code)
    content = ballot_clean(
        round_=round_unit.round, category=category, channel=Channel.ONLINE,
        answers=answers, opinion=opinion,
    )
    with transaction.atomic():
        batch_id, round_unit_id = _consume(digest)
        try:
            return ballot_store(round_unit_id=round_unit_id, content=content, code_batch_id=batch_id)
        except ValidationError as error:
            if getattr(error, "code", None) == "round_not_open":
                raise CodeRefused("closed") from None  # closed a moment ago: nothing is kept
            raise
