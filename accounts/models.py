from django.conf import settings
from django.db import models

from units.models import UnitGroup


class Scope(models.Model):
    """Limits a (leader) account to some unit groups; no Scope row means no limit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scope",
        verbose_name="账号",
    )
    groups = models.ManyToManyField(UnitGroup, related_name="+", verbose_name="可查看的单位分组")

    class Meta:
        verbose_name = "查看范围"
        verbose_name_plural = "查看范围"
        permissions = [("manage_accounts", "管理账号")]

    def __str__(self):
        return f"{self.user} 的查看范围"
