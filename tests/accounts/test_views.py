"""Accounts in the browser: create, role, scope, deactivate, reset password, change own."""

import pytest
from django.contrib.auth.models import User

from accounts.models import Scope
from accounts.roles import LEADER, STAFF, visible_groups
from audit.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = factories.admin(username="root")
    client.force_login(user)
    return user


def test_admin_creates_a_limited_leader(client, admin):
    main = factories.group("主城区")
    response = client.post("/accounts/new/", {"username": "zhao", "full_name": "赵领导", "role": LEADER,
                                              "scope": [main.pk], "password": "Zhao-2026-secret"})
    assert response["Location"] == "/accounts/"
    zhao = User.objects.get(username="zhao")
    assert zhao.has_perm("surveys.view_results") and not zhao.has_perm("surveys.manage_surveys")
    assert visible_groups(zhao) == [main] and not zhao.is_staff
    assert zhao.check_password("Zhao-2026-secret")
    entry = AuditEntry.objects.get(action="account.create")
    assert entry.changes["scope"] == [None, "主城区"] and "Zhao-2026" not in str(entry.changes)


def test_scope_only_for_leaders_and_passwords_validated(client, admin):
    main = factories.group("主城区")
    response = client.post("/accounts/new/", {"username": "li", "role": STAFF, "scope": [main.pk],
                                              "password": "123"})
    page = response.content.decode()
    assert "只有领导账号可以限定查看范围" in page and not User.objects.filter(username="li").exists()


def test_change_role_and_drop_scope(client, admin):
    leader = factories.leader(groups_limit=[factories.group()])
    client.post(f"/accounts/{leader.pk}/", {"full_name": "升为工作人员", "role": STAFF})
    leader = User.objects.get(pk=leader.pk)
    assert leader.has_perm("surveys.manage_surveys") and not Scope.objects.filter(user=leader).exists()
    assert AuditEntry.objects.get(action="account.update").changes["role"] == ["领导", "工作人员"]


def test_admin_cannot_lock_themselves_out(client, admin):
    response = client.post(f"/accounts/{admin.pk}/", {"role": STAFF})
    assert "不能取消自己的管理员角色" in response.content.decode()
    client.post(f"/accounts/{admin.pk}/active/")
    admin.refresh_from_db()
    assert admin.is_active and admin.has_perm("accounts.manage_accounts")


def test_deactivate_and_reset_password(client, admin):
    staff = factories.staff()
    client.post(f"/accounts/{staff.pk}/active/")
    staff.refresh_from_db()
    assert not staff.is_active
    client.post(f"/accounts/{staff.pk}/password/", {"new_password1": "Brand-new-2026", "new_password2": "Brand-new-2026"})
    staff.refresh_from_db()
    assert staff.check_password("Brand-new-2026")
    assert {"account.deactivate", "account.reset_password"} <= set(AuditEntry.objects.values_list("action", flat=True))


def test_change_own_password(client):
    user = factories.staff()
    client.force_login(user)
    page = client.get("/accounts/password/").content.decode()
    assert "修改密码" in page
    response = client.post("/accounts/password/", {"old_password": "pw-for-tests-1",
                                                   "new_password1": "Another-2026-pw", "new_password2": "Another-2026-pw"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-2026-pw")
    assert AuditEntry.objects.get(action="account.change_password").actor == user
