"""A first journey in real headless Chromium: log in and see the home page in Chinese."""

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_logs_in_and_sees_the_home_page(live_server, page, tmp_path):
    factories.city()
    factories.staff(username="wang")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "选人用人公信度测评"
    # Bootstrap is served by the app itself: the navbar is styled without any CDN.
    colour = page.eval_on_selector("nav.navbar", "el => getComputedStyle(el).display")
    assert colour == "flex"
    page.screenshot(path=str(tmp_path / "home.png"))
