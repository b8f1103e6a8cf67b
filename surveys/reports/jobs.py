"""Report files that take more than a moment, built by the background worker (docs/jobs.md)."""

from django.utils.translation import gettext as _

from accounts.roles import MANAGE, visible_groups
from audit.services import audit_record
from jobs.services import JobFailed, job_file
from surveys.models import Round

from .availability import files_refusal
from .feedback import build_feedback_zip, feedback_context, feedback_zip_filename
from .views import DOWNLOAD_ACTION


def feedback_zip_job(job, progress, *, round_id):
    """Every unit's feedback workbook in the starter's scope, as one .zip for the job page."""
    user = job.created_by
    round_ = Round.objects.filter(pk=round_id).first()
    if round_ is None or user is None:
        raise JobFailed(_("测评轮次不存在，未生成文件。"))
    refusal = files_refusal(round_)  # reopened since the job was started
    if refusal:
        raise JobFailed(refusal)
    groups = visible_groups(user)
    ctx = feedback_context(round_, user=user, groups=groups, published_only=not user.has_perm(MANAGE))
    path = job_file(job, ".zip")
    with open(path, "wb") as out:
        build_feedback_zip(ctx, out, progress=progress)
    job.file_path, job.file_name = str(path), feedback_zip_filename(round_)
    audit_record(
        actor=user, action=DOWNLOAD_ACTION, obj=round_, source="job",
        changes={"file": "feedback_zip", "filename": job.file_name,
                 "scope": "全部单位" if groups is None else [g.name for g in groups], "units": len(ctx.units)},
    )
    return {"message": _("已生成 %(n)s 个单位的结果反馈表（zip）。") % {"n": len(ctx.units)}}
