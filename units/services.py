"""Writes to the unit registry; every one is recorded in the audit trail."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_change, audit_record

from .models import Unit, UnitGroup

UNIT_FIELDS = ["code", "name", "short_name", "kind", "group", "is_active", "order"]
GROUP_FIELDS = ["name", "kind", "order"]


def _values(obj, fields):
    return {name: getattr(obj, name) for name in fields}


def _save(obj, fields, *, action, actor, source, before=None):
    """Validate and save a unit or group, and record it with its values before and after."""
    obj.full_clean()
    obj.save()
    audit_change(actor=actor, action=action, obj=obj, source=source,
                 before=before, after=_values(obj, fields))
    return obj


def _update(obj, fields, changes, *, action, actor, source):
    """Apply `changes` to a unit or group; the values before are the stored ones."""
    before = _values(type(obj).objects.get(pk=obj.pk), fields)
    for key, value in changes.items():
        setattr(obj, key, value)
    return _save(obj, fields, action=action, actor=actor, source=source, before=before)


@transaction.atomic
def unit_create(*, actor, source="", **fields):
    return _save(Unit(**fields), UNIT_FIELDS, action="unit.create", actor=actor, source=source)


@transaction.atomic
def unit_update(*, unit, actor, source="", **fields):
    return _update(unit, UNIT_FIELDS, fields, action="unit.update", actor=actor, source=source)


def unit_deactivate(*, unit, actor, source=""):
    """Stop offering a unit for new rounds; its history stays."""
    return unit_update(unit=unit, actor=actor, source=source, is_active=False)


def unit_activate(*, unit, actor, source=""):
    return unit_update(unit=unit, actor=actor, source=source, is_active=True)


def unit_can_delete(unit):
    return not unit.round_units.exists()


@transaction.atomic
def unit_delete(*, unit, actor, source=""):
    """Delete a unit that was never part of a round; surveyed units are only deactivated."""
    if not unit_can_delete(unit):
        raise ValidationError(
            _("该单位已参加过测评，不能删除（其测评记录须保留），只能停用。"), code="surveyed"
        )
    audit_change(actor=actor, action="unit.delete", obj=unit, source=source,
                 before=_values(unit, UNIT_FIELDS))
    unit.delete()


@transaction.atomic
def group_create(*, actor, source="", **fields):
    return _save(UnitGroup(**fields), GROUP_FIELDS, action="group.create", actor=actor, source=source)


@transaction.atomic
def group_update(*, group, actor, source="", **fields):
    stored_kind = UnitGroup.objects.values_list("kind", flat=True).get(pk=group.pk)
    if "kind" in fields and fields["kind"] != stored_kind and group.units.exists():
        raise ValidationError(_("分组内已有单位，不能改变分组的单位类别。"), code="kind_in_use")
    return _update(group, GROUP_FIELDS, fields, action="group.update", actor=actor, source=source)


@transaction.atomic
def group_delete(*, group, actor, source=""):
    if group.units.exists():
        raise ValidationError(_("分组内还有单位，不能删除。"), code="not_empty")
    audit_change(actor=actor, action="group.delete", obj=group, source=source,
                 before=_values(group, GROUP_FIELDS))
    group.delete()


@transaction.atomic
def group_move(*, group, direction, actor, source=""):
    """Swap a group with its neighbour of the same kind (direction -1 up, +1 down)."""
    siblings = list(UnitGroup.objects.filter(kind=group.kind).order_by("order", "name"))
    # Renumber first so equal orders (e.g. all 0) still move predictably.
    index = next(i for i, g in enumerate(siblings) if g.pk == group.pk)
    target = index + direction
    if not 0 <= target < len(siblings):
        return
    before = [g.name for g in siblings]
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for order, sibling in enumerate(siblings, start=1):
        if sibling.order != order:
            UnitGroup.objects.filter(pk=sibling.pk).update(order=order)
    audit_record(actor=actor, action="group.reorder", obj=group, source=source,
                 changes={"order": [before, [g.name for g in siblings]]})
