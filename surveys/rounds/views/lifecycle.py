"""Lifecycle buttons: each GET shows what will happen, each POST does it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from accounts.roles import staff_required
from surveys.models import Round

from .. import investigations, services
from ..forms import ReopenForm

ACTIONS = {
    "open": (services.round_open, "开启测评", "测评已开启。"),
    "close": (services.round_close, "结束测评", "测评已结束并封存。"),
    "publish": (services.round_publish, "发布结果", "结果已发布，领导可以查看。"),
}


def _transition(request, pk, action):
    round_ = get_object_or_404(Round, pk=pk)
    service, title, done = ACTIONS[action]
    context = {"round": round_, "action": action, "title": title}
    if request.method == "POST":
        try:
            service(round_=round_, actor=request.user, source=f"测评·{title}")
        except ValidationError as exc:
            context["refusal"] = " ".join(exc.messages)
        else:
            messages.success(request, done)
            return redirect("rounds:detail", pk=round_.pk)
    if action == "publish":
        context["pending"] = [row for row in investigations.below_standard(round_) if row.pending]
    return render(request, "surveys/rounds/round_confirm.html", context)


@staff_required
def round_open(request, pk):
    return _transition(request, pk, "open")


@staff_required
def round_close(request, pk):
    return _transition(request, pk, "close")


@staff_required
def round_publish(request, pk):
    return _transition(request, pk, "publish")


@staff_required
def round_reopen(request, pk):
    round_ = get_object_or_404(Round, pk=pk)
    form = ReopenForm(request.POST or None)
    context = {"round": round_, "action": "reopen", "title": "重新开启测评", "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            services.round_reopen(round_=round_, reason=form.cleaned_data["reason"],
                                  actor=request.user, source="测评·重新开启")
        except ValidationError as exc:
            context["refusal"] = " ".join(exc.messages)
        else:
            messages.success(request, "测评已重新开启，可继续收票；再次结束时将重新封存。")
            return redirect("rounds:detail", pk=round_.pk)
    return render(request, "surveys/rounds/round_confirm.html", context)


@staff_required
def round_verify(request, pk):
    """Recompute the seal now (read only) and say what changed since the close."""
    round_ = get_object_or_404(Round, pk=pk)
    return render(request, "surveys/rounds/round_verify.html",
                  {"round": round_, "verification": services.round_verify(round_=round_)})
