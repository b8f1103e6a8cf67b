"""Report files too large for a web request, built by the background worker (docs/jobs.md).

The view starts `export_job` and shows the job page; the job builds exactly the file the
direct download builds (same builder, the starter's scope as it is when the job runs), writes
it with `job_file`, and records the download in the audit trail. The management commands
export_report / export_ballots build the same files for scheduled archives.
"""

from django.utils.translation import gettext as _

from accounts.roles import visible_groups
from audit.services import audit_record
from jobs.services import JobFailed, job_file

from .availability import files_refusal
from .files import DOWNLOAD_ACTION, EXPORTS, report_rounds


def export_job(job, progress, *, round_id, kind):
    """Build one report file (round_report, ballots_xlsx, ballots_csv) for the job's starter."""
    user = job.created_by
    export = EXPORTS.get(kind)
    round_ = report_rounds(user).filter(pk=round_id).first() if user is not None else None
    if round_ is None or export is None:
        raise JobFailed(_("测评轮次不存在或您无权下载，未生成文件。"))
    if refusal := files_refusal(round_):  # e.g. reopened since the job was started
        raise JobFailed(refusal)
    groups = visible_groups(user)
    path = job_file(job, "." + export.ext)
    with open(path, "wb") as out:
        extra = export.build(round_, groups, out, user=user, progress=progress)
    job.file_path, job.file_name = str(path), export.filename(round_)
    audit_record(
        actor=user, action=DOWNLOAD_ACTION, obj=round_, source="job",
        changes={"file": kind, "filename": job.file_name,
                 "scope": "全部单位" if groups is None else [g.name for g in groups], **extra},
    )
    return {"message": _("已生成 %(name)s。") % {"name": job.file_name}}


def feedback_zip_job(job, progress, *, round_id):
    """Every unit's feedback in one .zip (jobs queued under this name before export_job)."""
    return export_job(job, progress, round_id=round_id, kind="feedback_zip")
