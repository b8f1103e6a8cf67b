"""Round set-up and lifecycle: draft -> open -> closed -> published (closed -> open again
only with a written reason). Every write by staff is recorded in the audit trail."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEntry
from audit.services import audit_change, audit_record
from surveys.models import (
    Item,
    ItemKind,
    RespondentCategory,
    Round,
    RoundCategory,
    RoundStatus,
    RoundUnit,
)
from surveys.questionnaire import HEADLINE_ITEMS, OPINION_ITEM, STANDARD_SUB_ITEMS

from . import sealing

# What may still change once a round is open: its name and (extending) its closing time.
EDITABLE_WHEN_OPEN = {"name", "closes_at"}
ROUND_FIELDS = [
    "name", "year", "opens_at", "closes_at", "scale", "positive_threshold", "basic_threshold",
    "unknown_in_denominator", "use_weights", "min_valid_answers", "require_double_keying",
]
FROZEN_MESSAGE = gettext_lazy("本轮测评已开启，问卷和评定规则已冻结，不能修改。")


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


@transaction.atomic
def item_update(*, item, actor, source="", **fields):
    _require_draft(item.round)
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
    return _move(round_, RoundStatus.OPEN, stamps={"opened_at": timezone.now()},
                 actor=actor, action="round.open", source=source)


@transaction.atomic
def round_close(*, round_, actor, source=""):
    """Stop accepting ballots and seal the round's ballots."""
    round_ = _locked_in(round_, RoundStatus.OPEN, _("只有进行中的测评可以结束。"), "not_open")
    seal = sealing.round_seal(round_)
    return _move(round_, RoundStatus.CLOSED, stamps={"closed_at": timezone.now(), "seal_digest": seal.digest},
                 actor=actor, action="round.close", source=source,
                 changes={"seal_digest": seal.digest, "seal_units": seal.units})


@transaction.atomic
def round_publish(*, round_, actor, source=""):
    """Make results visible to leaders."""
    round_ = _locked_in(round_, RoundStatus.CLOSED, _("只有已结束的测评可以发布。"), "not_closed")
    return _move(round_, RoundStatus.PUBLISHED, stamps={"published_at": timezone.now()},
                 actor=actor, action="round.publish", source=source)


@transaction.atomic
def round_reopen(*, round_, reason, actor, source=""):
    """Accept ballots again after a close; needs a written reason, drops the seal."""
    round_ = _locked_in(round_, RoundStatus.CLOSED, _("只有已结束且未发布的测评可以重新开启。"), "not_closed")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError(_("请写明重新开启的原因（至少 5 个字）。"), code="no_reason")
    return _move(round_, RoundStatus.OPEN, stamps={"closed_at": None, "seal_digest": ""},
                 actor=actor, action="round.reopen", source=source,
                 changes={"reason": reason, "seal_digest": [round_.seal_digest, ""]})


def round_verify(*, round_):
    """Recompute the seal and compare it with the one kept at close (read only)."""
    entry = (
        AuditEntry.objects.filter(action="round.close", object_type=Round._meta.label,
                                  object_id=str(round_.pk))
        .order_by("-at", "-id").first()
    )
    sealed_units = entry.changes.get("seal_units", {}) if entry else {}
    return sealing.compare(
        sealed_digest=round_.seal_digest, sealed_units=sealed_units,
        current=sealing.round_seal(round_),
    )


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
