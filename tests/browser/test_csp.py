"""The Content-Security-Policy in a real browser: pages with scripts run them, nothing is refused."""

import pytest
from django.urls import reverse

from surveys.models import RoundStatus
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_csp_violation_and_the_moved_scripts_still_work(live_server, page):
    city = factories.city()
    draft = factories.round_(city["units"], status=RoundStatus.DRAFT, year=2027)
    batch = factories.code_batch(city["round"].round_units.first(), unused=2)
    factories.staff(username="wang")
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(live_server.url + reverse("rounds:units", args=[draft.pk]))
    page.click("text=全不选")
    page.click("text=全选区县")  # static/js/round_units.js, formerly an inline script
    assert page.locator('input[data-kind="district"]:checked').count() == 5
    assert page.locator('input[data-kind="department"]:checked').count() == 0

    page.goto(live_server.url + reverse("fieldwork:slips", args=[batch.pk]))
    assert page.locator("button[data-print]").is_visible()
    page.goto(live_server.url + reverse("dashboards:index"))
    assert not refused, refused
