"""Report downloads (报表下载): find the round, check the scope, call a builder, send the file.

Every download is recorded in the audit trail (全程记实 asks to archive who took which file).
Files are built in an anonymous temporary file, never in memory, and deleted once sent.
"""

import tempfile
from functools import wraps

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import MANAGE, results_required, visible_groups
from audit.services import audit_record
from jobs.services import job_start
from surveys.models import Round, RoundStatus, RoundUnit
from surveys.selectors import UNIT_ORDER
from units.models import Unit

from .availability import files_refusal
from .feedback import build_unit_feedback, feedback_context, feedback_filename
from .raw_export import BallotRows, ballots_filename, iter_ballots_csv, write_ballots_xlsx
from .round_report import build_round_report, round_report_filename

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOAD_ACTION = "download report"


def report_rounds(user):
    """Rounds whose files a user may take: staff any round that has begun, leaders published."""
    if user.has_perm(MANAGE):
        return Round.objects.exclude(status=RoundStatus.DRAFT)
    return Round.objects.published()


class RoundNotReady(Exception):
    """A download asked for a round whose files may not leave the server yet."""

    def __init__(self, round_, message):
        super().__init__(message)
        self.round = round_
        self.message = message


def _round(request, pk):
    round_ = get_object_or_404(report_rounds(request.user), pk=pk)
    refusal = files_refusal(round_)
    if refusal:
        raise RoundNotReady(round_, refusal)
    return round_


def refuses_open_rounds(view):
    """Answer a download of an open round with the reason, not a file (409)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except RoundNotReady as refused:
            context = {"round": refused.round, "message": refused.message}
            return render(request, "surveys/reports/not_ready.html", context, status=409)

    return wrapped


def _scoped_round_units(round_, groups):
    round_units = RoundUnit.objects.filter(round=round_).select_related("unit__group")
    if groups is not None:
        round_units = round_units.filter(unit__group__in=groups)
    return list(round_units.order_by(*UNIT_ORDER))


def _record(request, round_, file, filename, groups, **extra):
    audit_record(
        actor=request.user,
        action=DOWNLOAD_ACTION,
        obj=round_,
        changes={
            "file": file,
            "filename": filename,
            "scope": "全部单位" if groups is None else [g.name for g in groups],
            **extra,
        },
        source="web",
    )


def _send(tmp, filename, content_type):
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=filename, content_type=content_type)


@results_required
def index(request):
    return render(request, "surveys/reports/index.html", {"rounds": report_rounds(request.user)})


@results_required
def round_detail(request, pk):
    round_ = get_object_or_404(report_rounds(request.user), pk=pk)
    round_units = _scoped_round_units(round_, visible_groups(request.user))
    return render(
        request, "surveys/reports/round.html",
        {"round": round_, "round_units": round_units, "refusal": files_refusal(round_)},
    )


@results_required
@refuses_open_rounds
def round_report(request, pk):
    round_ = _round(request, pk)
    groups = visible_groups(request.user)
    filename = round_report_filename(round_)
    tmp = tempfile.TemporaryFile()
    build_round_report(round_, tmp, user=request.user, groups=groups)
    _record(request, round_, "round_report", filename, groups)
    return _send(tmp, filename, XLSX)


def _feedback_context(request, round_, unit=None):
    return feedback_context(
        round_,
        user=request.user,
        groups=visible_groups(request.user),
        unit=unit,
        published_only=not request.user.has_perm(MANAGE),
    )


@results_required
@refuses_open_rounds
def unit_feedback(request, pk, unit_pk):
    round_ = _round(request, pk)
    unit = get_object_or_404(Unit, pk=unit_pk)
    ctx = _feedback_context(request, round_, unit)
    if not ctx.units:
        raise Http404(_("本轮没有这个单位，或它不在您的查看范围内。"))
    filename = feedback_filename(round_, unit)
    tmp = tempfile.TemporaryFile()
    build_unit_feedback(ctx, ctx.units[0], tmp)
    _record(request, round_, "unit_feedback", filename, visible_groups(request.user), unit=unit.code)
    return _send(tmp, filename, XLSX)


@results_required
@refuses_open_rounds
@require_POST
def feedback_zip(request, pk):
    """Every unit's feedback in one .zip takes a while: built as a job, offered on its page."""
    round_ = _round(request, pk)
    job = job_start(
        kind="reports.feedback_zip", label=_("%(round)s：各单位结果反馈（zip）") % {"round": round_.name},
        handler="surveys.reports.jobs.feedback_zip_job", params={"round_id": round_.pk},
        actor=request.user, back_url=reverse("reports:round", args=[round_.pk]),
    )
    return redirect("jobs:detail", pk=job.pk)


def _ballot_rows(request, round_):
    groups = visible_groups(request.user)
    return BallotRows(round_, _scoped_round_units(round_, groups)), groups


@results_required
@refuses_open_rounds
def ballots_xlsx(request, pk):
    round_ = _round(request, pk)
    rows, groups = _ballot_rows(request, round_)
    filename = ballots_filename(round_, "xlsx")
    tmp = tempfile.TemporaryFile()
    count = write_ballots_xlsx(rows, tmp)
    _record(request, round_, "ballots_xlsx", filename, groups, ballots=count)
    return _send(tmp, filename, XLSX)


@results_required
@refuses_open_rounds
def ballots_csv(request, pk):
    round_ = _round(request, pk)
    rows, groups = _ballot_rows(request, round_)
    filename = ballots_filename(round_, "csv")
    # Recorded before the first byte: the rows are produced while the response streams.
    _record(request, round_, "ballots_csv", filename, groups)
    response = StreamingHttpResponse(iter_ballots_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
