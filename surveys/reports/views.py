"""Report downloads (报表下载): find the round, check the scope, call a builder, send the file.

Every download is recorded in the audit trail (全程记实 asks to archive who took which file).
Files are built in an anonymous temporary file, never in memory, and deleted once sent.
A file over more ballots than `files.sync_limit()` (and every feedback .zip) is built by a
background job instead: a POST starts it and the job page shows its progress, then the file;
a GET of such a file shows that page's button instead of a request that could outlast a proxy.
"""

import tempfile
from functools import wraps

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.roles import MANAGE, results_required, visible_groups
from audit.services import audit_record
from jobs.services import job_start
from sheets.writer import xlsx_response
from units.models import Unit

from .availability import files_refusal
from .feedback import feedback_context, feedback_filename, unit_feedback_workbook
from .files import (
    DOWNLOAD_ACTION,
    EXPORTS,
    report_rounds,
    scope_ballots,
    scoped_round_units,
    sync_limit,
)
from .raw_export import BallotRows, ballots_filename, iter_ballots_csv, write_ballots_xlsx
from .round_report import build_round_report, round_report_filename

JOB_HANDLER = "surveys.reports.jobs.export_job"
EXPORT_LABELS = {
    "round_report": gettext_lazy("结果报表"),
    "feedback_zip": gettext_lazy("各单位反馈（zip）"),
    "ballots_xlsx": gettext_lazy("原始票（xlsx）"),
    "ballots_csv": gettext_lazy("原始票（csv）"),
}


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


def _background(request, round_, kind):
    """Start the job that builds a file (POST), or show the button that starts it (GET)."""
    if request.method != "POST":
        context = {
            "round": round_, "kind": kind, "label": EXPORT_LABELS[kind],
            "ballots": scope_ballots(round_, visible_groups(request.user)), "limit": sync_limit(),
        }
        return render(request, "surveys/reports/background.html", context)
    job = job_start(
        kind=f"reports.{kind}",
        label=_("%(round)s：%(file)s") % {"round": round_.name, "file": EXPORT_LABELS[kind]},
        handler=JOB_HANDLER, params={"round_id": round_.pk, "kind": kind}, actor=request.user,
        back_url=reverse("reports:round", args=[round_.pk]),
    )
    return redirect("jobs:detail", pk=job.pk)


def _in_background(request, round_, kind, groups):
    export = EXPORTS[kind]
    return request.method == "POST" or export.always_job or scope_ballots(round_, groups) > sync_limit()


def _exports(user, round_):
    """{kind: True when the file is built by a job} for the reader's scope of a round."""
    ballots = scope_ballots(round_, visible_groups(user))
    return {kind: export.always_job or ballots > sync_limit() for kind, export in EXPORTS.items()}


@results_required
def index(request):
    rounds = list(report_rounds(request.user))
    for round_ in rounds:
        round_.exports = _exports(request.user, round_)
    return render(request, "surveys/reports/index.html", {"rounds": rounds})


@results_required
def round_detail(request, pk):
    round_ = get_object_or_404(report_rounds(request.user), pk=pk)
    round_units = scoped_round_units(round_, visible_groups(request.user))
    context = {"round": round_, "round_units": round_units, "exports": _exports(request.user, round_),
               "refusal": files_refusal(round_)}
    return render(request, "surveys/reports/round.html", context)


@results_required
@refuses_open_rounds
@require_http_methods(["GET", "POST"])
def round_report(request, pk):
    round_ = _round(request, pk)
    groups = visible_groups(request.user)
    if _in_background(request, round_, "round_report", groups):
        return _background(request, round_, "round_report")
    filename = round_report_filename(round_)
    book_file = tempfile.TemporaryFile()
    build_round_report(round_, book_file, user=request.user, groups=groups)
    _record(request, round_, "round_report", filename, groups)
    return xlsx_response(book_file, filename)


@results_required
@refuses_open_rounds
def unit_feedback(request, pk, unit_pk):
    round_ = _round(request, pk)
    unit = get_object_or_404(Unit, pk=unit_pk)
    ctx = feedback_context(
        round_, user=request.user, groups=visible_groups(request.user), unit=unit,
        published_only=not request.user.has_perm(MANAGE),
    )
    if not ctx.units:
        raise Http404(_("本轮没有这个单位，或它不在您的查看范围内。"))
    result = ctx.units[0]
    filename = feedback_filename(round_, result.unit)  # the name the results carry (as sealed)
    book = unit_feedback_workbook(ctx, result)
    _record(request, round_, "unit_feedback", filename, visible_groups(request.user), unit=unit.code)
    return xlsx_response(book, filename)


@results_required
@refuses_open_rounds
@require_http_methods(["GET", "POST"])
def feedback_zip(request, pk):
    """Every unit's feedback in one .zip: always built by a job, offered on its page."""
    return _background(request, _round(request, pk), "feedback_zip")


@results_required
@refuses_open_rounds
@require_http_methods(["GET", "POST"])
def ballots_xlsx(request, pk):
    round_ = _round(request, pk)
    groups = visible_groups(request.user)
    if _in_background(request, round_, "ballots_xlsx", groups):
        return _background(request, round_, "ballots_xlsx")
    rows = BallotRows(round_, scoped_round_units(round_, groups))
    filename = ballots_filename(round_, "xlsx")
    book_file = tempfile.TemporaryFile()
    count = write_ballots_xlsx(rows, book_file)
    _record(request, round_, "ballots_xlsx", filename, groups, ballots=count)
    return xlsx_response(book_file, filename)


@results_required
@refuses_open_rounds
@require_http_methods(["GET", "POST"])
def ballots_csv(request, pk):
    round_ = _round(request, pk)
    groups = visible_groups(request.user)
    if _in_background(request, round_, "ballots_csv", groups):
        return _background(request, round_, "ballots_csv")
    rows = BallotRows(round_, scoped_round_units(round_, groups))
    filename = ballots_filename(round_, "csv")
    # Recorded before the first byte: the rows are produced while the response streams.
    _record(request, round_, "ballots_csv", filename, groups)
    response = StreamingHttpResponse(iter_ballots_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
