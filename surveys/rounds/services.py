"""Round set-up and lifecycle: draft -> open -> closed (sealed) -> published; closed -> open
again only with a written reason. Every write by staff is recorded in the audit trail.

Closing takes two steps that commit separately: `round_stop` stops intake, `round_seal`
recounts every unit and seals (long at a million ballots: run as a job, see `jobs`)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEntry
from audit.services import audit_change, audit_record
from credibility.text import aside, clauses, full_stop, sentence, series
from jobs.models import Job
from surveys.ballots import round_intake_start, round_intake_stop, tallies_rebuild, tallies_verify
from surveys.models import (
    Item,
    ItemKind,
    PaperBatch,
    PaperBatchStatus,
    RespondentCategory,
    ResultSnapshot,
    Round,
    RoundCategory,
    RoundStatus,
    RoundUnit,
)
from surveys import snapshots
from surveys.questionnaire import HEADLINE_ITEMS, OPINION_ITEM, STANDARD_SUB_ITEMS
from surveys.selectors import data_shortfall, round_results

from . import sealing

# What may still change once a round is open: its name and (extending) its closing time.
EDITABLE_WHEN_OPEN = {"name", "closes_at"}
ROUND_FIELDS = [
    "name", "year", "opens_at", "closes_at", "scale", "positive_threshold", "basic_threshold",
    "unknown_in_denominator", "use_weights", "min_valid_answers", "require_double_keying",
]
FROZEN_MESSAGE = gettext_lazy("本轮测评已开启，问卷和评定规则已冻结，不能修改。")
UNFINISHED_BATCH = (PaperBatchStatus.KEYING, PaperBatchStatus.RECONCILING)


def _snapshot(round_):
    return {name: getattr(round_, name) for name in ROUND_FIELDS}


def _fresh_status(round_):
    """Lock the round row and refresh its status: a stale instance must not slip past a freeze."""
    round_.status = Round.objects.select_for_update().values_list("status", flat=True).get(pk=round_.pk)
    return round_.status


def _require_draft(round_):
    _fresh_status(round_)
    if round_.is_frozen:
        raise ValidationError(FROZEN_MESSAGE, code="frozen")


@transaction.atomic
def round_create(
    *,
    name,
    year,
    opens_at,
    closes_at,
    units,
    categories=None,
    sub_items=None,
    opinion=True,
    actor=None,
    source="",
    **settings,
):
    """Create a draft round with the standard questionnaire.

    units: [(unit, planned_sample), ...]; categories: respondent categories (all by
    default) or [(category, weight), ...]; settings: other Round fields (scale, policy).
    """
    round_ = Round(name=name, year=year, opens_at=opens_at, closes_at=closes_at, **settings)
    round_.full_clean()
    round_.save()
    RoundUnit.objects.bulk_create(
        [RoundUnit(round=round_, unit=unit, planned_sample=planned) for unit, planned in units]
    )
    chosen = categories if categories is not None else list(RespondentCategory.objects.all())
    if not chosen:
        raise ValidationError(_("至少选择一类参评人员。"), code="no_categories")
    RoundCategory.objects.bulk_create(
        [
            RoundCategory(round=round_, category=c[0], weight=c[1])
            if isinstance(c, tuple)
            else RoundCategory(round=round_, category=c)
            for c in chosen
        ]
    )
    texts = STANDARD_SUB_ITEMS if sub_items is None else sub_items
    items = [
        Item(round=round_, kind=kind, text=text, order=order, required=True)
        for order, (kind, text) in enumerate(HEADLINE_ITEMS, start=1)
    ]
    items += [
        Item(round=round_, kind=ItemKind.SUB, text=text, order=10 + order)
        for order, text in enumerate(texts, start=1)
    ]
    if opinion:
        items.append(Item(round=round_, kind=ItemKind.OPINION, text=OPINION_ITEM, order=100))
    Item.objects.bulk_create(items)
    if actor is not None:
        audit_change(actor=actor, action="round.create", obj=round_, source=source, after=_snapshot(round_))
    return round_


@transaction.atomic
def round_update(*, round_, actor, source="", **fields):
    """Change a round's settings; once open only its name and closing time may change."""
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise ValueError(f"not round settings: {sorted(unknown)}")
    _fresh_status(round_)
    before = _snapshot(round_)
    changed = {k for k, v in fields.items() if before[k] != v}
    if round_.status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED) and changed:
        raise ValidationError(_("本轮测评已结束，设置不能再修改。"), code="closed")
    if round_.is_frozen and changed - EDITABLE_WHEN_OPEN:
        raise ValidationError(FROZEN_MESSAGE, code="frozen")
    for key, value in fields.items():
        setattr(round_, key, value)
    round_.full_clean()
    round_.save()
    audit_change(actor=actor, action="round.update", obj=round_, source=source,
                 before=before, after=_snapshot(round_))
    return round_


@transaction.atomic
def round_units_set(*, round_, units, actor, source=""):
    """Make the round's units exactly `units` ([(unit, planned_sample)]); draft only."""
    _require_draft(round_)
    wanted = {unit.pk: (unit, planned) for unit, planned in units}
    current = {ru.unit_id: ru for ru in round_.round_units.select_related("unit")}
    removed = [ru for unit_id, ru in current.items() if unit_id not in wanted]
    added, replanned = [], {}
    for unit_id, (unit, planned) in wanted.items():
        if planned is None or planned < 1:
            raise ValidationError(_("%(unit)s的计划样本量须为正整数。") % {"unit": unit}, code="bad_planned")
        ru = current.get(unit_id)
        if ru is None:
            added.append(RoundUnit(round=round_, unit=unit, planned_sample=planned))
        elif ru.planned_sample != planned:
            replanned[unit.code] = [ru.planned_sample, planned]
            ru.planned_sample = planned
            ru.save(update_fields=["planned_sample"])
    RoundUnit.objects.filter(pk__in=[ru.pk for ru in removed]).delete()
    RoundUnit.objects.bulk_create(added)
    changes = {
        "added": sorted(ru.unit.code for ru in added),
        "removed": sorted(ru.unit.code for ru in removed),
        "planned_sample": replanned,
    }
    if any(changes.values()):
        audit_record(actor=actor, action="round.units", obj=round_, changes=changes, source=source)


@transaction.atomic
def round_categories_set(*, round_, categories, actor, source=""):
    """Make the round's respondent categories exactly `categories` ([(category, weight)])."""
    _require_draft(round_)
    if not categories:
        raise ValidationError(_("至少选择一类参评人员。"), code="no_categories")
    before = {rc.category.name: str(rc.weight) for rc in round_.round_categories.select_related("category")}
    round_.round_categories.all().delete()
    rows = [RoundCategory(round=round_, category=c, weight=w) for c, w in categories]
    for row in rows:
        row.full_clean(exclude=["round"])
    RoundCategory.objects.bulk_create(rows)
    after = {c.name: str(RoundCategory(weight=w).weight) for c, w in categories}
    audit_change(actor=actor, action="round.categories", obj=round_, source=source,
                 before=before, after=after)


HEADLINE_REQUIRED_MESSAGE = _("两项总体评价每张票都必须作答，“必答”不能取消。")


@transaction.atomic
def item_update(*, item, actor, source="", **fields):
    _require_draft(item.round)
    if item.is_headline and fields.get("required", True) is not True:
        raise ValidationError(HEADLINE_REQUIRED_MESSAGE, code="headline_required")
    before = {k: getattr(item, k) for k in fields}
    for key, value in fields.items():
        setattr(item, key, value)
    item.full_clean()
    item.save()
    audit_change(actor=actor, action="item.update", obj=item, source=source,
                 before=before, after={k: getattr(item, k) for k in fields})
    return item


@transaction.atomic
def item_add(*, round_, text, actor, source=""):
    """Add a sub-indicator at the end of the sub-indicators."""
    _require_draft(round_)
    last = round_.items.filter(kind=ItemKind.SUB).order_by("-order").first()
    item = Item(round=round_, kind=ItemKind.SUB, text=text, order=(last.order if last else 10) + 1)
    item.full_clean()
    item.save()
    audit_record(actor=actor, action="item.add", obj=item, changes={"text": text}, source=source)
    return item


@transaction.atomic
def item_remove(*, item, actor, source=""):
    """Remove a sub-indicator or the opinion question; the headline items always stay."""
    _require_draft(item.round)
    if item.is_headline:
        raise ValidationError(_("两项总体评价是必测项目，不能删除。"), code="headline")
    audit_record(actor=actor, action="item.remove", obj=item, changes={"text": item.text}, source=source)
    item.delete()


@transaction.atomic
def questionnaire_update(*, round_, edits, add_text="", remove=None, actor, source=""):
    """One save of the questionnaire step: edits ([(item, {field: value})]), then the new
    sub-indicator if any, then the removal if any. All of it or nothing, so a question typed
    or edited is never lost to another button of the same page."""
    _require_draft(round_)
    for item, fields in edits:
        item_update(item=item, actor=actor, source=source, **fields)
    added = item_add(round_=round_, text=add_text, actor=actor, source=source) if add_text else None
    if remove is not None:
        item_remove(item=remove, actor=actor, source=source)
    return added


def _locked_in(round_, status, refusal, code):
    """The round's row, locked for the step; refused unless the round is in `status`."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.status != status:
        raise ValidationError(refusal, code=code)
    return round_


def _move(round_, status, *, stamps, actor, action, source, changes=None):
    """Put a locked round in `status` with its time stamps, and record the step."""
    changes = {"status": [round_.status, status.value], **(changes or {})}
    round_.status = status
    for key, value in stamps.items():
        setattr(round_, key, value)
    round_.full_clean()
    round_.save()
    audit_record(actor=actor, action=action, obj=round_, changes=changes, source=source)
    return round_


@transaction.atomic
def round_open(*, round_, actor, source=""):
    """Start collecting ballots; from now on the questionnaire and policy are frozen."""
    round_ = _locked_in(round_, RoundStatus.DRAFT, _("只有草稿状态的测评可以开启。"), "not_draft")
    if not round_.round_units.exists():
        raise ValidationError(_("本轮测评还没有参评单位，不能开启。"), code="no_units")
    if not round_.round_categories.exists():
        raise ValidationError(_("本轮测评还没有参评人员类别，不能开启。"), code="no_categories")
    if round_.items.headline().count() != len(HEADLINE_ITEMS):
        raise ValidationError(_("问卷缺少总体评价题目，不能开启。"), code="no_headline")
    round_intake_start(round_=round_)
    return _move(round_, RoundStatus.OPEN, stamps={"opened_at": timezone.now()},
                 actor=actor, action="round.open", source=source)


def unfinished_paper_batches(round_):
    """Double-keyed paper batches of the round still being keyed or reconciled."""
    return list(
        PaperBatch.objects.filter(round_unit__round=round_, status__in=UNFINISHED_BATCH)
        .select_related("round_unit__unit").order_by("round_unit__unit__code", "created_at", "id")
    )


@transaction.atomic
def round_stop(*, round_, actor, source="", discard_reason=""):
    """Stop accepting ballots (the first half of the close); refuses while paper batches are
    unfinished unless they are discarded with a written reason."""
    round_ = _locked_in(round_, RoundStatus.OPEN, _("只有进行中的测评可以结束。"), "not_open")
    unfinished = unfinished_paper_batches(round_)
    discarded = []
    if unfinished:
        discard_reason = (discard_reason or "").strip()
        if len(discard_reason) < 5:
            raise ValidationError(
                _("还有未完成的纸质票批次：") + series(f"{b.round_unit.unit.name}“{b.label}”{aside(b.get_status_display())}"
                                                 for b in unfinished)
                + _("。请先完成录入和核对，或写明理由（至少 5 个字）放弃这些批次后再结束。"),
                code="paper_unfinished",
            )
        for batch in unfinished:
            audit_record(actor=actor, action="paper.batch_discard", obj=batch, source=source,
                         changes={"status": [batch.status, PaperBatchStatus.DISCARDED.value],
                                  "reason": discard_reason})
            discarded.append(f"{batch.round_unit.unit.name}“{batch.label}”")
        PaperBatch.objects.filter(pk__in=[b.pk for b in unfinished]).update(status=PaperBatchStatus.DISCARDED)
    round_intake_stop(round_=round_)  # no ballot after this, none left pending
    changes = {"discarded_batches": discarded, "reason": discard_reason} if discarded else None
    return _move(round_, RoundStatus.CLOSED, stamps={"closed_at": timezone.now()},
                 actor=actor, action="round.close", source=source, changes=changes)


def round_close(*, round_, actor, source="", discard_reason="", progress=None):
    """Close a round: stop intake, then recount every unit and seal (`round_seal`).

    The two steps commit separately: a round whose tallies differ from the recount stays
    closed (no ballot comes in) but unsealed, until staff recount it (`round_recount`).
    """
    round_ = round_stop(round_=round_, actor=actor, source=source, discard_reason=discard_reason)
    return round_seal(round_=round_, actor=actor, source=source, progress=progress)


SEALABLE = (RoundStatus.CLOSED, RoundStatus.PUBLISHED)
MISMATCH_ADVICE = gettext_lazy("请在测评页面使用“重新计票并封存”。")


def round_seal(*, round_, actor, source="", progress=None):
    """Recount a closed round and seal it: the snapshot the pages read, keyed with the seal key.

    Refuses (recording the refusal) when the tallies or ballot counters differ from the
    recount: the pages would show what the ballots do not say. A published round that has
    no seal yet (published before seals existed) can be sealed the same way.
    """
    round_ = Round.objects.get(pk=round_.pk)
    if round_.status not in SEALABLE:
        raise ValidationError(_("只有已结束的测评可以封存。"), code="not_closed")
    if ResultSnapshot.objects.filter(round=round_).exists():
        raise ValidationError(_("本轮测评已经封存。"), code="sealed")
    # Reads only, outside a transaction: intake has stopped, nothing writes to these rows.
    state = sealing.round_state(round_, progress)
    problems = sealing.tally_problems(state)
    if problems:
        audit_record(actor=actor, action="round.seal_refused", obj=round_, source=source,
                     changes={"problems": problems[:50], "count": len(problems)})
        raise ValidationError(
            _("计票表与重新计数不一致，未封存：") + clauses(problems[:5])
            + (_("等 %(problems)s 处") % {"problems": len(problems)} if len(problems) > 5 else "") + full_stop() + MISMATCH_ADVICE,
            code="tally_mismatch",
        )
    results, detail, parts, mac = sealing.seal_contents(state)
    figures = snapshots.figures(results)  # what the trends read: derived, checked by verify
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_.pk)
        if round_.status not in SEALABLE or ResultSnapshot.objects.filter(round=round_).exists():
            raise ValidationError(_("封存期间测评状态有变化，请重试。"), code="moved")
        snapshot = ResultSnapshot.objects.create(
            round=round_, results=results, detail=detail, figures=figures, parts=parts, mac=mac,
            sealed_by=actor if getattr(actor, "pk", None) else None,
        )
        round_.seal_digest = mac
        round_.save(update_fields=["seal_digest"])
        audit_record(actor=actor, action="round.seal", obj=round_, source=source,
                     changes={"fingerprint": snapshot.fingerprint, "seal": mac,
                              "units": len(state.units),
                              "ballots": sum(u.scan.ballots for u in state.units.values())})
    return round_


def round_recount(*, round_, actor, source="", progress=None):
    """Repair: rebuild a closed, unsealed round's tallies and counters from its ballots
    (recorded with what differed), then seal it."""
    with transaction.atomic():
        round_ = _locked_in(round_, RoundStatus.CLOSED, _("只有已结束、尚未封存的测评可以重新计票。"), "not_closed")
        if ResultSnapshot.objects.filter(round=round_).exists():
            raise ValidationError(_("本轮测评已经封存，不能重新计票。"), code="sealed")
        differences = tallies_verify(round_=round_)
        tallies_rebuild(round_=round_)
        audit_record(actor=actor, action="round.recount", obj=round_, source=source, changes={
            "cells": len(differences),
            "examples": [
                {"round_unit": ru, "item": item, "category": cat, "option": opt, "tally": kept, "recount": counted}
                for (ru, item, cat, opt), (kept, counted) in sorted(differences.items())[:20]
            ],
        })
    return round_seal(round_=round_, actor=actor, source=source, progress=progress)


def publish_shortfall(round_):
    """How far a round's data falls short (turnout against plan, units without data)."""
    return data_shortfall(round_results(round_))


@transaction.atomic
def round_publish(*, round_, actor, source="", reason=""):
    """Make results visible to leaders. Only a sealed round whose seal record checks out; with
    too little data (see `publish_shortfall`) only with a written reason, kept in the trail."""
    round_ = _locked_in(round_, RoundStatus.CLOSED, _("只有已结束的测评可以发布。"), "not_closed")
    snapshot = ResultSnapshot.objects.filter(round=round_).first()
    if snapshot is None:
        raise ValidationError(_("本轮测评尚未封存，不能发布。请先完成封存。"), code="not_sealed")
    broken = sealing.record_findings(snapshot, round_)
    if broken:
        raise ValidationError(sentence(_("封存记录核验不通过，不能发布：") + clauses(broken)), code="seal_broken")
    shortfall = publish_shortfall(round_)
    reason = (reason or "").strip()
    changes = {"fingerprint": snapshot.fingerprint}
    if shortfall.flagged:
        if len(reason) < 5:
            raise ValidationError(
                _("数据不足：%(describe)s。如确需发布，请写明理由（至少 5 个字）。") % {"describe": shortfall.describe()}, code="low_data"
            )
        snapshot.publish_reason = reason
        snapshot.save(update_fields=["publish_reason"])
        changes.update({"low_data": shortfall.describe(), "reason": reason})
    return _move(round_, RoundStatus.PUBLISHED, stamps={"published_at": timezone.now()},
                 actor=actor, action="round.publish", source=source, changes=changes)


@transaction.atomic
def round_reopen(*, round_, reason, actor, source=""):
    """Accept ballots again after a close; needs a written reason, drops the seal."""
    round_ = _locked_in(round_, RoundStatus.CLOSED, _("只有已结束且未发布的测评可以重新开启。"), "not_closed")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError(_("请写明重新开启的原因（至少 5 个字）。"), code="no_reason")
    round_intake_start(round_=round_)
    snapshot = ResultSnapshot.objects.filter(round=round_).first()
    dropped = snapshot.fingerprint if snapshot else ""
    if snapshot:
        snapshot.delete()
    return _move(round_, RoundStatus.OPEN, stamps={"closed_at": None, "seal_digest": ""},
                 actor=actor, action="round.reopen", source=source,
                 changes={"reason": reason, "seal_digest": [round_.seal_digest, ""], "fingerprint": dropped})


@dataclass
class SealStatus:
    snapshot: object  # ResultSnapshot (without its big fields) or None
    job: object  # an unfinished lifecycle job of the round, or None
    refusal: object  # the AuditEntry of the last refused seal since the last close, or None


def seal_status(round_):
    """What the round page says about the seal: its fingerprint, a job under way, a refusal."""
    snapshot = ResultSnapshot.objects.filter(round=round_).defer("results", "detail", "parts").first()
    job = Job.objects.unfinished().filter(kind__startswith="round.", params__round_id=round_.pk).first()
    refusal = None
    if snapshot is None and round_.status in SEALABLE:
        trail = AuditEntry.objects.filter(object_type=Round._meta.label, object_id=str(round_.pk))
        last_close = trail.filter(action="round.close").order_by("-at", "-id").first()
        refusal = trail.filter(action="round.seal_refused").order_by("-at", "-id").first()
        if refusal and last_close and (refusal.at, refusal.pk) < (last_close.at, last_close.pk):
            refusal = None
    return SealStatus(snapshot=snapshot, job=job, refusal=refusal)


def round_verify(*, round_, actor=None, source="", progress=None):
    """Check the seal, and the tallies against a recount; say precisely what changed.

    Reads only; with an actor, the verdict is recorded in the audit trail (全程记实).
    """
    result = sealing.verify(round_, progress)
    if actor is not None:
        audit_record(actor=actor, action="round.verify", obj=round_, source=source, changes={
            "intact": result.intact, "sealed": result.sealed, "fingerprint": result.fingerprint,
            "findings": result.findings[:50],
        })
    return result


@transaction.atomic
def round_copy(*, source_round, name, year, opens_at, closes_at, actor, source=""):
    """Start a new draft from an earlier round: its settings, active units with their planned
    samples, categories and weights, and questionnaire."""
    settings = {
        k: getattr(source_round, k) for k in ROUND_FIELDS
        if k not in {"name", "year", "opens_at", "closes_at"}
    }
    items = list(source_round.items.all())
    round_ = round_create(
        name=name, year=year, opens_at=opens_at, closes_at=closes_at,
        units=[
            (ru.unit, ru.planned_sample)
            for ru in source_round.round_units.select_related("unit").filter(unit__is_active=True)
        ],
        categories=[(rc.category, rc.weight) for rc in source_round.round_categories.select_related("category")],
        sub_items=[], opinion=False, copied_from=source_round, **settings,
    )
    round_.items.all().delete()
    Item.objects.bulk_create(
        [Item(round=round_, kind=i.kind, text=i.text, order=i.order, required=i.required) for i in items]
    )
    audit_change(actor=actor, action="round.copy", obj=round_, source=source,
                 after={"copied_from": str(source_round), **_snapshot(round_)})
    return round_
