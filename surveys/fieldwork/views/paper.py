"""Paper ballots for staff: keying (single or double), reconciling, importing a sheet."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import staff_required
from credibility.text import clauses
from sheets import held
from sheets import limits as sheet_limits
from sheets.reader import SheetRefused, read_upload
from sheets.writer import download_name, xlsx_response
from surveys.models import (
    PaperBatch,
    PaperBatchStatus,
    PaperEntry,
    RespondentCategory,
    Round,
    RoundStatus,
)

from ..forms import ImportAgainForm, ImportForm, KeyingForm, PaperBatchForm
from ..paper_import import template_workbook
from ..services import (
    DuplicateImport,
    paper_ballot_key,
    paper_ballots_import,
    sync_import_limit,
    paper_batch_close_keying,
    paper_batch_count,
    paper_batch_create,
    paper_batch_differences,
    paper_entry_key,
    pass_keyers,
)
from .codes import _round_unit


@staff_required
def paper_key(request, pk):
    """Single keying: one paper ballot per screen, counted as soon as it is saved."""
    round_unit = _round_unit(pk)
    if round_unit.round.require_double_keying:
        messages.info(request, _("本轮要求双人录入：请先建立纸质票批次，再分两遍录入。"))
        return redirect("fieldwork:unit", pk=round_unit.pk)
    form = KeyingForm(request.POST or None, round_=round_unit.round)
    if request.method == "POST" and form.is_valid():
        try:
            paper_ballot_key(
                round_unit=round_unit, category=form.category, answers=form.answers(),
                opinion=form.opinion(), actor=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            round_unit.refresh_from_db()
            messages.success(request, _("已保存。%(name)s已录入纸质票 %(paper_ballots)s 张。") % {"name": round_unit.unit.name, "paper_ballots": round_unit.paper_ballots})
            return redirect("fieldwork:paper_key", pk=round_unit.pk)
    round_unit.refresh_from_db()
    context = {
        "form": form, "ru": round_unit, "round": round_unit.round,
        "count": round_unit.paper_ballots, "limit": round_unit.paper_forms_issued,
        "heading": _("纸质票录入"),
    }
    return render(request, "surveys/fieldwork/key.html", context, status=400 if form.errors else 200)


@staff_required
@require_POST
def paper_batch_new(request, pk):
    round_unit = _round_unit(pk)
    form = PaperBatchForm(request.POST)
    if form.is_valid():
        try:
            batch = paper_batch_create(round_unit=round_unit, label=form.cleaned_data["label"], actor=request.user)
        except ValidationError as error:
            messages.error(request, clauses(error.messages))
        else:
            messages.success(request, _("已建立批次“%(label)s”。") % {"label": batch.label})
    else:
        messages.error(request, _("请填写批次名称。"))
    return redirect("fieldwork:unit", pk=round_unit.pk)


def _paper_batch(pk):
    return get_object_or_404(
        PaperBatch.objects.select_related("round_unit__round", "round_unit__unit"), pk=pk
    )


@staff_required
def paper_pass(request, pk, pass_no):
    """Double keying: one pass of a batch, one ballot per screen; nothing counts yet."""
    batch = _paper_batch(pk)
    if pass_no not in (1, 2) or not batch.double_keyed:
        raise Http404
    if batch.status != PaperBatchStatus.KEYING:
        messages.info(request, _("该批次已结束录入。"))
        return redirect("fieldwork:paper_reconcile", pk=batch.pk)
    # Refused before the first ballot is keyed, not after a whole ballot was typed in vain.
    keyers = pass_keyers(batch)
    refusal = None
    if keyers.get(pass_no, request.user.pk) != request.user.pk:
        refusal = _("第%(pass_no)s遍已由其他工作人员录入。") % {"pass_no": pass_no}
    elif keyers.get(3 - pass_no) == request.user.pk:
        refusal = _("您已录入第%(other)s遍。两遍录入须由两名不同的工作人员完成，第%(pass_no)s遍请由另一位同事录入。") % {
            "other": 3 - pass_no, "pass_no": pass_no}
    if refusal:
        messages.error(request, refusal)
        return redirect("fieldwork:unit", pk=batch.round_unit_id)
    round_ = batch.round_unit.round
    form = KeyingForm(request.POST or None, round_=round_)
    if request.method == "POST" and form.is_valid():
        try:
            entry = paper_entry_key(batch=batch, pass_no=pass_no, payload=form.payload(), actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("第%(pass_no)s遍第 %(seq)s 张已保存。") % {"pass_no": pass_no, "seq": entry.seq})
            return redirect("fieldwork:paper_pass", pk=batch.pk, pass_no=pass_no)
    context = {
        "form": form, "ru": batch.round_unit, "round": round_, "batch": batch, "pass_no": pass_no,
        "count": PaperEntry.objects.filter(batch=batch, pass_no=pass_no).count(), "limit": None,
        "heading": _("双人录入 · %(label)s · 第%(pass_no)s遍") % {"label": batch.label, "pass_no": pass_no},
    }
    return render(request, "surveys/fieldwork/key.html", context, status=400 if form.errors else 200)


@staff_required
@require_POST
def paper_batch_close(request, pk):
    batch = _paper_batch(pk)
    try:
        paper_batch_close_keying(batch=batch, actor=request.user)
    except ValidationError as error:
        messages.error(request, clauses(error.messages))
        return redirect("fieldwork:unit", pk=batch.round_unit_id)
    return redirect("fieldwork:paper_reconcile", pk=batch.pk)


def _describe(payload, round_, categories):
    """[(question, answer text)] of a keyed ballot, for side-by-side comparison."""
    if payload is None:
        return None
    scale = round_.scale_def
    answers = payload["answers"]
    rows = [(_("参评人员类别"), categories.get(payload["category"], _("？")))]
    for item in round_.items.rated().order_by("order", "pk"):
        value = answers.get(str(item.pk))
        rows.append((item.text, scale.option(value).label if value else _("（空白）")))
    rows.append((_("意见建议"), payload.get("opinion") or _("（空白）")))
    return rows


@staff_required
def paper_reconcile(request, pk):
    batch = _paper_batch(pk)
    round_ = batch.round_unit.round
    differences = paper_batch_differences(batch)
    categories = {c.pk: c.name for c in RespondentCategory.objects.all()}
    if request.method == "POST":
        resolutions = {}
        for d in differences:
            value = request.POST.get(f"seq_{d.seq}", "")
            if value in ("0", "1", "2"):
                resolutions[d.seq] = int(value)
        try:
            counted = paper_batch_count(batch=batch, resolutions=resolutions, actor=request.user)
        except ValidationError as error:
            messages.error(request, clauses(error.messages))
        else:
            messages.success(request, _("批次“%(label)s”已计入 %(counted)s 张纸质票。") % {"label": batch.label, "counted": counted})
            return redirect("fieldwork:unit", pk=batch.round_unit_id)
    rows = []
    for d in differences:
        first, second = _describe(d.first, round_, categories), _describe(d.second, round_, categories)
        labels = [q for q, _ in (first or second)]
        lines = [
            (q, first[i][1] if first else _("（未录入）"), second[i][1] if second else _("（未录入）"))
            for i, q in enumerate(labels)
        ]
        rows.append({"seq": d.seq, "lines": [(q, a, b, a != b) for q, a, b in lines]})
    keyers = pass_keyers(batch)
    context = {
        "batch": batch, "ru": batch.round_unit, "round": round_, "rows": rows,
        "counts": {n: PaperEntry.objects.filter(batch=batch, pass_no=n).count() for n in (1, 2)},
        "is_keyer": request.user.pk in keyers.values(),
    }
    return render(request, "surveys/fieldwork/reconcile.html", context)


def _import_purpose(round_):
    return f"paper-import-{round_.pk}"


def _import_page(request, round_, *, form=None, errors=(), duplicate=None, again_form=None, status=200):
    context = {
        "round": round_, "form": form or ImportForm(), "errors": list(errors),
        "duplicate": duplicate, "again_form": again_form,
        "open": round_.status == RoundStatus.OPEN,
        "imports": round_.paper_imports.select_related("created_by", "job")[:20],
        "sync_limit": sync_import_limit(),
    }
    return render(request, "surveys/fieldwork/import.html", context, status=status)


def _imported(request, record):
    """Written now: back to the round with a message. Queued: the job page shows the progress."""
    if record.job_id:  # the job page, even when a worker-less trial has run it already
        return redirect("jobs:detail", pk=record.job_id)
    messages.success(request, _("已导入 %(n)s 张纸质票。") % {"n": f"{record.ballots:,}"})
    return redirect("fieldwork:round", pk=record.round_id)


@staff_required
def paper_import(request, pk):
    """Upload a file: it is checked whole in the request; small files are written at once,
    large ones by a background job (the request only checks and queues)."""
    round_ = get_object_or_404(Round, pk=pk)
    if request.method != "POST":
        return _import_page(request, round_)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, round_, form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        data = read_upload(upload, sheet_limits.current())
        record = paper_ballots_import(round_=round_, upload=data, file_name=upload.name, actor=request.user)
    except DuplicateImport as duplicate:
        token = held.hold(request, _import_purpose(round_), data, upload.name)
        again = ImportAgainForm(initial={"token": token})
        return _import_page(request, round_, duplicate=duplicate, again_form=again, status=409)
    except SheetRefused as refusal:
        return _import_page(request, round_, errors=refusal.messages, status=400)
    held.release(request, _import_purpose(round_))
    return _imported(request, record)


@staff_required
@require_POST
def paper_import_again(request, pk):
    """Import a file whose ballots were imported before, with a written reason (audited)."""
    round_ = get_object_or_404(Round, pk=pk)
    purpose = _import_purpose(round_)
    form = ImportAgainForm(request.POST)
    file = held.held(request, purpose, request.POST.get("token", ""))
    if file is None:
        return _import_page(request, round_, errors=[
            _("待确认的文件已过期或已被新的上传替换，未导入任何纸质票。请重新上传。")], status=400)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        record = paper_ballots_import(round_=round_, upload=file.data, file_name=file.name,
                                      actor=request.user, reason=reason)
    except DuplicateImport as duplicate:  # no valid reason given
        return _import_page(request, round_, duplicate=duplicate, again_form=form, status=400)
    except SheetRefused as refusal:  # e.g. forms issued changed meanwhile
        held.release(request, purpose)
        return _import_page(request, round_, errors=refusal.messages, status=400)
    held.release(request, purpose)
    return _imported(request, record)


@staff_required
def paper_import_template(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    name = download_name(round_.name, _("纸质票导入模板"))
    return xlsx_response(template_workbook(round_), name)
