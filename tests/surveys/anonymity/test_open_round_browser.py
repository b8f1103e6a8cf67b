"""Staff in a real browser during an open round: the reports say when, the code list has no status."""

import os

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR")


def test_staff_see_why_an_open_round_has_no_files(live_server, page, tmp_path):
    data = factories.reported_city()
    r = data["round"]
    factories.staff(username="wang")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/")
    row = page.locator("tr", has_text=r.name)
    assert row.locator("[data-download=not-ready]").inner_text() == "测评结束后可以下载"
    assert row.locator("[data-download=round_report]").count() == 0
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), "reports-open-round.png"), full_page=True)
    row.locator("a", has_text=r.name).click()
    assert "仍在进行中" in page.locator("#not-ready").inner_text()
    assert page.locator("[data-download]").count() == 0
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), "reports-open-round-detail.png"), full_page=True)
    response = page.goto(f"{live_server.url}/reports/{r.pk}/ballots.csv")
    assert response.status == 409 and "仍在进行中" in page.content()
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), "reports-open-round-refused.png"), full_page=True)
