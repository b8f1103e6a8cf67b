"""After the close: investigations of below-standard units, a unit's page in a round, and
its rectification measures (整改)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import staff_required
from surveys import scoring
from surveys.models import HEADLINE_KINDS, Investigation, Item, Rectification, Round, RoundUnit
from surveys.selectors import round_results

from .. import investigations as services
from ..forms import InvestigationForm, RectificationForm


@staff_required
def investigation_list(request, pk):
    rows = []
    round_ = get_object_or_404(Round, pk=pk)
    if round_.status in services.RESULTS_STATUSES:
        rows = services.below_standard(round_)
    return render(request, "surveys/rounds/investigation_list.html", {
        "round": round_, "rows": rows, "pending": sum(row.pending for row in rows),
    })


@staff_required
def investigation_record(request, pk, round_unit_pk, kind):
    round_unit = get_object_or_404(RoundUnit.objects.select_related("round", "unit"), pk=round_unit_pk, round_id=pk)
    if kind not in HEADLINE_KINDS:
        raise Http404
    item = get_object_or_404(Item, round_id=pk, kind=kind)
    existing = Investigation.objects.filter(round_unit=round_unit, item=item).first()
    initial = {"findings": existing.findings, "conclusion": existing.conclusion} if existing else None
    form = InvestigationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.investigation_record(round_unit=round_unit, item=item, actor=request.user,
                                          source="调查结论", **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已记录%(unit)s“%(dimension)s”的调查结论。") % {"unit": round_unit.unit, "dimension": item.get_kind_display()})
            return redirect("rounds:investigations", pk=pk)
    row = services.below_standard_row(round_unit, item) if round_unit.round.status in services.RESULTS_STATUSES else None
    return render(request, "surveys/rounds/investigation_form.html", {
        "round": round_unit.round, "round_unit": round_unit, "item": item, "form": form,
        "existing": existing, "row": row, "figures": _figures(round_unit, item),
    })


def _figures(round_unit, item):
    """The unit's rating on each headline dimension, for whoever records the conclusion."""
    result = next((r for r in round_results(round_unit.round, groups=[round_unit.unit.group]).units
                   if r.round_unit.pk == round_unit.pk), None)
    if result is None:
        return []
    rows = []
    for kind in HEADLINE_KINDS:
        d = result.dimensions.get(kind)
        if d is None:
            continue
        shown = {name: scoring.percent(getattr(d, name)) if d.valid else "—"
                 for name in ("satisfied", "basic", "dissatisfied", "unknown", "positive")}
        rows.append({"label": kind.label, "current": kind == item.kind, "result": d, "shown": shown,
                     "rank": result.ranks.get(kind)})
    return rows


@staff_required
def round_unit_detail(request, pk, round_unit_pk):
    """One unit in one round: counts, rating when closed, investigations, follow-up, and the
    follow-up carried over from the unit's earlier rounds."""
    round_unit = get_object_or_404(RoundUnit.objects.select_related("round", "unit__group"),
                                   pk=round_unit_pk, round_id=pk)
    round_ = round_unit.round
    result = None
    if round_.status in services.RESULTS_STATUSES:
        # The whole round: the unit's group as at the close may differ from its group now.
        result = next((r for r in round_results(round_).units if r.round_unit.pk == round_unit.pk), None)
    rectifications = Rectification.objects.filter(round_unit__unit=round_unit.unit).select_related(
        "round_unit__round")
    return render(request, "surveys/rounds/round_unit_detail.html", {
        "round": round_, "round_unit": round_unit, "result": result,
        "investigations": Investigation.objects.filter(round_unit=round_unit).select_related("item", "decided_by"),
        "current": [r for r in rectifications if r.round_unit_id == round_unit.pk],
        "earlier": [r for r in rectifications if r.round_unit_id != round_unit.pk
                    and r.round_unit.round.year <= round_.year],
        "can_follow_up": round_.status in services.RESULTS_STATUSES,
        "today": timezone.localdate(),
    })


@staff_required
def rectification_create(request, pk, round_unit_pk):
    round_unit = get_object_or_404(RoundUnit.objects.select_related("round", "unit"), pk=round_unit_pk, round_id=pk)
    form = RectificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rectification_create(round_unit=round_unit, actor=request.user, source="整改措施",
                                          **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已记录整改措施。"))
            return redirect("rounds:unit", pk=pk, round_unit_pk=round_unit.pk)
    return render(request, "surveys/rounds/rectification_form.html",
                  {"round": round_unit.round, "round_unit": round_unit, "form": form})


@staff_required
def rectification_edit(request, pk, round_unit_pk, rectification_pk):
    """Update a measure; reached from the round it was recorded in or from a later one."""
    round_unit = get_object_or_404(RoundUnit.objects.select_related("round", "unit"), pk=round_unit_pk, round_id=pk)
    rectification = get_object_or_404(Rectification, pk=rectification_pk, round_unit__unit=round_unit.unit)
    form = RectificationForm(request.POST or None, instance=Rectification.objects.get(pk=rectification.pk))
    if request.method == "POST" and form.is_valid():
        services.rectification_update(rectification=rectification, actor=request.user, source="整改措施",
                                      **form.cleaned_data)
        messages.success(request, _("已更新整改措施。"))
        return redirect("rounds:unit", pk=pk, round_unit_pk=round_unit.pk)
    return render(request, "surveys/rounds/rectification_form.html",
                  {"round": round_unit.round, "round_unit": round_unit, "form": form,
                   "rectification": rectification})
