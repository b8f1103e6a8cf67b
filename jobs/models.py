from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is its starter's; administrators see every job."""
        if user.is_superuser or user.has_perm("accounts.manage_accounts"):
            return self
        return self.filter(created_by=user)

    def unfinished(self):
        return self.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])


class Job(models.Model):
    """Long work started by staff from a page (close and seal, exports, imports …).

    The page shows its progress and, when done, its verdict or its file. The work itself
    runs in a task worker (`manage.py db_worker`); see docs/jobs.md.
    """

    kind = models.CharField(_("类型"), max_length=60, db_index=True)
    label = models.CharField(_("名称"), max_length=200)
    handler = models.CharField(_("处理函数"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    done = models.PositiveBigIntegerField(_("已完成"), default=0)
    total = models.PositiveBigIntegerField(_("总量"), default=0)
    message = models.CharField(_("进度说明"), max_length=300, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    file_path = models.CharField(_("文件位置"), max_length=400, blank=True)
    back_url = models.CharField(_("返回页面"), max_length=400, blank=True)
    # The language of the page that started the job: its messages and files are in it.
    language = models.CharField(_("语言"), max_length=12, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="job_status_known"),
            models.CheckConstraint(condition=Q(done__lte=models.F("total")) | Q(total=0), name="job_done_within_total"),
        ]

    def __str__(self):
        return self.label

    @property
    def finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def percent(self):
        """Whole percent done, truncated (never shows 100 before the end)."""
        if self.status == JobStatus.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
