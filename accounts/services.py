"""Account writes by administrators; each is recorded in the audit trail."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record, diff

from .models import Scope
from .roles import ADMIN, LEADER, role_groups, role_of


def _state(user):
    scope = Scope.objects.filter(user=user).first()
    return {
        "full_name": user.first_name,
        "role": role_of(user),
        "scope": "、".join(sorted(scope.groups.values_list("name", flat=True))) if scope else "",
        "is_active": user.is_active,
    }


def _apply(user, *, role, scope):
    groups = role_groups()
    user.groups.remove(*groups.values())
    user.groups.add(groups[role])
    # The Django admin is for administrators only.
    user.is_staff = role == ADMIN
    user.save(update_fields=["is_staff"])
    Scope.objects.filter(user=user).delete()
    if role == LEADER and scope:
        Scope.objects.create(user=user).groups.set(scope)


@transaction.atomic
def account_create(*, username, full_name, role, scope, password, actor, source=""):
    user = User(username=username, first_name=full_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    _apply(user, role=role, scope=scope)
    audit_record(actor=actor, action="account.create", obj=user, source=source,
                 changes=diff({}, _state(user)))
    return user


@transaction.atomic
def account_update(*, user, full_name, role, scope, actor, source=""):
    if user.pk == actor.pk and role != ADMIN:
        raise ValidationError(_("不能取消自己的管理员角色，以免无人管理账号。"), code="self_demote")
    before = _state(user)
    user.first_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name"])
    _apply(user, role=role, scope=scope)
    changes = diff(before, _state(user))
    if changes:
        audit_record(actor=actor, action="account.update", obj=user, changes=changes, source=source)
    return user


@transaction.atomic
def account_set_active(*, user, active, actor, source=""):
    if user.pk == actor.pk and not active:
        raise ValidationError(_("不能停用自己的账号。"), code="self_deactivate")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="account.activate" if active else "account.deactivate",
                 obj=user, source=source, changes={"is_active": [not active, active]})
    return user


@transaction.atomic
def account_reset_password(*, user, password, actor, source=""):
    user.set_password(password)
    user.save(update_fields=["password"])
    # Never the password itself, only that it was reset.
    audit_record(actor=actor, action="account.reset_password", obj=user, source=source)
    return user
