"""Lifecycle buttons: each GET shows what will happen, each POST does it.

Closing (with its seal), recounting and verifying read every ballot of the round: the POST
starts a background job and the browser goes to the job's page (docs/jobs.md).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.utils.translation import gettext as _

from accounts.roles import staff_required
from credibility.text import labelled
from jobs.models import Job
from jobs.services import job_start
from surveys.models import ResultSnapshot, Round, RoundStatus

from .. import investigations, services
from ..forms import CloseForm, PublishForm, ReopenForm

HANDLERS = "surveys.rounds.jobs"


def _start_job(request, round_, *, kind, label, handler, **params):
    """Start a lifecycle job for the round, or show the one already under way."""
    running = Job.objects.unfinished().filter(kind__startswith="round.", params__round_id=round_.pk).first()
    if running is not None:
        messages.info(request, _("本轮测评已有一项后台任务在进行，请等它完成。"))
        return redirect("jobs:detail", pk=running.pk)
    job = job_start(
        kind=kind, label=labelled(label, round_), handler=f"{HANDLERS}.{handler}",
        params={"round_id": round_.pk, **params}, actor=request.user,
        back_url=reverse("rounds:detail", args=[round_.pk]),
    )
    return redirect("jobs:detail", pk=job.pk)


@staff_required
def round_open(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    context = {"round": round_, "action": "open", "title": _("开启测评")}
    if request.method == "POST":
        try:
            services.round_open(round_=round_, actor=request.user, source="测评·开启测评")
        except ValidationError as exc:
            context["refusal"] = " ".join(exc.messages)
        else:
            messages.success(request, _("测评已开启。"))
            return redirect("rounds:detail", pk=round_.pk)
    return render(request, "surveys/rounds/round_confirm.html", context)


@staff_required
def round_close(request, pk):
    """Confirm the close; unfinished paper batches need a decision; then the close job."""
    round_ = get_object_or_404(Round, pk=pk)
    unfinished = services.unfinished_paper_batches(round_) if round_.status == RoundStatus.OPEN else []
    form = CloseForm(request.POST if request.method == "POST" else None, unfinished=unfinished)
    context = {"round": round_, "action": "close", "title": _("结束测评"), "form": form, "unfinished": unfinished}
    if round_.status != RoundStatus.OPEN:
        context["refusal"] = _("只有进行中的测评可以结束。")
    elif request.method == "POST" and form.is_valid():
        return _start_job(request, round_, kind="round.close", label=_("结束并封存"), handler="close_job",
                          discard_reason=form.cleaned_data["reason"].strip())
    return render(request, "surveys/rounds/round_confirm.html", context)


@staff_required
@require_POST
def round_seal(request, pk):
    """Seal a closed round that is not sealed yet: seal again after a failed attempt, or
    (action=recount) rebuild the tallies from the ballots first."""
    round_ = get_object_or_404(Round, pk=pk)
    if round_.status not in services.SEALABLE or ResultSnapshot.objects.filter(round=round_).exists():
        messages.error(request, _("只有已结束、尚未封存的测评可以封存。"))
        return redirect("rounds:detail", pk=round_.pk)
    if request.POST.get("action") == "recount":
        if round_.status != RoundStatus.CLOSED:
            messages.error(request, _("只有已结束、尚未发布的测评可以重新计票。"))
            return redirect("rounds:detail", pk=round_.pk)
        return _start_job(request, round_, kind="round.recount", label=_("重新计票并封存"), handler="recount_job")
    return _start_job(request, round_, kind="round.close", label=_("封存"), handler="close_job")


@staff_required
def round_publish(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    sealed = ResultSnapshot.objects.filter(round=round_).exists()
    shortfall = services.publish_shortfall(round_) if round_.status == RoundStatus.CLOSED else None
    form = PublishForm(request.POST if request.method == "POST" else None, shortfall=shortfall)
    context = {"round": round_, "action": "publish", "title": _("发布结果"), "form": form,
               "shortfall": shortfall, "sealed": sealed}
    if request.method == "POST" and form.is_valid():
        try:
            services.round_publish(round_=round_, actor=request.user, source="测评·发布结果",
                                   reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            context["refusal"] = " ".join(exc.messages)
        else:
            messages.success(request, _("结果已发布，领导可以查看。"))
            return redirect("rounds:detail", pk=round_.pk)
    if round_.status == RoundStatus.CLOSED:
        context["pending"] = [row for row in investigations.below_standard(round_) if row.pending]
    return render(request, "surveys/rounds/round_confirm.html", context)


@staff_required
def round_reopen(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    form = ReopenForm(request.POST or None)
    context = {"round": round_, "action": "reopen", "title": _("重新开启测评"), "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            services.round_reopen(round_=round_, reason=form.cleaned_data["reason"],
                                  actor=request.user, source="测评·重新开启")
        except ValidationError as exc:
            context["refusal"] = " ".join(exc.messages)
        else:
            messages.success(request, _("测评已重新开启，可继续收票；再次结束时将重新封存。"))
            return redirect("rounds:detail", pk=round_.pk)
    return render(request, "surveys/rounds/round_confirm.html", context)


@staff_required
def round_verify(request, pk):
    """GET: what verification checks, and the earlier verdicts; POST: start the verify job."""
    round_ = get_object_or_404(Round, pk=pk)
    if request.method == "POST":
        if not ResultSnapshot.objects.filter(round=round_).exists():
            messages.error(request, _("本轮测评尚未封存。"))
            return redirect("rounds:detail", pk=round_.pk)
        return _start_job(request, round_, kind="round.verify", label=_("核验封存"), handler="verify_job")
    earlier = Job.objects.filter(kind="round.verify", params__round_id=round_.pk).select_related("created_by")[:10]
    return render(request, "surveys/rounds/round_verify.html", {
        "round": round_, "snapshot": ResultSnapshot.objects.filter(round=round_).defer("results", "detail", "parts").first(),
        "earlier": earlier,
    })
