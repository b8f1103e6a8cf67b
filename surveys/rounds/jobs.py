"""Background jobs of the round lifecycle: close and seal, recount and seal, verify.

Each reads a million ballots at the size of a province, so the pages start them as jobs
(`jobs.services.job_start`) and show their progress; `close_round` and `verify_round` run
the same services from the shell.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from jobs.services import JobFailed
from surveys.models import Round

from . import services


def _round(round_id):
    try:
        return Round.objects.get(pk=round_id)
    except Round.DoesNotExist as exc:
        raise JobFailed(_("测评轮次不存在。")) from exc


def _sealed(round_, verb):
    round_.refresh_from_db()
    fingerprint = round_.snapshot.fingerprint
    return {
        "message": _("%(verb)s，封存指纹 %(fingerprint)s。") % {"verb": verb, "fingerprint": fingerprint},
        "lines": [_("封存指纹：%(fingerprint)s（打印的报表上印有同一指纹，可据此核对）") % {"fingerprint": fingerprint}],
        "fingerprint": fingerprint,
    }


def close_job(job, progress, *, round_id, discard_reason=""):
    """Stop intake, recount every unit and seal."""
    round_ = _round(round_id)
    try:
        if round_.status == services.RoundStatus.OPEN:
            round_ = services.round_stop(round_=round_, actor=job.created_by, source="测评·结束并封存",
                                         discard_reason=discard_reason)
        services.round_seal(round_=round_, actor=job.created_by, source="测评·结束并封存", progress=progress)
    except ValidationError as exc:
        raise JobFailed(" ".join(exc.messages)) from exc
    return _sealed(round_, _("测评已结束并封存"))


def recount_job(job, progress, *, round_id):
    """Repair path: rebuild the tallies from the ballots (recorded), then seal."""
    round_ = _round(round_id)
    try:
        services.round_recount(round_=round_, actor=job.created_by, source="测评·重新计票并封存",
                               progress=progress)
    except ValidationError as exc:
        raise JobFailed(" ".join(exc.messages)) from exc
    return _sealed(round_, _("已按测评票重新计票并封存"))


def verify_job(job, progress, *, round_id):
    """Check the seal and the tallies against a recount; the verdict lists every change."""
    round_ = _round(round_id)
    result = services.round_verify(round_=round_, actor=job.created_by, source="测评·核验封存",
                                   progress=progress)
    if not result.sealed:
        raise JobFailed(result.summary())
    verdict = _("封存完好") if result.intact else _("发现 %(findings)s 处变动") % {"findings": len(result.findings)}
    return {
        "message": _("%(verdict)s（封存指纹 %(fingerprint)s）。") % {"verdict": verdict, "fingerprint": result.fingerprint},
        "lines": [result.summary()] if result.intact else result.findings,
        "intact": result.intact,
        "fingerprint": result.fingerprint,
    }
