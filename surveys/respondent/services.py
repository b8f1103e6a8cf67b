"""Casting an online ballot with a one-time code: check the code, then consume it and store
its ballot in one transaction.

Nothing here writes the audit trail or keeps anything of the respondent; the ballot keeps
no trace of the code.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys import codes
from surveys.ballots import ballot_submit
from surveys.models import AccessCode, Channel, CodeStatus, RoundStatus, RoundUnit

REFUSALS = {
    "malformed": _("测评码有误：请核对是否漏输或输错了字符。测评码共 12 位，形如 ABCD-EFGH-JKMN。"),
    "unknown": _("没有找到这个测评码，请核对后重新输入。"),
    "used": _("该测评码已使用。如果您刚才已提交，您的测评票已被记录。"),
    "void": _("该测评码已作废，不能使用。如有疑问，请联系发放测评码的工作人员。"),
    "not_open": _("本轮测评尚未开始，请在测评开始后再填写。"),
    "closed": _("本轮测评已结束，不再接收测评票。"),
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
