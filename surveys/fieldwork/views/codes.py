"""Fieldwork for staff: per-unit progress, issuing and voiding codes, slips and code lists;
round-wide issuing (a background job) and round-wide slips (one printable document)."""

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, When
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import staff_required
from credibility.text import clauses
from sheets.writer import xlsx_response
from jobs.services import job_start
from surveys import codes
from surveys.models import CodeBatch, CodeStatus, Round, RoundStatus, RoundUnit
from units.models import UnitGroup, UnitKind

from ..code_list import code_list_filename, code_list_workbook
from ..forms import IssueCodesForm, PaperBatchForm, PaperFormsIssuedForm, VoidBatchForm
from ..forms import IssueCodesForm, PaperBatchForm, PaperFormsIssuedForm, RoundIssueForm, VoidBatchForm
from ..public_url import slip_address
from ..round_codes import batches_to_print, codes_plan
from ..services import batch_codes, code_counts, codes_disclose, codes_issue, codes_void, paper_forms_set

ACTIVE = (RoundStatus.OPEN, RoundStatus.DRAFT)


def _percent(part, whole):
    return f"{100 * part / whole:.1f}%" if whole else "—"


@staff_required
def index(request):
    rounds = Round.objects.filter(status__in=ACTIVE)
    _url, warning = slip_address(request)
    return render(request, "surveys/fieldwork/index.html", {"rounds": rounds, "public_url_warning": warning})


DISTRICTS_FIRST = Case(When(unit__kind=UnitKind.DISTRICT, then=0), default=1)


def _round_rows(round_):
    """The round's units with their counts, districts first, then in registry order."""
    rows = list(code_counts(RoundUnit.objects.filter(round=round_).select_related("unit__group")).order_by(
        DISTRICTS_FIRST, "unit__group__order", "unit__group__name", "unit__order", "unit__code"))
    for row in rows:
        row.codes_live = row.codes_issued - row.codes_void
        row.online_turnout = _percent(row.online_ballots, row.codes_live)
        row.paper_turnout = _percent(row.paper_ballots, row.paper_forms_issued)
    return rows


def _round_context(request, round_, issue_form=None):
    rows = _round_rows(round_)
    totals = {
        key: sum(getattr(row, key) for row in rows)
        for key in ("planned_sample", "codes_issued", "codes_used", "codes_void", "codes_live",
                    "online_ballots", "paper_forms_issued", "paper_ballots")
    }
    totals["online_turnout"] = _percent(totals["online_ballots"], totals["codes_live"])
    totals["paper_turnout"] = _percent(totals["paper_ballots"], totals["paper_forms_issued"])
    groups = {}
    for row in rows:
        groups.setdefault(row.unit.group, []).append(row)
    _url, warning = slip_address(request)
    return {
        "round": round_, "rows": rows, "groups": list(groups.items()), "totals": totals, "now": timezone.now(),
        "can_issue": round_.status in ACTIVE, "public_url_warning": warning,
        "issue_form": issue_form or RoundIssueForm(round_=round_),
        # Ticked boxes survive a refused form (as strings, like the POST).
        "selected": set(issue_form.data.getlist("units")) if issue_form is not None else set(),
    }


@staff_required
def round_detail(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    return render(request, "surveys/fieldwork/round.html", _round_context(request, round_))


@staff_required
@require_POST
def round_issue(request, pk):
    """Start round-wide issuing as a background job; its page shows the progress."""
    round_ = get_object_or_404(Round, pk=pk)
    form = RoundIssueForm(request.POST, round_=round_)
    if round_.status not in ACTIVE:
        form.add_error(None, _("本轮测评已结束，不能再发放测评码。"))
    if form.is_valid():
        ids, margin = form.cleaned_data["round_unit_ids"], form.cleaned_data["margin"]
        wanted = sum(row.to_issue for row in codes_plan(RoundUnit.objects.filter(pk__in=ids), margin=margin))
        if not wanted:
            messages.info(request, _("所选单位都已有足够的测评码（计划样本量加 %(margin)s%%），没有生成新的测评码。")
                          % {"margin": margin})
            return redirect("fieldwork:round", pk=round_.pk)
        job = job_start(
            kind="fieldwork.issue_codes",
            label=_("%(round)s：为 %(n)s 个单位生成测评码") % {"round": round_.name, "n": len(ids)},
            handler="surveys.fieldwork.round_codes.issue_codes_job",
            params={"round_id": round_.pk, "round_unit_ids": ids, "margin": margin},
            actor=request.user, back_url=reverse("fieldwork:round", args=[round_.pk]),
        )
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "surveys/fieldwork/round.html", _round_context(request, round_, form), status=400)


DEFAULT_MARGIN = 10  # percent, as the round page proposes


def _unit_context(request, round_unit, **forms):
    counted = code_counts(RoundUnit.objects.filter(pk=round_unit.pk)).get()
    _url, warning = slip_address(request)
    # Propose what tops the unit up to its planned sample plus the usual margin; a unit that
    # holds enough gets no proposal (a replacement batch is sized by whoever asks for it).
    [plan] = codes_plan(RoundUnit.objects.filter(pk=round_unit.pk), margin=DEFAULT_MARGIN)
    return {
        "ru": round_unit,
        "round": round_unit.round,
        "counts": counted,
        "batches": round_unit.code_batches.select_related("created_by"),
        "paper_batches": round_unit.paper_batches.all(),
        "issue_form": forms.get("issue_form") or IssueCodesForm(initial={"size": plan.to_issue or None}),
        "plan": plan, "default_margin": DEFAULT_MARGIN,
        "forms_form": forms.get("forms_form")
        or PaperFormsIssuedForm(round_unit=round_unit, initial={"issued": round_unit.paper_forms_issued}),
        "batch_form": forms.get("batch_form") or PaperBatchForm(),
        "can_issue": round_unit.round.status in ACTIVE,
        "can_key": round_unit.round.status == RoundStatus.OPEN,
        "public_url_warning": warning,
    }


def _round_unit(pk):
    return get_object_or_404(RoundUnit.objects.select_related("round", "unit"), pk=pk)


@staff_required
def unit_detail(request, pk):
    return render(request, "surveys/fieldwork/unit.html", _unit_context(request, _round_unit(pk)))


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
            messages.success(request, _("已生成 %(n)s 个测评码（第 %(number)s 批），可打印测评码条或下载清单。")
                             % {"n": len(plain), "number": batch.number})
            return redirect("fieldwork:unit", pk=round_unit.pk)
    return render(request, "surveys/fieldwork/unit.html",
                  _unit_context(request, round_unit, issue_form=form), status=400)


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
    return render(request, "surveys/fieldwork/unit.html",
                  _unit_context(request, round_unit, forms_form=form), status=400)


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
            messages.error(request, clauses(error.messages))
        else:
            messages.success(request, _("第 %(number)s 批已作废，%(n)s 个未使用的测评码不能再使用。")
                             % {"number": batch.number, "n": voided})
    else:
        messages.error(request, _("请填写作废原因。"))
    return redirect("fieldwork:unit", pk=batch.round_unit_id)


def _usable(batch):
    """Every readable code of a batch that is not void: never filtered by use while the round
    is open, or the slips printed before and after a submission would name its code."""
    if batch.voided_at:
        return []
    return [code for code, status in batch_codes(batch) if code and status != CodeStatus.VOID]


def _slip(base, code):
    link = f"{base}?code={codes.display(code)}"
    return {"code": codes.display(code), "svg": segno.make(link, error="m").svg_inline(scale=3, border=2)}


@staff_required
def batch_slips(request, pk):
    batch = _batch(pk)
    if batch.round_unit.round.status not in ACTIVE:
        messages.error(request, _("本轮测评已结束，测评码已不能使用，不再打印测评码条。"))
        return redirect("fieldwork:unit", pk=batch.round_unit_id)
    base, warning = slip_address(request)
    slips = [_slip(base, code) for code in _usable(batch)]
    codes_disclose(batch=batch, actor=request.user, form="print")
    context = {
        "batch": batch, "ru": batch.round_unit, "round": batch.round_unit.round, "slips": slips,
        "short_url": base.split("://", 1)[-1], "public_url_warning": warning,
    }
    return render(request, "surveys/fieldwork/slips.html", context)


@staff_required
def round_slips(request, pk):
    """Every live batch of a round (or of one group) as one printable document: per unit a
    cover sheet for whoever hands the slips out, then its slips, ten to an A4 page.

    Streamed unit by unit: a group of thousands of slips takes seconds to draw, and the page
    fills while it is drawn (its print button waits for the end).
    """
    round_ = get_object_or_404(Round, pk=pk)
    if round_.status not in ACTIVE:
        messages.error(request, _("本轮测评已结束，测评码已不能使用，不再打印测评码条。"))
        return redirect("fieldwork:round", pk=round_.pk)
    group_id = request.GET.get("group", "")
    group = get_object_or_404(UnitGroup, pk=group_id) if group_id.isdigit() else None
    unprinted_only = request.GET.get("new") == "1"
    batches = batches_to_print(round_, group=group, unprinted_only=unprinted_only)
    base, warning = slip_address(request)
    short_url = base.split("://", 1)[-1]
    units = {}
    for batch in batches:
        units.setdefault(batch.round_unit, []).append(batch)
    for batch in batches:  # recorded before the first byte leaves, like every disclosure
        codes_disclose(batch=batch, actor=request.user, form="print")
    page = render_to_string("surveys/fieldwork/round_slips.html", {
        "round": round_, "group": group, "unprinted_only": unprinted_only, "units": len(units),
        "batches": len(batches), "public_url_warning": warning, "short_url": short_url,
    }, request=request)
    head, tail = page.split("<!-- slips -->", 1)

    def stream():
        yield head
        for round_unit, unit_batches in units.items():
            printable = [(batch, [_slip(base, code) for code in _usable(batch)]) for batch in unit_batches]
            yield render_to_string("surveys/fieldwork/_unit_slips.html", {
                "round": round_, "ru": round_unit, "batches": printable, "short_url": short_url,
                "count": sum(len(slips) for _batch, slips in printable),
            })
        yield tail

    response = StreamingHttpResponse(stream(), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def batch_codes_xlsx(request, pk):
    batch = _batch(pk)
    base, _warning = slip_address(request)
    book = code_list_workbook(batch, base)
    codes_disclose(batch=batch, actor=request.user, form="download")
    response = xlsx_response(book, code_list_filename(batch))
    response["Cache-Control"] = "no-store"
    return response
