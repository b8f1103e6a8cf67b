"""Casting an online ballot with a one-time code: check the code, then consume it and store its
ballot in one short transaction.

Nothing here writes the audit trail or keeps anything of the respondent. The ballot waits in
PendingBallot until the mixer counts it with others (surveys/ballots.py), so it shares neither
a transaction nor an order with the code that cast it.
"""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys import codes
from surveys.ballots import CodeNotUsable, ballot_clean, ballot_store_online, fetch_one
from surveys.models import CONSUMED, AccessCode, Channel, CodeStatus, Round, RoundStatus, RoundUnit
from units.models import Unit

REFUSALS = {
    "malformed": _("测评码有误：请核对是否漏输或输错了字符。测评码共 12 位，形如 ABCD-EFGH-JKMN。"),
    "unknown": _("没有找到这个测评码，请核对后重新输入。"),
    "used": _("该测评码已使用。如果您刚才已提交，您的测评票已被记录。"),
    "void": _("该测评码已作废，不能使用。如有疑问，请联系发放测评码的工作人员。"),
    "not_open": _("本轮测评尚未开始，请在测评开始后再填写。"),
    "closed": _("本轮测评已结束，不再接收测评票。"),
    "stale": _("页面已过期，请重新输入测评码后填写。"),
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


# What the questionnaire needs of a round, in the model's field order (Model.from_db wants it).
_ROUND_FIELDS = [
    f.attname for f in Round._meta.concrete_fields
    if f.attname in {"id", "name", "status", "opens_at", "closes_at", "opened_at", "scale"}
]


def _code_row(digest):
    """(status, RoundUnit with its round and unit) of a code, or None: one prepared query.

    The instances hold the fields the questionnaire needs; any other field is deferred and
    read on first use. Elsewhere than PostgreSQL (no prepared statements to gain), the ORM.
    """
    if connection.vendor != "postgresql":
        access = (
            AccessCode.objects.select_related("round_unit__round", "round_unit__unit")
            .filter(digest=digest).first()
        )
        return (access.status, access.round_unit) if access else None
    quote = connection.ops.quote_name
    columns = ", ".join(f"r.{quote(name)}" for name in _ROUND_FIELDS)
    row = fetch_one(
        f"SELECT c.status, ru.id, u.id, u.name, {columns}"
        f" FROM {quote(AccessCode._meta.db_table)} c"
        f" JOIN {quote(RoundUnit._meta.db_table)} ru ON ru.id = c.round_unit_id"
        f" JOIN {quote(Round._meta.db_table)} r ON r.id = ru.round_id"
        f" JOIN {quote(Unit._meta.db_table)} u ON u.id = ru.unit_id"
        " WHERE c.digest = %(digest)s",
        {"digest": digest},
    )
    if row is None:
        return None
    status, ru_id, unit_id, unit_name, *round_values = row
    alias = connection.alias
    round_ = Round.from_db(alias, _ROUND_FIELDS, round_values)
    unit = Unit.from_db(alias, ["id", "name"], [unit_id, unit_name])
    round_unit = RoundUnit.from_db(alias, ["id", "round_id", "unit_id"], [ru_id, round_.pk, unit_id])
    round_unit.round, round_unit.unit = round_, unit
    return status, round_unit


# Round units this process has seen taking ballots, by id: a questionnaire's POST names its
# unit, and the write itself re-checks everything that can change (the code, the round's
# status and time window, the close's fence), so the POST needs no read first. What is kept:
# which round and questionnaire (fixed once open) and names for the page.
_OPEN_UNITS = {}
_OPEN_UNITS_KEPT = 4096


def code_check(raw):
    """The RoundUnit an unused code may vote for now; raises CodeRefused otherwise.

    Reads only: one query for the code, its unit, round and unit name.
    """
    found = _code_row(_digest(raw))
    _refuse_status(found[0] if found else None)
    _round_unit_state(found[1])
    if len(_OPEN_UNITS) >= _OPEN_UNITS_KEPT:
        _OPEN_UNITS.clear()
    _OPEN_UNITS[found[1].pk] = found[1]
    return found[1]


def unit_named(value):
    """The round unit a questionnaire page named, as this process last saw it open, or None."""
    try:
        return _OPEN_UNITS.get(int(value))
    except (TypeError, ValueError):
        return None


def ballot_cast_online(*, code, category, answers, opinion="", round_unit=None):
    """Consume the code and store its ballot, pending the mixer, in one transaction: exactly once.

    `round_unit`: what `code_check` returned for this code (read again when not given). The
    answers are checked before the transaction, which then holds its locks for one statement
    (on PostgreSQL). Of two racing submissions with one code, the second waits for the
    first's row lock, re-checks `status = 'unused'` on the row it left, and is refused.
    """
    digest = _digest(code)
    if round_unit is None:
        round_unit = code_check(code)
    content = ballot_clean(
        round_=round_unit.round, category=category, channel=Channel.ONLINE,
        answers=answers, opinion=opinion,
    )
    try:
        with transaction.atomic():
            return ballot_store_online(digest=digest, round_unit_id=round_unit.pk, content=content)
    except CodeNotUsable as refused:
        _refuse_status(refused.status)
        # Unused, yet not consumed: the page named another unit than the code's (or the
        # code's own transaction rolled back a moment ago).
        raise CodeRefused("stale") from None
    except ValidationError as error:
        if getattr(error, "code", None) == "round_not_open":
            raise CodeRefused("closed") from None  # closed a moment ago: nothing is kept
        raise
