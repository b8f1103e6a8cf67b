"""Round-wide fieldwork: issue codes for many units in one action, print their slips at once.

Each unit is topped up to its planned sample plus a margin the staff choose: a unit that
already holds enough live codes (issued, not voided) gets none, so running it twice, or
again after a failure half way, never doubles a unit's codes. Each unit's batch is its own
transaction (through `codes_issue`, which numbers and audits it), so a run stopped half way
keeps what it finished and says what it did not.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Case, F, Sum, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from credibility.text import clauses, labelled, series
from jobs.services import JobFailed
from surveys.models import CodeBatch, Round, RoundUnit
from units.models import UnitKind

from .services import MAX_BATCH_SIZE, codes_issue

MAX_MARGIN = 100  # percent


def target_size(planned, margin):
    """Codes a unit should hold: its planned sample plus `margin` percent, rounded up."""
    return -(-planned * (100 + margin) // 100)


@dataclass
class PlanRow:
    round_unit: RoundUnit
    target: int
    live: int  # codes issued and not voided

    @property
    def to_issue(self):
        return max(0, self.target - self.live)


def codes_plan(round_units, *, margin):
    """[PlanRow] for the given round units (a QuerySet), in one query over the batches'
    counters (issued less voided, kept with each batch), never over the code rows."""
    rows = round_units.select_related("unit").annotate(
        live=Coalesce(Sum(F("code_batches__size") - F("code_batches__codes_void")), 0)
    )
    return [PlanRow(ru, target_size(ru.planned_sample, margin), ru.live) for ru in rows]


def codes_issue_round(*, round_units, margin, actor, progress=None):
    """Top up every given unit to planned sample + margin%; returns [(round unit, [batch])].

    Batches are at most MAX_BATCH_SIZE codes; a larger need gets several batches.
    """
    if not 0 <= margin <= MAX_MARGIN:
        raise ValidationError(_("余量应在 0%% 至 %(limit)s%% 之间。") % {"limit": MAX_MARGIN}, code="bad_margin")
    plan = [row for row in codes_plan(round_units, margin=margin) if row.to_issue]
    total = sum(row.to_issue for row in plan)
    done = 0
    issued = []
    for row in plan:
        batches, left = [], row.to_issue
        while left:
            size = min(left, MAX_BATCH_SIZE)
            batch, _plain = codes_issue(round_unit=row.round_unit, size=size, actor=actor)
            batches.append(batch)
            left -= size
        issued.append((row.round_unit, batches))
        done += row.to_issue
        if progress:
            progress(done, total, _("已生成：%(unit)s") % {"unit": row.round_unit.unit.name})
    return issued


def issue_codes_job(job, progress, *, round_id, round_unit_ids, margin):
    """Job handler: round-wide issuing, started from the round's fieldwork page."""
    round_ = Round.objects.get(pk=round_id)
    round_units = RoundUnit.objects.filter(round=round_, pk__in=round_unit_ids)
    try:
        issued = codes_issue_round(round_units=round_units, margin=margin, actor=job.created_by, progress=progress)
    except ValidationError as error:
        finished = CodeBatch.objects.filter(
            round_unit__in=round_units, created_at__gte=job.created_at
        ).values("round_unit").distinct().count()
        raise JobFailed(_("%(reason)s（已完成 %(n)s 个单位，其余未生成；再次发放只会补足未完成的单位。）")
                        % {"reason": clauses(error.messages), "n": finished})
    codes = sum(b.size for _ru, batches in issued for b in batches)
    skipped = len(round_unit_ids) - len(issued)
    lines = [
        labelled(ru.unit.name, series(_("第 %(number)s 批 %(size)s 个") % {"number": b.number, "size": b.size}
                                      for b in batches))
        for ru, batches in issued
    ]
    if skipped:
        lines.append(_("另有 %(n)s 个单位已有足够的测评码，未生成。") % {"n": skipped})
    message = _("已为 %(units)s 个单位生成 %(codes)s 个测评码（计划样本量加 %(margin)s%%）。可回到组织实施页打印测评码条。") % {
        "units": len(issued), "codes": codes, "margin": margin}
    return {"message": message, "lines": lines}


# --- printing ---------------------------------------------------------------------------


def printed_batch_ids(batches):
    """Ids of the given batches whose slips or code list were ever disclosed (audit trail)."""
    ids = [str(b.pk) for b in batches]
    return {
        int(pk)
        for pk in AuditEntry.objects.filter(
            object_type=CodeBatch._meta.label, object_id__in=ids, action__in=["codes.print", "codes.download"]
        ).values_list("object_id", flat=True)
    }


def batches_to_print(round_, *, group=None, unprinted_only=False):
    """Live batches of a round (or of one group), by unit in registry order, then number."""
    batches = (
        CodeBatch.objects.filter(round_unit__round=round_, voided_at__isnull=True)
        .select_related("round_unit__unit__group")
        .order_by(Case(When(round_unit__unit__kind=UnitKind.DISTRICT, then=0), default=1),
                  "round_unit__unit__group__order", "round_unit__unit__group__name", "round_unit__unit__order",
                  "round_unit__unit__code", "number")
    )
    if group is not None:
        batches = batches.filter(round_unit__unit__group=group)
    batches = list(batches)
    if unprinted_only:
        printed = printed_batch_ids(batches)
        batches = [b for b in batches if b.pk not in printed]
    return batches
