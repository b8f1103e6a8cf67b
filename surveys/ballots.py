"""Storing ballots, counting them exactly, and never linking one to the code that cast it.

A ballot is stored in two steps (docs/design.md, docs/anonymity.md):

1. `ballot_submit` (every ballot, online or paper) checks the answers in Python, then in one
   short transaction passes its unit's gate — one `UPDATE roundunit SET <channel>_ballots + 1
   WHERE id = … AND accepting AND <round open>` (for paper also below the forms handed out) —
   and stores the ballot sealed in `PendingBallot`. An online submission consumes its code
   first, in the same transaction (surveys/respondent/services.py). The round row is not
   locked and no tally is touched: submissions of one unit serialize on its RoundUnit row for
   a few statements, other units never wait.
2. `ballots_mix` moves a unit's pending ballots into Ballot/Answer in an order drawn from the
   operating system's random source, adds their tallies as one aggregated upsert, marks the
   codes they consumed used (so used codes carry the mixer's transaction id, not their
   submission's), and deletes the pending rows — one transaction, so a crash leaves the
   pending rows as they were and nothing is counted twice. A mix runs when a unit has
   MIX_BATCH pending (right after the submission that made it so commits), for units with at
   least MIX_MIN pending every MIX_MAX_WAIT seconds (`manage.py mix_ballots`, or the next
   submission after that time), and for everything when a round closes (`round_intake_stop`).

The close's fence: `round_intake_stop` sets `accepting` false on every unit of the round in
the close's transaction. A submission whose gate UPDATE waits behind that update re-checks
`accepting` on the new row version (PostgreSQL READ COMMITTED) and is refused; one that passed
the gate first has committed before the close's update could lock the row, so the final mix
sees its pending row. No ballot slips in after a close, none is left pending.
"""

import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    AccessCode,
    Answer,
    Ballot,
    Channel,
    CodeBatch,
    CodeStatus,
    Item,
    ItemKind,
    PendingBallot,
    Round,
    RoundCategory,
    RoundStatus,
    RoundUnit,
    Tally,
)

OPINION_MAX_LENGTH = 1000

# A mix batch is the set among which a ballot cannot be told from the others (its order,
# transaction id and code are shared by the whole batch). 20: a unit surveys 30 to a few
# hundred people (min_valid_answers defaults to 30), so most units get several batches and
# even a small one gets one full batch; a bigger batch keeps more ballots pending at any
# moment (see docs/anonymity.md for the trade-off).
MIX_BATCH = getattr(settings, "SURVEY_MIX_BATCH", 20)
# A quiet unit is mixed on the timer once it has MIX_MIN pending, so that ballots do not wait
# for days; a batch smaller than MIX_BATCH is topped up with the unit's newest counted
# ballots (see _take_back). Below MIX_MIN they wait for more, or for the close.
MIX_MIN = getattr(settings, "SURVEY_MIX_MIN", 5)
MIX_MAX_WAIT = getattr(settings, "SURVEY_MIX_MAX_WAIT", 15 * 60)
MIX_IN_BACKGROUND = getattr(settings, "SURVEY_MIX_IN_BACKGROUND", True)

logger = logging.getLogger(__name__)
# The shuffle's source: the operating system's, never a seeded generator (tests may swap it).
_random = secrets.SystemRandom()
_MIX_LOCK_SPACE = 0x6D6978  # "mix": the first key of the mixers' advisory locks


# --- the questionnaire of an open round, kept per process ---------------------------------


@dataclass(frozen=True)
class Questionnaire:
    """A round's rated items, its opinion item and its respondent categories."""

    items: tuple  # rated Items in questionnaire order
    opinion: object  # the opinion Item or None
    categories: dict  # category id -> RespondentCategory, in the round's order


_QUESTIONNAIRES = {}
_QUESTIONNAIRES_KEPT = 64


def _load_questionnaire(round_):
    items = list(Item.objects.filter(round_id=round_.pk).order_by("order", "pk"))
    categories = {
        rc.category_id: rc.category
        for rc in RoundCategory.objects.filter(round_id=round_.pk)
        .select_related("category")
        .order_by("category__order", "category__name")
    }
    return Questionnaire(
        items=tuple(i for i in items if i.kind != ItemKind.OPINION),
        opinion=next((i for i in items if i.kind == ItemKind.OPINION), None),
        categories=categories,
    )


def questionnaire_of(round_):
    """The round's questionnaire; once the round has opened it is read once per process.

    Not the per-process cache the style guide warns about: items and categories freeze when
    a round opens (surveys/rounds/services.py refuses every change), so the key (round id,
    opened_at) names content that no worker can change.
    """
    if not round_.is_frozen or round_.opened_at is None:
        return _load_questionnaire(round_)
    key = (round_.pk, round_.opened_at)
    found = _QUESTIONNAIRES.get(key)
    if found is None:
        found = _load_questionnaire(round_)
        if len(_QUESTIONNAIRES) >= _QUESTIONNAIRES_KEPT:
            _QUESTIONNAIRES.clear()
        _QUESTIONNAIRES[key] = found
    return found


# --- checking and sealing one ballot ------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """What a ballot holds, and nothing else."""

    category: int
    channel: str
    cast_on: date
    answers: tuple  # ((item_id, option), ...) sorted by item id; blanks left out
    opinion: str


def _clean_answers(questionnaire, scale, answers, opinion):
    items = {item.pk: item for item in questionnaire.items}
    errors = {}
    cleaned = {}
    for item_id, option in answers.items():
        try:
            item = items.get(int(item_id))
        except (TypeError, ValueError):
            item = None
        if item is None:
            errors[str(item_id)] = _("题目不属于本轮问卷。")
            continue
        if option in (None, ""):
            continue  # abstention
        try:
            value = int(option)
            scale.option(value)
        except (KeyError, TypeError, ValueError):
            errors[str(item_id)] = _("“%(text)s”的选项无效。") % {"text": item.text}
            continue
        cleaned[item.pk] = value
    for item in items.values():
        if item.required and item.pk not in cleaned:
            errors.setdefault(str(item.pk), _("请回答“%(text)s”。") % {"text": item.text})
    if opinion and len(opinion) > OPINION_MAX_LENGTH:
        errors["opinion"] = _("意见建议不能超过 %(limit)s 字。") % {"limit": OPINION_MAX_LENGTH}
    elif opinion and "\x00" in opinion:
        # PostgreSQL cannot store it: a pending ballot holding one could never be counted.
        errors["opinion"] = _("意见建议含有无法保存的字符。")
    if errors:
        raise ValidationError(errors, code="invalid_answers")
    return cleaned


def ballot_clean(*, round_, category, channel, answers, opinion="", cast_on=None):
    """Check one ballot against its round's questionnaire (no query once the round is open).

    Returns its Content; raises ValidationError with a Chinese message.
    """
    if round_.status != RoundStatus.OPEN:
        raise ValidationError(_("本轮测评未在进行中，不能再计入测评票。"), code="round_not_open")
    if channel not in Channel.values:
        raise ValidationError(_("未知的投票渠道。"), code="bad_channel")
    questionnaire = questionnaire_of(round_)
    if category is None or category.pk not in questionnaire.categories:
        raise ValidationError(_("参评人员类别不属于本轮测评。"), code="bad_category")
    cleaned = _clean_answers(questionnaire, round_.scale_def, answers, opinion)
    return Content(
        category=category.pk,
        channel=channel,
        cast_on=cast_on or timezone.localdate(),
        answers=tuple(sorted(cleaned.items())),
        opinion=(opinion or "").strip(),
    )


def _pending_cipher():
    secret = settings.SURVEY_CODE_KEY
    if not secret:
        raise ImproperlyConfigured("SURVEY_CODE_KEY is not set")
    return AESGCM(hashlib.sha256(f"pending:{secret}".encode()).digest())


def _seal(round_unit_id, content):
    # AES-GCM with a random nonce: unlike a Fernet token, the ciphertext holds no timestamp.
    plain = json.dumps(
        [content.category, content.channel, content.cast_on.isoformat(),
         [list(pair) for pair in content.answers], content.opinion],
        ensure_ascii=False, separators=(",", ":"),
    ).encode()
    nonce = os.urandom(12)
    return nonce + _pending_cipher().encrypt(nonce, plain, str(round_unit_id).encode())


def _unseal(round_unit_id, sealed):
    sealed = bytes(sealed)
    try:
        plain = _pending_cipher().decrypt(sealed[:12], sealed[12:], str(round_unit_id).encode())
    except InvalidTag:
        raise ImproperlyConfigured(
            _("待计入测评票无法解密：SURVEY_CODE_KEY 在测评进行中被更换了？请恢复原来的密钥。")
        ) from None
    category, channel, day, answers, opinion = json.loads(plain)
    return Content(
        category=category, channel=channel, cast_on=date.fromisoformat(day),
        answers=tuple(tuple(pair) for pair in answers), opinion=opinion,
    )


# --- submitting: the gate and the pending row ---------------------------------------------


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def fetch_one(sql, params):
    """Run one statement of the submission path and return its first row.

    On PostgreSQL as a prepared statement (server-side binding, parsed and planned once per
    connection): a respondent's request runs two of them, and planning them again on every
    request cost more than executing them. Errors come out as django.db errors.
    """
    connection.ensure_connection()
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    import psycopg

    with connection.wrap_database_errors:
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchone()


def _pass_gate(round_unit_id, channel):
    """Count the ballot on its unit if the unit takes it; returns the unit's pending count.

    One statement: the row lock it takes serializes the unit's submissions, the WHERE is
    re-checked on the newest row version when it had to wait (so a close that set
    `accepting` false wins), and the paper capacity (收回 ≤ 发出) is checked on that version.
    """
    ru, round_table, pending = _table(RoundUnit), _table(Round), _table(PendingBallot)
    online = channel == Channel.ONLINE
    counter = "online_ballots" if online else "paper_ballots"
    # Paper is keyed after the fact, so only online ballots keep to the round's time window.
    capacity = "" if online else " AND paper_ballots < paper_forms_issued"
    window = " AND r.opens_at <= %s AND %s < r.closes_at" if online else ""
    sql = (
        f"UPDATE {ru} SET {counter} = {counter} + 1 WHERE id = %s AND accepting{capacity}"
        f" AND EXISTS (SELECT 1 FROM {round_table} r WHERE r.id = {ru}.round_id AND r.status = %s{window})"
        f" RETURNING (SELECT COUNT(*) FROM {pending} p WHERE p.round_unit_id = %s)"
    )
    now = timezone.now()
    params = [round_unit_id, RoundStatus.OPEN, *([now, now] if online else []), round_unit_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        return row[0] + 1
    unit = RoundUnit.objects.select_related("round", "unit").get(pk=round_unit_id)
    if online or unit.round.status != RoundStatus.OPEN or not unit.accepting:
        raise ValidationError(_("本轮测评未在进行中，不能再计入测评票。"), code="round_not_open")
    raise ValidationError(
        _("%(unit)s的纸质票已录入 %(paper_ballots)s 张，达到发出票数 %(paper_forms_issued)s，不能再录入（收回数不能超过发出数）。") % {"unit": unit.unit, "paper_ballots": unit.paper_ballots, "paper_forms_issued": unit.paper_forms_issued},
        code="paper_over_issued",
    )


def ballot_store(*, round_unit_id, content, code_batch_id=None):
    """Count a checked ballot on its unit and keep it pending; call inside a transaction.

    `code_batch_id`: the batch of the code an online ballot consumed, whose used counter
    is kept here (after the gate, so locks are always taken code → unit → batch).
    """
    due = _pass_gate(round_unit_id, content.channel)
    if code_batch_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_table(CodeBatch)} SET codes_used = codes_used + 1 WHERE id = %s",
                [code_batch_id],
            )
    pending = PendingBallot.objects.create(
        round_unit_id=round_unit_id, sealed=_seal(round_unit_id, content)
    )
    _mix_when_committed(round_unit_id, due)
    return pending


class CodeNotUsable(Exception):
    """The code matched no unused row of its unit; `status` is what it is now (None: unknown)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


def _code_status(digest):
    return AccessCode.objects.filter(digest=digest).values_list("status", flat=True).first()


def ballot_store_online(*, digest, round_unit_id, content):
    """Consume an unused code of the unit and store its ballot, pending; in the caller's
    transaction. Raises CodeNotUsable, or ValidationError("round_not_open") after a close.

    Locks are taken code → unit → batch, as everywhere. On PostgreSQL the four writes are one
    statement (one round trip: the submission then costs about what an INSERT costs);
    elsewhere they run one by one in the same order.
    """
    sealed = _seal(round_unit_id, content)
    if connection.vendor != "postgresql":
        code = _table(AccessCode)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {code} SET status = %s WHERE digest = %s AND status = %s AND round_unit_id = %s"
                " RETURNING batch_id",
                [CodeStatus.SPENT, digest, CodeStatus.UNUSED, round_unit_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise CodeNotUsable(_code_status(digest))
        return ballot_store(round_unit_id=round_unit_id, content=content, code_batch_id=row[0])
    tables = {
        "code": _table(AccessCode), "unit": _table(RoundUnit), "round": _table(Round),
        "batch": _table(CodeBatch), "pending": _table(PendingBallot),
    }
    # The main query's subqueries run left to right: c (the code's row), then p pulls g (the
    # unit's gate, re-checked on the newest row version if a close got there first), then b
    # (the batch). Nothing is written unless the code was unused and the gate let it through:
    # the caller's transaction is rolled back otherwise.
    sql = """
        WITH c AS (
            UPDATE {code} SET status = %(spent)s
            WHERE digest = %(digest)s AND status = %(unused)s AND round_unit_id = %(unit_id)s
            RETURNING batch_id
        ), g AS (
            UPDATE {unit} SET online_ballots = online_ballots + 1
            WHERE id = %(unit_id)s AND accepting AND EXISTS (SELECT 1 FROM c)
              AND EXISTS (
                  SELECT 1 FROM {round} r WHERE r.id = {unit}.round_id AND r.status = %(open)s
                  AND r.opens_at <= now() AND now() < r.closes_at
              )
            RETURNING id
        ), p AS (
            INSERT INTO {pending} (round_unit_id, sealed) SELECT id, %(sealed)s FROM g RETURNING id
        ), b AS (
            UPDATE {batch} SET codes_used = codes_used + 1
            WHERE id = (SELECT batch_id FROM c) AND EXISTS (SELECT 1 FROM p)
            RETURNING id
        )
        SELECT (SELECT count(*) FROM c), (SELECT id FROM p), (SELECT count(*) FROM b),
               (SELECT count(*) FROM {pending} WHERE round_unit_id = %(unit_id)s)
    """.format(**tables)
    params = {
        "spent": CodeStatus.SPENT, "unused": CodeStatus.UNUSED, "digest": digest,
        "unit_id": round_unit_id, "open": RoundStatus.OPEN, "sealed": sealed,
    }
    consumed, pending_id, batches, waiting = fetch_one(sql, params)
    if not consumed:
        raise CodeNotUsable(_code_status(digest))
    if pending_id is None:
        raise ValidationError(_("本轮测评未在进行中，不能再计入测评票。"), code="round_not_open")
    _mix_when_committed(round_unit_id, waiting + 1)
    return PendingBallot(pk=pending_id, round_unit_id=round_unit_id)


def ballot_submit(*, round_unit, category, channel, answers, opinion="", cast_on=None):
    """Check one ballot and store it, counted on its unit and pending the mixer; all or nothing.

    answers: {item_id: option value or None (blank)}. Raises ValidationError with a
    Chinese message when the ballot cannot be stored; nothing is written then. Returns the
    PendingBallot: the ballot reaches Ballot/Answer and the tallies with its mix batch.
    """
    content = ballot_clean(
        round_=round_unit.round, category=category, channel=channel, answers=answers,
        opinion=opinion, cast_on=cast_on,
    )
    with transaction.atomic():
        return ballot_store(round_unit_id=round_unit.pk, content=content)


# --- when to mix ----------------------------------------------------------------------------


def _mix_when_committed(round_unit_id, due):
    """After the submitting transaction commits: mix the unit if it is due, sweep if it is time.

    Never inside the submission: a mix is its own transaction with its own transaction id.
    On PostgreSQL it runs on a thread of the worker process (MIX_IN_BACKGROUND), so the
    respondent's response does not wait for it; elsewhere (SQLite has one writer) right after
    the commit, in the request.
    """
    wanted = due >= MIX_BATCH
    if not wanted and time.monotonic() - _last_sweep[0] < MIX_MAX_WAIT:
        return  # nothing would run after the commit: most submissions register nothing
    conn = transaction.get_connection()
    for _, func, _ in conn.run_on_commit:
        if getattr(func, "mix_key", None) == (round_unit_id, wanted):
            return  # already scheduled in this transaction (a keyed stack, an import)
    callback = partial(_after_commit, round_unit_id if wanted else None)
    callback.mix_key = (round_unit_id, wanted)
    transaction.on_commit(callback, robust=True)


_last_sweep = [0.0]
_background = {"executor": None, "queued": set(), "lock": threading.Lock()}


def _after_commit(round_unit_id):
    # The timer without a scheduler: each process looks at most once per MIX_MAX_WAIT, and the
    # shared cache lets one process in the whole deployment sweep per period.
    now = time.monotonic()
    sweep = now - _last_sweep[0] >= MIX_MAX_WAIT
    if sweep:
        _last_sweep[0] = now
    if round_unit_id is None and not sweep:
        return
    if MIX_IN_BACKGROUND and connection.vendor == "postgresql":
        with _background["lock"]:
            if (round_unit_id, sweep) in _background["queued"]:
                return  # the same job waits already
            _background["queued"].add((round_unit_id, sweep))
            if _background["executor"] is None:
                _background["executor"] = ThreadPoolExecutor(1, thread_name_prefix="ballots-mix")
        _background["executor"].submit(_mix_job, round_unit_id, sweep, background=True)
    else:
        _mix_job(round_unit_id, sweep)


def _mix_job(round_unit_id, sweep, background=False):
    if background:
        with _background["lock"]:
            _background["queued"].discard((round_unit_id, sweep))
        close_old_connections()  # the thread keeps its own connection between jobs
    try:
        if round_unit_id is not None:
            ballots_mix(round_unit=RoundUnit(pk=round_unit_id), minimum=MIX_BATCH)
        if sweep and cache.add("surveys:ballots-mix-sweep", 1, MIX_MAX_WAIT):
            ballots_mix(minimum=MIX_MIN)
    except Exception:
        if not background:
            raise  # on_commit(robust=True) logs it; the ballots stay pending
        logger.exception("Mixing pending ballots failed; they stay pending for the next mix.")


def mix_background_drain():
    """Wait until the background mixes queued so far have run (tests, shutdown)."""
    executor = _background["executor"]
    if executor is not None:
        executor.submit(lambda: None).result(60)


# --- the mixer ------------------------------------------------------------------------------


def _lock_unit(round_unit_id, *, wait):
    """Serialize the mixers of one unit; False if another holds it (and we do not wait)."""
    if connection.vendor != "postgresql":
        return True  # SQLite runs one writing transaction at a time
    fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {fn}(%s, %s)", [_MIX_LOCK_SPACE, round_unit_id & 0x7FFFFFFF])
        got = cursor.fetchone()[0]
    return True if wait else bool(got)


def _take_back(round_unit_id, n):
    """Remove the unit's n newest counted ballots and return their content, to mix again.

    A small batch (a quiet unit on the timer, the last ballots at close) would single out
    its few ballots; mixed again with the newest ones already counted, it is never smaller
    than MIX_BATCH once the unit has that many. Their tallies stay as they are.
    """
    rows = list(
        Ballot.objects.filter(round_unit_id=round_unit_id)
        .order_by("-pk")
        .values_list("pk", "category_id", "channel", "cast_on", "opinion")[:n]
    )
    if not rows:
        return []
    ids = [row[0] for row in rows]
    answers = {pk: [] for pk in ids}
    for ballot_id, item_id, option in Answer.objects.filter(ballot_id__in=ids).values_list(
        "ballot_id", "item_id", "option"
    ):
        answers[ballot_id].append((item_id, option))
    Ballot.objects.filter(pk__in=ids).delete()  # and their answers
    return [
        Content(category=cat, channel=channel, cast_on=day,
                answers=tuple(sorted(answers[pk])), opinion=opinion)
        for pk, cat, channel, day, opinion in rows
    ]


def _tallies_add(round_unit_id, cells):
    """Add {(item, category, option): n} to the unit's tallies: one upsert per 200 cells."""
    table = _table(Tally)
    rows = sorted(cells.items())
    for start in range(0, len(rows), 200):
        chunk = rows[start : start + 200]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        params = [v for (item, cat, option), n in chunk for v in (round_unit_id, item, cat, option, n)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (round_unit_id, item_id, category_id, option, count)"
                f" VALUES {values} ON CONFLICT (round_unit_id, item_id, category_id, option)"
                f" DO UPDATE SET count = {table}.count + excluded.count",
                params,
            )


def _spent_codes_sql():
    """The ids of up to n of a unit's spent codes (params: unit, status, n), any n: spent codes
    are alike. No ORDER BY: ordered by id, PostgreSQL chose to walk the primary key past every
    other round's codes (315 ms a mix among a million codes) instead of the unit's status index."""
    return f"SELECT id FROM {_table(AccessCode)} WHERE round_unit_id = %s AND status = %s LIMIT %s"


def _codes_mark_used(round_unit_id, n):
    """Mark n of the unit's spent codes used, and rewrite their batches' counters, in the mix's
    transaction: afterwards those rows carry the mixer's transaction id, not a submission's."""
    if not n:
        return
    code, batch = _table(AccessCode), _table(CodeBatch)
    chosen = _spent_codes_sql()
    params = [CodeStatus.USED, round_unit_id, CodeStatus.SPENT, n]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one statement
            cursor.execute(
                f"WITH c AS (UPDATE {code} SET status = %s WHERE id IN ({chosen}) RETURNING batch_id)"
                f" UPDATE {batch} SET codes_used = codes_used WHERE id IN (SELECT batch_id FROM c)",
                params,
            )
            return
        cursor.execute(f"UPDATE {code} SET status = %s WHERE id IN ({chosen}) RETURNING batch_id", params)
        batches = sorted({row[0] for row in cursor.fetchall()})
        if batches:
            cursor.execute(
                f"UPDATE {batch} SET codes_used = codes_used WHERE id IN"
                f" ({', '.join(['%s'] * len(batches))})",
                batches,
            )


def _take_pending(round_unit_id, *, wait):
    """Remove the unit's pending rows for this mix and return [(pk, sealed)], or None when
    another mixer has the unit. The caller's transaction puts them back if it fails."""
    if connection.vendor == "postgresql" and not wait:
        # The mixers' lock and the rows in one statement: the lock is taken with the first row,
        # re-entered for the others, and fails for all of them while another mixer holds it.
        table = _table(PendingBallot)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE round_unit_id = %s"
                " AND pg_try_advisory_xact_lock(%s, %s) RETURNING id, sealed",
                [round_unit_id, _MIX_LOCK_SPACE, round_unit_id & 0x7FFFFFFF],
            )
            rows = sorted(cursor.fetchall())
        if rows:
            return rows
        return [] if _lock_unit(round_unit_id, wait=False) else None
    if not _lock_unit(round_unit_id, wait=wait):
        return None
    rows = list(
        PendingBallot.objects.filter(round_unit_id=round_unit_id)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "sealed")
    )
    PendingBallot.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return rows


def _mix_unit(round_unit_id, *, minimum, wait):
    with transaction.atomic():
        pending = _take_pending(round_unit_id, wait=wait)
        if pending is None:
            return 0  # another mixer is counting this unit right now
        if not pending or len(pending) < minimum:
            transaction.set_rollback(True)  # too few: they stay pending
            return 0
        fresh = [_unseal(round_unit_id, sealed) for _, sealed in pending]
        batch = fresh + (_take_back(round_unit_id, MIX_BATCH - len(fresh)) if len(fresh) < MIX_BATCH else [])
        _random.shuffle(batch)
        _ballots_store(round_unit_id, batch)
        # The cells of ballots mixed again are rewritten (+0) with the fresh ones', so the
        # cells this transaction touched are the whole batch's, not the newcomers' alone.
        cells = Counter({(item, c.category, option): 0 for c in batch for item, option in c.answers})
        cells.update((item, c.category, option) for c in fresh for item, option in c.answers)
        _tallies_add(round_unit_id, cells)
        _codes_mark_used(round_unit_id, sum(1 for c in fresh if c.channel == Channel.ONLINE))
        return len(fresh)


def _ballots_store(round_unit_id, batch):
    """Store a shuffled batch as Ballot and Answer rows, numbered in the batch's order.

    On PostgreSQL one statement from arrays: the ballots take their ids from the table's
    sequence and each answer joins its ballot by position in the batch. Building model
    instances for the ORM's bulk insert cost a mix 0.19 ms of Python per ballot, two thirds
    of its CPU (docs/performance.md).
    """
    if connection.vendor != "postgresql":
        created = Ballot.objects.bulk_create(
            [
                Ballot(round_unit_id=round_unit_id, category_id=c.category, channel=c.channel,
                       cast_on=c.cast_on, opinion=c.opinion)
                for c in batch
            ]
        )
        Answer.objects.bulk_create(
            [
                Answer(ballot_id=ballot.pk, item_id=item, option=option)
                for ballot, c in zip(created, batch)
                for item, option in c.answers
            ],
            batch_size=2000,
        )
        return
    answers = [(position, item, option) for position, c in enumerate(batch, 1) for item, option in c.answers]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH sequence AS (SELECT pg_get_serial_sequence(%(table)s, 'id') AS name),
            new AS (
                SELECT nextval((SELECT name FROM sequence)) AS id, t.*
                FROM unnest(%(categories)s::bigint[], %(channels)s::text[], %(days)s::date[], %(opinions)s::text[])
                     WITH ORDINALITY AS t(category, channel, cast_on, opinion, position)
            ), stored AS (
                INSERT INTO {_table(Ballot)} (id, round_unit_id, category_id, channel, cast_on, opinion)
                SELECT id, %(unit)s, category, channel, cast_on, opinion FROM new ORDER BY position
            )
            INSERT INTO {_table(Answer)} (ballot_id, item_id, option)
            SELECT new.id, x.item, x.option
            FROM unnest(%(positions)s::bigint[], %(items)s::bigint[], %(options)s::smallint[]) AS x(position, item, option)
            JOIN new USING (position)
            """,
            {
                "table": Ballot._meta.db_table, "unit": round_unit_id,
                "categories": [c.category for c in batch], "channels": [c.channel for c in batch],
                "days": [c.cast_on for c in batch], "opinions": [c.opinion for c in batch],
                "positions": [a[0] for a in answers], "items": [a[1] for a in answers],
                "options": [a[2] for a in answers],
            },
        )
        if cursor.rowcount != len(answers):  # rolled back with the mix: the ballots stay pending
            raise RuntimeError(f"the mix stored {cursor.rowcount} answers of {len(answers)}")


def ballots_mix(*, round_unit=None, round_=None, final=False, minimum=None):
    """Count pending ballots in shuffled batches; returns how many were counted.

    One unit, a round's units, or (neither given) every unit with pending ballots. Units
    with fewer than `minimum` pending are left (default MIX_MIN; 1 when final). Each unit is
    mixed in its own transaction, or inside the caller's. `final` (a close, through
    `round_intake_stop`) waits for a running mixer instead of skipping the unit, then makes
    every used code, code batch and tally of the round carry the close's transaction id.
    """
    if minimum is None:
        minimum = 1 if final else MIX_MIN
    if round_unit is not None:
        unit_ids = [round_unit.pk]
    else:
        units = PendingBallot.objects.all()
        if round_ is not None:
            units = units.filter(round_unit__round=round_)
        unit_ids = sorted(
            units.values("round_unit_id").annotate(n=Count("pk")).filter(n__gte=minimum)
            .values_list("round_unit_id", flat=True)
        )
    mixed = sum(_mix_unit(pk, minimum=minimum, wait=final) for pk in unit_ids)
    if final and round_ is not None:
        _round_rewrite(round_)
    return mixed


def _round_rewrite(round_):
    """Give every used code, code batch and tally of the round one transaction id (the close's),
    so none of them tells which mix batch — or, for a code, which submission — it belonged to."""
    units = f"SELECT id FROM {_table(RoundUnit)} WHERE round_id = %s"
    with connection.cursor() as cursor:
        # Only codes whose committed status is spent or used: an unused code may be locked by
        # a submission that waits behind the close's gate, and waiting for it would deadlock.
        cursor.execute(
            f"UPDATE {_table(AccessCode)} SET status = %s WHERE round_unit_id IN ({units})"
            f" AND status IN (%s, %s)",
            [CodeStatus.USED, round_.pk, CodeStatus.SPENT, CodeStatus.USED],
        )
        cursor.execute(
            f"UPDATE {_table(CodeBatch)} SET codes_used = codes_used WHERE round_unit_id IN ({units})",
            [round_.pk],
        )
        cursor.execute(
            f"UPDATE {_table(Tally)} SET count = count WHERE round_unit_id IN ({units})", [round_.pk]
        )


@transaction.atomic
def round_intake_stop(*, round_):
    """Take no more ballots for the round and count every pending one (a close's first step).

    Call inside the close's transaction, before sealing: if the close fails, the units
    accept again and the pending ballots are still pending.
    """
    unit_ids = sorted(RoundUnit.objects.filter(round=round_).values_list("pk", flat=True))
    # Let running mixers finish before taking the units' rows: a mixer never waits for a row
    # we hold, so this cannot deadlock, and the final mix below then has every unit to itself.
    for pk in unit_ids:
        _lock_unit(pk, wait=True)
    RoundUnit.objects.filter(round=round_).update(accepting=False)
    return ballots_mix(round_=round_, final=True)


@transaction.atomic
def round_intake_start(*, round_):
    """Accept ballots for the round's units again (open, reopen)."""
    RoundUnit.objects.filter(round=round_).update(accepting=True)


def intake_counts(*, round_):
    """{round_unit_id: (ballots counted on the unit, Ballot rows, pending rows, codes consumed)}.

    Exactly-once in one look: the first equals the sum of the next two for every unit, and
    online codes consumed equal online ballots (tests, `mix_ballots --check`).
    """
    counted = {
        pk: online + paper
        for pk, online, paper in RoundUnit.objects.filter(round=round_).values_list(
            "pk", "online_ballots", "paper_ballots"
        )
    }
    stored = dict(
        Ballot.objects.filter(round_unit__round=round_).values("round_unit_id")
        .annotate(n=Count("pk")).values_list("round_unit_id", "n")
    )
    waiting = dict(
        PendingBallot.objects.filter(round_unit__round=round_).values("round_unit_id")
        .annotate(n=Count("pk")).values_list("round_unit_id", "n")
    )
    consumed = dict(
        AccessCode.objects.filter(round_unit__round=round_, status__in=[CodeStatus.SPENT, CodeStatus.USED])
        .values("round_unit_id").annotate(n=Count("pk")).values_list("round_unit_id", "n")
    )
    return {
        pk: (n, stored.get(pk, 0), waiting.get(pk, 0), consumed.get(pk, 0))
        for pk, n in counted.items()
    }


# --- verifying and rebuilding the tallies -------------------------------------------------


def _recount(round_):
    rows = (
        Answer.objects.filter(ballot__round_unit__round=round_)
        .values_list("ballot__round_unit_id", "item_id", "ballot__category_id", "option")
        .annotate(n=Count("id"))
    )
    return {row[:4]: row[4] for row in rows}


def _stored(round_):
    rows = (
        Tally.objects.filter(round_unit__round=round_, count__gt=0)
        .values_list("round_unit_id", "item_id", "category_id", "option")
        .annotate(n=Sum("count"))
    )
    return {row[:4]: row[4] for row in rows}


def tallies_verify(*, round_):
    """Differences between the kept tallies and a full recount; empty when they agree.

    Pending ballots are in neither: they count when they are mixed.
    """
    recount, stored = _recount(round_), _stored(round_)
    return {
        key: (stored.get(key, 0), recount.get(key, 0))
        for key in set(recount) | set(stored)
        if stored.get(key, 0) != recount.get(key, 0)
    }


@transaction.atomic
def tallies_rebuild(*, round_):
    """Recount a round's tallies and ballot counters from its ballots (after bulk loads).

    For a round without pending ballots (a bulk load, a closed round): the counters it sets
    count Ballot rows only.
    """
    if connection.vendor == "postgresql":
        # After a bulk load the planner still believes the tables are empty and picks
        # nested loops that take minutes over a few hundred thousand answers.
        with connection.cursor() as cursor:
            for model in (Ballot, Answer, Tally, RoundUnit):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    # By unit ids, not through a join: the planner then uses the tally index directly.
    unit_ids = list(RoundUnit.objects.filter(round=round_).values_list("pk", flat=True))
    Tally.objects.filter(round_unit_id__in=unit_ids).delete()
    Tally.objects.bulk_create(
        [
            Tally(round_unit_id=ru, item_id=item, category_id=cat, option=opt, count=n)
            for (ru, item, cat, opt), n in _recount(round_).items()
        ],
        batch_size=5000,
    )
    by_unit = Counter()
    for ru, channel, n in (
        Ballot.objects.filter(round_unit__round=round_)
        .values_list("round_unit_id", "channel")
        .annotate(n=Count("id"))
    ):
        by_unit[(ru, channel)] = n
    for round_unit in RoundUnit.objects.filter(round=round_):
        round_unit.online_ballots = by_unit[(round_unit.pk, Channel.ONLINE)]
        round_unit.paper_ballots = by_unit[(round_unit.pk, Channel.PAPER)]
        round_unit.paper_forms_issued = max(round_unit.paper_forms_issued, round_unit.paper_ballots)
        round_unit.save(update_fields=["online_ballots", "paper_ballots", "paper_forms_issued"])
