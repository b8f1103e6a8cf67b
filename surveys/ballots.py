"""Storing ballots and keeping the per-unit tallies exact.

Every ballot, online or paper, goes through `ballot_submit`. It locks the unit's RoundUnit
row first (an UPDATE of its counter), so submissions for one unit serialize there: the
capacity checks (paper ballots <= forms issued) cannot race, and tally increments never
deadlock. See docs/design.md.
"""

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Answer, Ballot, Channel, ItemKind, Round, RoundStatus, RoundUnit, Tally

OPINION_MAX_LENGTH = 1000


def _clean_answers(*, round_, answers, opinion):
    items = {item.pk: item for item in round_.items.all()}
    scale = round_.scale_def
    errors = {}
    cleaned = {}
    for item_id, option in answers.items():
        item = items.get(int(item_id))
        if item is None or item.kind == ItemKind.OPINION:
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
        if item.required and item.kind != ItemKind.OPINION and item.pk not in cleaned:
            errors.setdefault(str(item.pk), _("请回答“%(text)s”。") % {"text": item.text})
    if opinion and len(opinion) > OPINION_MAX_LENGTH:
        errors["opinion"] = _("意见建议不能超过 %(limit)s 字。") % {"limit": OPINION_MAX_LENGTH}
    if errors:
        raise ValidationError(errors, code="invalid_answers")
    return cleaned


@transaction.atomic
def ballot_submit(*, round_unit, category, channel, answers, opinion="", cast_on=None):
    """Store one ballot with its answers and count it; all or nothing.

    answers: {item_id: option value or None (blank)}. Raises ValidationError with a
    Chinese message when the ballot cannot be stored; nothing is written then.
    """
    round_ = round_unit.round
    # Re-read under lock: a round closed a moment ago must not take one more ballot.
    status = Round.objects.select_for_update().values_list("status", flat=True).get(pk=round_.pk)
    if status != RoundStatus.OPEN:
        raise ValidationError(_("本轮测评未在进行中，不能再计入测评票。"), code="round_not_open")
    if channel not in Channel.values:
        raise ValidationError(_("未知的投票渠道。"), code="bad_channel")
    if not round_.round_categories.filter(category=category).exists():
        raise ValidationError(_("参评人员类别不属于本轮测评。"), code="bad_category")
    cleaned = _clean_answers(round_=round_, answers=answers, opinion=opinion)

    # Lock the unit's row first; the paper capacity check reads the locked value.
    counter = "online_ballots" if channel == Channel.ONLINE else "paper_ballots"
    locked = RoundUnit.objects.select_for_update().get(pk=round_unit.pk)
    if channel == Channel.PAPER and locked.paper_ballots >= locked.paper_forms_issued:
        raise ValidationError(
            _("%(unit)s的纸质票已录入 %(paper_ballots)s 张，达到发出票数 %(paper_forms_issued)s，不能再录入（收回数不能超过发出数）。") % {"unit": locked.unit, "paper_ballots": locked.paper_ballots, "paper_forms_issued": locked.paper_forms_issued},
            code="paper_over_issued",
        )
    RoundUnit.objects.filter(pk=locked.pk).update(**{counter: F(counter) + 1})

    ballot = Ballot.objects.create(
        round_unit=round_unit,
        category=category,
        channel=channel,
        cast_on=cast_on or timezone.localdate(),
        opinion=(opinion or "").strip(),
    )
    Answer.objects.bulk_create(
        [Answer(ballot=ballot, item_id=item_id, option=value) for item_id, value in cleaned.items()]
    )
    for item_id, value in cleaned.items():
        _tally_increment(round_unit.pk, item_id, category.pk, value)
    return ballot


def _tally_increment(round_unit_id, item_id, category_id, option):
    cell = Tally.objects.filter(
        round_unit_id=round_unit_id, item_id=item_id, category_id=category_id, option=option
    )
    if cell.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            Tally.objects.create(
                round_unit_id=round_unit_id,
                item_id=item_id,
                category_id=category_id,
                option=option,
                count=1,
            )
    except IntegrityError:
        # Another transaction created the cell between our UPDATE and INSERT.
        cell.update(count=F("count") + 1)


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
    """Differences between the kept tallies and a full recount; empty when they agree."""
    recount, stored = _recount(round_), _stored(round_)
    return {
        key: (stored.get(key, 0), recount.get(key, 0))
        for key in set(recount) | set(stored)
        if stored.get(key, 0) != recount.get(key, 0)
    }


@transaction.atomic
def tallies_rebuild(*, round_):
    """Recount a round's tallies and ballot counters from its ballots (after bulk loads)."""
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

