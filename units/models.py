from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, When
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("区县(自治县)")
    DEPARTMENT = "department", _("市级部门(人民团体)")


def unit_order(path=""):
    """The order units are listed in: districts before departments (as the policy lists
    them, whatever the stored values sort as), then group, then the registry's order.
    `path` leads from the queried model to the unit, e.g. "unit__"."""
    return (
        Case(When(**{f"{path}kind": UnitKind.DISTRICT}, then=0), default=1),
        f"{path}group__order", f"{path}group__name", f"{path}order", f"{path}code",
    )


def unit_sort_key(unit):
    """`unit_order` for units already in memory (with their group)."""
    return (unit.kind != UnitKind.DISTRICT, unit.group.order, unit.group.name, unit.order, unit.code)


class UnitGroup(models.Model):
    """A group of like units, ranked together (e.g. 主城区, 远郊区县, 党群部门)."""

    name = models.CharField(_("分组名称"), max_length=50, unique=True)
    kind = models.CharField(_("单位类别"), max_length=20, choices=UnitKind.choices)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["kind", "order", "name"]
        verbose_name = _("单位分组")
        verbose_name_plural = _("单位分组")

    def __str__(self):
        return self.name


class UnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def in_groups(self, groups):
        """Limit to some groups; None means no limit."""
        return self if groups is None else self.filter(group__in=groups)


class Unit(models.Model):
    code = models.CharField(
        _("单位代码"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("单位代码只能包含字母、数字、下划线和连字符。"))],
    )
    name = models.CharField(_("单位名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30)
    kind = models.CharField(_("单位类别"), max_length=20, choices=UnitKind.choices)
    group = models.ForeignKey(
        UnitGroup, on_delete=models.PROTECT, related_name="units", verbose_name=_("分组")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "group__order", "order", "code"]
        verbose_name = _("被测评单位")
        verbose_name_plural = _("被测评单位")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=UnitKind.values), name="unit_kind_known"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.group_id and self.kind and self.group.kind != self.kind:
            raise ValidationError(
                {"group": _("所选分组属于另一类单位。")}, code="group_kind_mismatch"
            )
