from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from .models import Job, JobStatus


def _job(request, pk):
    return get_object_or_404(Job.objects.visible_to(request.user), pk=pk)


@login_required
def job_list(request):
    return render(request, "jobs/job_list.html", {"jobs": Job.objects.visible_to(request.user)[:100]})


@login_required
def job_detail(request, pk):
    return render(request, "jobs/job_detail.html", {"job": _job(request, pk)})


@login_required
def job_status(request, pk):
    job = _job(request, pk)
    return JsonResponse({
        "status": job.status, "label": job.get_status_display(), "done": job.done,
        "total": job.total, "percent": job.percent, "message": job.message,
        "finished": job.finished, "has_file": bool(job.file_path),
    })


@login_required
def job_download(request, pk):
    job = _job(request, pk)
    if job.status != JobStatus.DONE or not job.file_path or not Path(job.file_path).is_file():
        raise Http404(_("文件不存在或已清理。"))
    return FileResponse(open(job.file_path, "rb"), as_attachment=True, filename=job.file_name)
