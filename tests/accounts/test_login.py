"""Login in Chinese, and repeated wrong passwords throttled on the shared cache."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def login(client, password, username="wang"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_page_is_chinese_and_offers_english(client):
    page = client.get("/accounts/login/").content.decode()
    assert "工作人员登录" in page and 'value="en"' in page


def test_wrong_password_message(client):
    factories.staff(username="wang")
    assert "用户名或密码不正确" in login(client, "nope").content.decode()


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_repeated_wrong_passwords_lock_the_login(client):
    factories.staff(username="wang")
    for _ in range(3):
        login(client, "wrong")
    response = login(client, "pw-for-tests-1")  # even the right password is refused now
    page = response.content.decode()
    assert response.status_code == 200 and "登录失败次数过多" in page
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_the_lock_also_holds_per_address_across_usernames(client):
    factories.staff(username="wang")
    for name in ("a", "b", "c"):
        login(client, "wrong", username=name)
    assert "登录失败次数过多" in login(client, "pw-for-tests-1").content.decode()


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_a_success_resets_the_username_count(client):
    factories.staff(username="wang")
    login(client, "wrong")
    login(client, "wrong")
    assert login(client, "pw-for-tests-1").status_code == 302
    client.logout()
    cache.delete("login-fail:ip:127.0.0.1")
    login(client, "wrong")
    assert login(client, "pw-for-tests-1").status_code == 302
