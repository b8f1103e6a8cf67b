from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from units.models import UnitGroup


class Scope(models.Model):
    """Limits a (leader) account to some unit groups; no Scope row means no limit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scope",
        verbose_name=_("账号"),
    )
    groups = models.ManyToManyField(UnitGroup, related_name="+", verbose_name=_("可查看的单位分组"))

    class Meta:
        verbose_name = _("查看范围")
        verbose_name_plural = _("查看范围")
        permissions = [("manage_accounts", _("管理账号"))]

    def __str__(self):
        return _("%(user)s 的查看范围") % {"user": self.user}
