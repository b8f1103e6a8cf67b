"""Investigations of below-standard units (经调查了解) and follow-up measures (整改)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_change, audit_record, diff
from surveys import scoring
from surveys.models import HEADLINE_KINDS, Investigation, Rectification, RoundStatus
from surveys.selectors import round_results

RESULTS_STATUSES = (RoundStatus.CLOSED, RoundStatus.PUBLISHED)


@dataclass
class BelowStandard:
    result: object  # selectors.UnitResult
    kind: str
    item: object
    investigation: Investigation | None
    minimum: int = 0  # the round's minimum of valid answers for a reliable rating

    @property
    def dimension(self):
        return self.result.dimensions[self.kind]

    @property
    def pending(self):
        return self.investigation is None

    @property
    def positive_pct(self):
        return self.dimension.positive_text

    @property
    def sample_warning(self):
        """Why a 群众不满意单位 conclusion here rests on a rating marked unreliable, or ''."""
        d = self.dimension
        if not d.below_minimum:
            return ""
        return (_("%(name)s在“%(dimension)s”只有 %(valid)s 张有效票，少于本轮可靠评定的最少有效票 %(minimum)s 张，未达标的评定仅供参考。认定为群众不满意单位须以调查了解的事实为依据，请慎重。") % {"name": self.result.unit.name, "dimension": self.item.get_kind_display(), "valid": d.valid, "minimum": self.minimum})


def below_standard(round_):
    """Every (unit, headline dimension) below the bar, with its investigation if recorded."""
    results = round_results(round_)
    found = {
        (inv.round_unit_id, inv.item_id): inv
        for inv in Investigation.objects.filter(round_unit__round=round_).select_related("decided_by")
    }
    rows = []
    for result in results.units:
        for kind in HEADLINE_KINDS:
            if result.dimensions[kind].level is scoring.Level.BELOW:
                item = results.items[kind]
                rows.append(BelowStandard(result, kind, item, found.get((result.round_unit.pk, item.pk)),
                                          minimum=results.policy.min_valid))
    return rows


def below_standard_row(round_unit, item):
    """The BelowStandard row of one unit on one headline dimension, or None if not below."""
    return next(
        (row for row in below_standard(round_unit.round)
         if row.result.round_unit.pk == round_unit.pk and row.item.pk == item.pk),
        None,
    )


@transaction.atomic
def investigation_record(*, round_unit, item, findings, conclusion, actor, source=""):
    """Record (or revise) the investigation of one unit on one headline dimension."""
    round_ = round_unit.round
    if round_.status not in RESULTS_STATUSES:
        raise ValidationError(_("测评结束后才能记录调查结论。"), code="not_closed")
    if not item.is_headline or item.round_id != round_.pk:
        raise ValidationError(_("只能对本轮的两项总体评价记录调查结论。"), code="bad_item")
    row = below_standard_row(round_unit, item)
    if row is None:
        raise ValidationError(_("该单位在此维度未低于达标线，无需调查。"), code="not_below")
    if conclusion not in {c.value for c in scoring.Conclusion}:
        raise ValidationError(_("请选择调查结论。"), code="bad_conclusion")
    existing = Investigation.objects.filter(round_unit=round_unit, item=item).first()
    before = {"findings": existing.findings, "conclusion": existing.conclusion} if existing else {}
    investigation = existing or Investigation(round_unit=round_unit, item=item)
    investigation.findings = findings
    investigation.conclusion = conclusion
    investigation.decided_by = actor
    investigation.decided_at = timezone.now()
    investigation.full_clean()
    investigation.save()
    # Not audit_change: a revision that keeps findings and conclusion is still recorded, since
    # it changes who decided and when.
    changes = diff(before, {"findings": findings, "conclusion": conclusion})
    if conclusion == scoring.Conclusion.SERIOUS.value and row.sample_warning:
        # Recorded beside the conclusion: it was reached on a sample below the minimum.
        changes["below_minimum"] = {"valid": row.dimension.valid, "minimum": row.minimum}
    audit_record(
        actor=actor, action="investigation.revise" if existing else "investigation.record",
        obj=round_unit, object_repr=f"{round_unit} · {item.get_kind_display()}", source=source,
        changes=changes,
    )
    return investigation


RECTIFICATION_FIELDS = ("measures", "deadline", "status")


def _values(rectification):
    return {k: getattr(rectification, k) for k in RECTIFICATION_FIELDS}


@transaction.atomic
def rectification_create(*, round_unit, measures, deadline, status, actor, source=""):
    if round_unit.round.status not in RESULTS_STATUSES:
        raise ValidationError(_("测评结束后才能记录整改措施。"), code="not_closed")
    rectification = Rectification(
        round_unit=round_unit, measures=measures, deadline=deadline, status=status, created_by=actor
    )
    rectification.full_clean()
    rectification.save()
    audit_change(actor=actor, action="rectification.create", obj=round_unit, source=source,
                 after=_values(rectification))
    return rectification


@transaction.atomic
def rectification_update(*, rectification, actor, source="", **fields):
    """Update measures, deadline or status; also from a later round (follow-up continues)."""
    before = _values(rectification)
    for key, value in fields.items():
        if key not in RECTIFICATION_FIELDS:
            raise ValueError(key)
        setattr(rectification, key, value)
    rectification.full_clean()
    rectification.save()
    audit_change(actor=actor, action="rectification.update", obj=rectification.round_unit, source=source,
                 before=before, after=_values(rectification))
    return rectification
