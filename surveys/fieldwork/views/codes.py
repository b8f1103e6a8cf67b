"""Fieldwork for staff: per-unit progress, issuing and voiding codes, slips and code lists."""

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.roles import staff_required
from surveys import codes
from surveys.models import CodeBatch, CodeStatus, Round, RoundStatus, RoundUnit

from ..forms import IssueCodesForm, PaperBatchForm, PaperFormsIssuedForm, VoidBatchForm
from ..services import batch_codes, code_counts, codes_disclose, codes_issue, codes_void, paper_forms_set

ACTIVE = (RoundStatus.OPEN, RoundStatus.DRAFT)


def _percent(part, whole):
    return f"{100 * part / whole:.1f}%" if whole else "—"


@staff_required
def index(request):
    rounds = Round.objects.filter(status__in=ACTIVE)
    return render(request, "surveys/fieldwork/index.html", {"rounds": rounds})


@staff_required
def round_detail(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    rows = list(code_counts(RoundUnit.objects.filter(round=round_).select_related("unit")))
    for row in rows:
        row.codes_live = row.codes_issued - row.codes_void
        row.online_turnout = _percent(row.online_ballots, row.codes_live)
        row.paper_turnout = _percent(row.paper_ballots, row.paper_forms_issued)
    totals = {
        key: sum(getattr(row, key) for row in rows)
        for key in ("planned_sample", "codes_issued", "codes_used", "codes_void", "codes_live",
                    "online_ballots", "paper_forms_issued", "paper_ballots")
    }
    totals["online_turnout"] = _percent(totals["online_ballots"], totals["codes_live"])
    totals["paper_turnout"] = _percent(totals["paper_ballots"], totals["paper_forms_issued"])
    context = {"round": round_, "rows": rows, "totals": totals, "now": timezone.now()}
    return render(request, "surveys/fieldwork/round.html", context)


def _unit_context(round_unit, **forms):
    counted = code_counts(RoundUnit.objects.filter(pk=round_unit.pk)).get()
    return {
        "ru": round_unit,
        "round": round_unit.round,
        "counts": counted,
        "batches": round_unit.code_batches.select_related("created_by"),
        "paper_batches": round_unit.paper_batches.all(),
        "issue_form": forms.get("issue_form") or IssueCodesForm(),
        "forms_form": forms.get("forms_form")
        or PaperFormsIssuedForm(round_unit=round_unit, initial={"issued": round_unit.paper_forms_issued}),
        "batch_form": forms.get("batch_form") or PaperBatchForm(),
        "can_issue": round_unit.round.status in ACTIVE,
        "can_key": round_unit.round.status == RoundStatus.OPEN,
    }


def _round_unit(pk):
    return get_object_or_404(RoundUnit.objects.select_related("round", "unit"), pk=pk)


@staff_required
def unit_detail(request, pk):
    return render(request, "surveys/fieldwork/unit.html", _unit_context(_round_unit(pk)))


@staff_required
@require_POST
def codes_issue_view(request, pk):
    round_unit = _round_unit(pk)
    form = IssueCodesForm(request.POST)
    if form.is_valid():
        try:
            batch, plain = codes_issue(
                round_unit=round_unit, size=form.cleaned_data["size"], actor=request.user
            )
        except ValidationError as error:
            form.add_error("size", error)
        else:
            messages.success(request, _("已生成 %(count)s 个测评码（第 %(pk)s 批），可打印测评码条或下载清单。") % {"count": len(plain), "pk": batch.pk})
            return redirect("fieldwork:unit", pk=round_unit.pk)
    return render(request, "surveys/fieldwork/unit.html", _unit_context(round_unit, issue_form=form), status=400)


@staff_required
@require_POST
def paper_forms_view(request, pk):
    round_unit = _round_unit(pk)
    form = PaperFormsIssuedForm(request.POST, round_unit=round_unit)
    if form.is_valid():
        try:
            paper_forms_set(round_unit=round_unit, issued=form.cleaned_data["issued"], actor=request.user)
        except ValidationError as error:
            form.add_error("issued", error)
        else:
            messages.success(request, _("%(name)s的发出票数已记为 %(issued)s。") % {"name": round_unit.unit.name, "issued": form.cleaned_data['issued']})
            return redirect(request.POST.get("next") or reverse("fieldwork:unit", args=[round_unit.pk]))
    return render(request, "surveys/fieldwork/unit.html", _unit_context(round_unit, forms_form=form), status=400)


def _batch(pk):
    return get_object_or_404(CodeBatch.objects.select_related("round_unit__round", "round_unit__unit"), pk=pk)


@staff_required
@require_POST
def batch_void(request, pk):
    batch = _batch(pk)
    form = VoidBatchForm(request.POST)
    if form.is_valid():
        try:
            voided = codes_void(batch=batch, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("第 %(pk)s 批已作废，%(voided)s 个未使用的测评码不能再使用。") % {"pk": batch.pk, "voided": voided})
    else:
        messages.error(request, _("请填写作废原因。"))
    return redirect("fieldwork:unit", pk=batch.round_unit_id)


def questionnaire_url(request):
    """The absolute address of /s/ as respondents reach it (settings can override it)."""
    return getattr(settings, "SURVEY_PUBLIC_URL", "") or request.build_absolute_uri(
        reverse("respondent:start")
    )


def _usable(batch):
    """Every readable code of a batch that is not void: never filtered by use while the round
    is open, or the slips printed before and after a submission would name its code."""
    if batch.voided_at:
        return []
    return [code for code, status in batch_codes(batch) if code and status != CodeStatus.VOID]


@staff_required
def batch_slips(request, pk):
    batch = _batch(pk)
    base = questionnaire_url(request)
    plain = _usable(batch)
    slips = []
    for code in plain:
        link = f"{base}?code={codes.display(code)}"
        qr = segno.make(link, error="m")
        slips.append({"code": codes.display(code), "svg": qr.svg_inline(scale=3, border=2)})
    codes_disclose(batch=batch, actor=request.user, form="print")
    context = {
        "batch": batch, "ru": batch.round_unit, "round": batch.round_unit.round, "slips": slips,
        "short_url": base.split("://", 1)[-1],
    }
    return render(request, "surveys/fieldwork/slips.html", context)


@staff_required
def batch_codes_xlsx(request, pk):
    batch = _batch(pk)
    base = questionnaire_url(request)
    book = Workbook()
    sheet = book.active
    sheet.title = _("测评码")
    sheet.append([batch.round_unit.round.name, batch.round_unit.unit.name, _("第 %(pk)s 批") % {"pk": batch.pk}])
    sheet.append([_("共 %(size)s 个，已使用 %(codes_used)s 个，已作废 %(codes_void)s 个") % {"size": batch.size, "codes_used": batch.codes_used, "codes_void": batch.codes_void}])
    rows = batch_codes(batch)
    # Until the round closes the list shows no status per code, only the batch's counts.
    with_status = batch.round_unit.round.status not in ACTIVE
    if not with_status:
        sheet.append([_("测评结束前不显示每个测评码是否已使用。")])
    sheet.append([_("序号"), _("测评码"), _("填写地址"), *([_("状态")] if with_status else [])])
    labels = {value: str(label) for value, label in CodeStatus.choices}
    for number, (code, status) in enumerate(rows, start=1):
        shown = codes.display(code) if code else _("（无法解密）")
        link = f"{base}?code={shown}" if code else ""
        sheet.append([number, shown, link, *([labels[status]] if with_status else [])])
    for letter, width in (("A", 8), ("B", 18), ("C", 60), ("D", 10)):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    codes_disclose(batch=batch, actor=request.user, form="download")
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="codes-batch-{batch.pk}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
