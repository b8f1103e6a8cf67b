"""Fieldwork work that runs in the background (docs/jobs.md): writing a large paper import."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from credibility.text import clauses
from jobs.services import JobFailed
from surveys.models import PaperImport, PaperImportStatus

from .paper_import import Ballot, ImportRefused
from .services import paper_import_failed, paper_import_write


def paper_import_job(job, progress, *, import_id):
    """Write a checked paper import queued by the import page: every ballot or none."""
    record = PaperImport.objects.select_related("round", "created_by").filter(pk=import_id).first()
    if record is None or record.status != PaperImportStatus.QUEUED:
        raise JobFailed(_("这次导入已经处理过，或已不存在；没有写入任何纸质票。"))
    ballots = [Ballot.from_key(key) for key in record.pending]
    progress(0, len(ballots), _("正在写入纸质票（全部写入后才计入）"))
    try:
        count = paper_import_write(record=record, ballots=ballots, progress=progress)
    except (ImportRefused, ValidationError) as refusal:
        messages = getattr(refusal, "messages", None) or [str(refusal)]
        paper_import_failed(record=record, messages=messages)
        raise JobFailed(_("未导入任何纸质票：%(why)s") % {"why": clauses(messages)}) from None
    except BaseException:
        paper_import_failed(record=record, messages=[_("任务执行出错，未导入任何纸质票。")])
        raise
    return {
        "message": _("已导入 %(n)s 张纸质票（文件“%(file)s”）。") % {
            "n": f"{count:,}", "file": record.file_name or _("未命名")},
        "lines": [_("%(round)s：全部 %(n)s 张已计入，可在组织实施页面查看各单位的纸质票数。") % {
            "round": record.round.name, "n": f"{count:,}"}],
    }
