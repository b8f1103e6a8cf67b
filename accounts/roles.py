"""Roles are auth groups carrying permissions; views check permissions, never group names."""

from django.contrib.auth.decorators import login_required, user_passes_test
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied

STAFF = "工作人员"
LEADER = "领导"
ADMIN = "管理员"

MANAGE = "surveys.manage_surveys"
VIEW_RESULTS = "surveys.view_results"
MANAGE_ACCOUNTS = "accounts.manage_accounts"

# Mirrored in accounts/migrations/0002_roles.py, which creates the groups.
ROLE_PERMISSIONS = {
    STAFF: [MANAGE, VIEW_RESULTS],
    LEADER: [VIEW_RESULTS],
    ADMIN: [MANAGE, VIEW_RESULTS, MANAGE_ACCOUNTS],
}


def visible_groups(user):
    """The unit groups a user may see, or None for all of them."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return None
    scope = getattr(user, "scope", None)
    try:
        return list(scope.groups.all()) if scope is not None else None
    except Exception:  # RelatedObjectDoesNotExist: no scope row
        return None


def permission_required(perm):
    """Login first (302 to login), then 403 if the permission is missing."""

    def decorator(view):
        def check(user):
            if user.has_perm(perm):
                return True
            raise PermissionDenied

        return login_required(user_passes_test(check)(view))

    return decorator


staff_required = permission_required(MANAGE)
results_required = permission_required(VIEW_RESULTS)
accounts_required = permission_required(MANAGE_ACCOUNTS)


class PermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Anonymous users go to the login page; signed-in users without the permission get 403."""

    raise_exception = False

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            raise PermissionDenied
        return super().handle_no_permission()


class StaffRequiredMixin(PermissionMixin):
    permission_required = MANAGE


class ResultsRequiredMixin(PermissionMixin):
    permission_required = VIEW_RESULTS


class AccountsRequiredMixin(PermissionMixin):
    permission_required = MANAGE_ACCOUNTS


def role_of(user):
    """The account's role (group name), the strongest if it has several; "" for none."""
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in (ADMIN, STAFF, LEADER) if role in names), "")


def role_groups():
    from django.contrib.auth.models import Group

    return {g.name: g for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)}
