"""Login in Chinese, and wrong passwords locked out per (username, address) pair by django-axes."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db

X, Y = "192.0.2.10", "192.0.2.20"
RIGHT = "pw-for-tests-1"


def login(client, password, username="wang", address=X, **headers):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address, **headers)


def locked(response):
    return response.status_code == 429 and "登录失败次数过多" in response.content.decode()


def fail_five_times(client, username="wang", address=X, **headers):
    for _ in range(5):
        response = login(client, "wrong", username, address, **headers)
    return response


@pytest.fixture
def accounts():
    return factories.staff(username="wang"), factories.staff(username="li")


def test_login_page_is_chinese_and_offers_english(client):
    page = client.get("/accounts/login/").content.decode()
    assert "工作人员登录" in page and 'value="en"' in page


def test_wrong_password_message(client, accounts):
    assert "用户名或密码不正确" in login(client, "nope").content.decode()


def test_five_wrong_passwords_lock_that_account_from_that_address(client, accounts):
    for _ in range(4):
        assert not locked(login(client, "wrong"))
    fifth = login(client, "wrong")
    assert locked(fifth)
    page = fifth.content.decode()
    assert "15 分钟后再试" in page and 'name="username"' in page  # the login page, in Chinese
    response = login(client, RIGHT)  # even the right password is refused now
    assert locked(response) and "_auth_user_id" not in client.session


def test_the_lock_does_not_touch_other_users_at_that_address(client, accounts):
    fail_five_times(client, "wang", X)
    assert login(client, RIGHT, "li", X).status_code == 302


def test_the_lock_does_not_touch_the_account_from_another_address(client, accounts):
    fail_five_times(client, "wang", X)  # someone else cannot lock wang out of his own office
    assert login(client, RIGHT, "wang", Y).status_code == 302


def test_the_lock_lasts_exactly_the_duration_the_message_states(client, accounts):
    fail_five_times(client)
    attempt = AccessAttempt.objects.get(username="wang", ip_address=X)
    # Trying again while locked does not extend the lock.
    login(client, "wrong")
    assert AccessAttempt.objects.get(pk=attempt.pk).attempt_time == attempt.attempt_time
    # Move the last failure back in time instead of waiting.
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - timedelta(minutes=14, seconds=50))
    assert locked(login(client, RIGHT))
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert login(client, RIGHT).status_code == 302


@override_settings(AXES_COOLOFF_TIME=timedelta(minutes=30), AXES_FAILURE_LIMIT=3)
def test_the_message_follows_the_settings(client, accounts):
    for _ in range(3):
        response = login(client, "wrong")
    assert locked(response) and "30 分钟后再试" in response.content.decode()


def test_a_success_clears_the_failures(client, accounts):
    for _ in range(4):
        login(client, "wrong")
    assert login(client, RIGHT).status_code == 302
    client.logout()
    for _ in range(4):
        assert not locked(login(client, "wrong"))


def test_the_password_tried_is_not_stored(client, accounts):
    login(client, "secret-guess-123")
    assert "secret-guess-123" not in AccessAttempt.objects.get().post_data


@override_settings(BEHIND_PROXY=True)
def test_behind_the_proxy_each_client_address_counts_on_its_own(client, accounts):
    proxy = "127.0.0.1"
    fail_five_times(client, "wang", proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert locked(login(client, RIGHT, "wang", proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"))
    # Another client behind the same proxy; a forged first entry does not matter.
    response = login(client, RIGHT, "wang", proxy, HTTP_X_FORWARDED_FOR="198.51.100.7, 198.51.100.8")
    assert response.status_code == 302


def test_without_the_proxy_switch_forwarded_for_is_ignored(client, accounts):
    for n in range(5):
        response = login(client, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert locked(response)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {X}
