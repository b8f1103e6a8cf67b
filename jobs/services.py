"""Starting long work in the background and reporting its progress.

A wing defines a handler `handler(job, progress, **params)` that does the work and returns
a dict (the verdict shown on the job page), optionally writing a file with `job_file(job)`.
`job_start` records the Job and enqueues it on the task backend (django-tasks); the worker
calls `job_run`. Handlers work in chunks, each chunk its own transaction, and call
`progress(done, total, message)` between chunks. Inside one long transaction (an
all-or-nothing import), progress is written through a second connection on PostgreSQL, so
the page can show it before the work commits; on SQLite, which has one writer, it is
written once the transaction ends.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Job, JobStatus

log = logging.getLogger(__name__)


class JobFailed(Exception):
    """A handler's refusal: its message is shown to the user as it is (plain Chinese)."""


def job_start(*, kind, label, handler, params=None, actor=None, back_url=""):
    """Record a job and queue it; returns the Job (its page shows the progress)."""
    import_string(handler)  # a typo fails here, in the request, not later in the worker
    job = Job(
        kind=kind, label=label[:200], handler=handler, params=params or {},
        created_by=actor if actor is not None and actor.is_authenticated else None,
        back_url=back_url, language=translation.get_language() or "",
    )
    job.full_clean()
    job.save()
    from .tasks import run_job

    # Queued in the caller's transaction on the database backend: the job row and its queue
    # entry commit together. The immediate backend (tests, `JOBS_IMMEDIATE`) runs it now.
    run_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


def job_file(job, suffix=""):
    """Where a job writes its result file (kept outside the static and media roots)."""
    folder = Path(settings.JOBS_ROOT) / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"result{suffix}"


class Progress:
    """Callable that records how far a job has come."""

    def __init__(self, job):
        self.job = job
        self._side = None

    def __call__(self, done, total=None, message=None):
        fields = {"done": max(0, int(done))}
        if total is not None:
            fields["total"] = max(0, int(total))
        if message is not None:
            fields["message"] = str(message)[:300]
        total_now = fields.get("total", self.job.total)
        if total_now:
            fields["done"] = min(fields["done"], total_now)
        for name, value in fields.items():
            setattr(self.job, name, value)
        if not connection.in_atomic_block:
            Job.objects.filter(pk=self.job.pk).update(**fields)
        elif connection.vendor == "postgresql":
            self._write_aside(fields)

    def _write_aside(self, fields):
        """Write progress on a separate connection, visible before the work commits."""
        try:
            if self._side is None:
                self._side = connection.copy()
            with self._side.cursor() as cursor:
                sets = ", ".join(f"{connection.ops.quote_name(k)} = %s" for k in fields)
                cursor.execute(
                    f"UPDATE {Job._meta.db_table} SET {sets} WHERE id = %s",
                    [*fields.values(), self.job.pk],
                )
        except Exception:  # progress is a courtesy; never fail the work for it
            log.warning("job %s: progress not written", self.job.pk, exc_info=True)

    def close(self):
        if self._side is not None:
            self._side.close()
            self._side = None


def job_run(job_id):
    """Run one queued job (called by the task worker); records the verdict or the failure."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return  # already run, or taken by another worker
    job = Job.objects.get(pk=job_id)
    progress = Progress(job)
    try:
        handler = import_string(job.handler)
        # Messages and files in the language of the page that started the job.
        with translation.override(job.language or settings.LANGUAGE_CODE):
            result = handler(job, progress, **job.params) or {}
    except JobFailed as exc:
        _finish(job, JobStatus.FAILED, message=str(exc))
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _finish(job, JobStatus.FAILED, message=_("任务执行出错，未完成的部分没有保存。请重试或联系管理员。"))
    else:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _finish(job, JobStatus.DONE, result=result, message=result.get("message", _("已完成。")))
    finally:
        progress.close()


def _finish(job, status, *, message, result=None):
    Job.objects.filter(pk=job.pk).update(
        status=status, message=str(message)[:300], result=result or {},
        file_name=job.file_name, file_path=job.file_path,
        total=job.total, done=job.total if status == JobStatus.DONE else job.done,
        finished_at=timezone.now(),
    )
