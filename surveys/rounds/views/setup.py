"""Round set-up (a few steps, each also an edit page while the round is a draft) and the
round's staff page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Sum, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.generic import ListView
from django.utils.translation import gettext_lazy

from accounts.roles import StaffRequiredMixin, staff_required
from surveys.models import Item, Round, RoundStatus
from units.models import UnitKind

from .. import services
from ..forms import (
    ItemAddForm,
    ItemFormSet,
    RoundBasicsForm,
    RoundCopyForm,
    RoundSettingsForm,
    RoundUnitsForm,
)

STEPS = [("rounds:edit", gettext_lazy("基本信息")), ("rounds:units", gettext_lazy("参评单位")),
         ("rounds:questionnaire", gettext_lazy("问卷")), ("rounds:settings", gettext_lazy("评定规则"))]


class RoundListView(StaffRequiredMixin, ListView):
    template_name = "surveys/rounds/round_list.html"
    context_object_name = "rounds"

    def get_queryset(self):
        # Newest first, like the home page (an aggregate drops the model's default ordering).
        return Round.objects.annotate(
            planned=Sum("round_units__planned_sample"),
            collected=Sum(F("round_units__online_ballots") + F("round_units__paper_ballots")),
        ).order_by("-year", "-opens_at", "-id")


def _context(round_, step, **extra):
    return {"round": round_, "steps": STEPS, "step": step, "frozen": round_.is_frozen, **extra}


def _refused(request, round_, exc):
    messages.error(request, " ".join(exc.messages))
    return redirect("rounds:detail", pk=round_.pk)


@staff_required
def round_create(request):
    form = RoundBasicsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        round_ = services.round_create(units=[], actor=request.user, source="新建测评·基本信息",
                                       **form.cleaned_data)
        messages.success(request, _("已创建测评草稿，问卷已按标准模板预填。下一步：选择参评单位。"))
        return redirect("rounds:units", pk=round_.pk)
    return render(request, "surveys/rounds/round_basics.html", {"form": form, "steps": STEPS, "step": 0})


@staff_required
def round_copy(request):
    latest = Round.objects.order_by("-year", "-opens_at").first()
    form = RoundCopyForm(request.POST or None, initial={
        "source_round": latest, "year": latest.year + 1 if latest else None,
    })
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        round_ = services.round_copy(actor=request.user, source="复制测评", **data)
        messages.success(request, _("已从“%(source_round)s”复制出测评草稿，请逐步核对。") % {"source_round": data['source_round']})
        return redirect("rounds:units", pk=round_.pk)
    return render(request, "surveys/rounds/round_copy.html", {"form": form})


@staff_required
def round_edit(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    form = RoundBasicsForm(request.POST or None, instance=Round.objects.get(pk=pk))
    if round_.is_frozen:
        for name in ("year", "opens_at"):
            form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.round_update(round_=round_, actor=request.user, source="测评·基本信息",
                                  **form.cleaned_data)
        except ValidationError as exc:
            return _refused(request, round_, exc)
        messages.success(request, _("已保存基本信息。"))
        return redirect("rounds:detail" if round_.is_frozen else "rounds:units", pk=round_.pk)
    return render(request, "surveys/rounds/round_basics.html", _context(round_, 0, form=form))


@staff_required
def round_units(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    form = RoundUnitsForm(request.POST or None, round_=round_)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_units_set(round_=round_, units=form.cleaned_data["chosen"],
                                     actor=request.user, source="测评·参评单位")
        except ValidationError as exc:
            return _refused(request, round_, exc)
        messages.success(request, _("已保存参评单位（%(chosen)s 个）。") % {"chosen": len(form.cleaned_data['chosen'])})
        return redirect("rounds:questionnaire", pk=round_.pk)
    return render(request, "surveys/rounds/round_units.html", _context(round_, 1, form=form))


@staff_required
def round_questionnaire(request, pk):
    """One form for the whole questionnaire: the existing items, an "add" row and a remove
    button per sub-indicator. Every button saves what was typed everywhere on the page, all
    or nothing, so an edit is never lost to another button."""
    round_ = get_object_or_404(Round, pk=pk)
    items = Item.objects.filter(round=round_)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    formset = ItemFormSet(data, queryset=items)
    add_form = ItemAddForm(data, adding=action == "add")
    if request.method == "POST" and round_.is_frozen:
        return _refused(request, round_, ValidationError(services.FROZEN_MESSAGE, code="frozen"))
    if request.method == "POST":
        remove = None
        if action.startswith("remove:"):
            remove = get_object_or_404(Item, round=round_, pk=action.split(":", 1)[1])
        if formset.is_valid() and add_form.is_valid():
            edits = [(form.instance, form.changed_fields()) for form in formset]
            edits = [(Item.objects.get(pk=item.pk), fields) for item, fields in edits if fields]
            try:
                added = services.questionnaire_update(
                    round_=round_, edits=edits, add_text=add_form.cleaned_data["text"], remove=remove,
                    actor=request.user, source="测评·问卷")
            except ValidationError as exc:
                return _refused(request, round_, exc)
            if action == "save":
                messages.success(request, _("已保存问卷。"))
                return redirect("rounds:settings", pk=round_.pk)
            if added:
                messages.success(request, _("已保存问卷并添加分项指标“%(text)s”。") % {"text": added.text})
            elif remove is not None:
                messages.success(request, _("已保存问卷并删除“%(text)s”。") % {"text": remove.text})
            else:
                messages.success(request, _("已保存问卷。"))
            return redirect("rounds:questionnaire", pk=round_.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/rounds/round_questionnaire.html",
                  _context(round_, 2, formset=formset, add_form=add_form), status=status)


@staff_required
def round_settings(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    form = RoundSettingsForm(request.POST or None, instance=Round.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        categories = data.pop("categories")
        fields = {k: v for k, v in data.items() if k in RoundSettingsForm.Meta.fields}
        try:
            services.round_update(round_=round_, actor=request.user, source="测评·评定规则", **fields)
            services.round_categories_set(round_=round_, categories=categories, actor=request.user,
                                          source="测评·评定规则")
        except ValidationError as exc:
            return _refused(request, round_, exc)
        messages.success(request, _("已保存评定规则。设置完成后，可在本页开启测评。"))
        return redirect("rounds:detail", pk=round_.pk)
    return render(request, "surveys/rounds/round_settings.html", _context(round_, 3, form=form))


@staff_required
def round_detail(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    # Districts before departments, as the policy lists them.
    round_units = list(round_.round_units.select_related("unit__group").order_by(
        Case(When(unit__kind=UnitKind.DISTRICT, then=0), default=1),
        "unit__group__order", "unit__group__name", "unit__order", "unit__code"))
    totals = {
        "planned": sum(ru.planned_sample for ru in round_units),
        "online": sum(ru.online_ballots for ru in round_units),
        "paper": sum(ru.paper_ballots for ru in round_units),
    }
    totals["collected"] = totals["online"] + totals["paper"]
    return render(request, "surveys/rounds/round_detail.html", {
        "round": round_, "round_units": round_units, "totals": totals, "steps": STEPS,
        "categories": round_.round_categories.select_related("category"),
        "items": round_.items.all(), "statuses": RoundStatus,
        "seal": services.seal_status(round_),
    })
