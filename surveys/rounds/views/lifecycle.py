"""Lifecycle buttons: each GET shows what will happen, each POST does it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import staff_required
from surveys.models import Round

from .. import investigations, services
from ..forms import ReopenForm

# (service, title, message when done, audit source: kept in Chinese like the whole trail)
ACTIONS = {
    "open": (services.round_open, gettext_lazy("开启测评"), gettext_lazy("测评已开启。"), "测评·开启测评"),
    "close": (services.round_close, gettext_lazy("结束测评"), gettext_lazy("测评已结束并封存。"), "测评·结束测评"),
    "publish": (services.round_publish, gettext_lazy("发布结果"), gettext_lazy("结果已发布，领导可以查看。"),
                "测评·发布结果"),
}


def _transition(request, pk, action):
    round_ = get_object_or_404(Round, pk=pk)
    service, title, done, source = ACTIONS[action]
    context = {"round": round_, "action": action, "title": title}
    if request.method == "POST":
        try:
            service(round_=round_, actor=request.user, source=source)
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
    """Recompute the seal now (read only) and say what changed since the close."""
    round_ = get_object_or_404(Round, pk=pk)
    return render(request, "surveys/rounds/round_verify.html",
                  {"round": round_, "verification": services.round_verify(round_=round_)})
