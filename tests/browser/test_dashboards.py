"""A leader's journey in headless Chromium: overview → unit page → trends, and the 大屏.

Screenshots go to /tmp/dashboards-*.png (and the test's tmp_path) for a person to look at.
"""

import shutil
from datetime import timedelta

import pytest

from surveys.models import Round, RoundStatus
from surveys.results import dashboards
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def publish(r, days_ago=0):
    Round.objects.filter(pk=r.pk).update(
        status=RoundStatus.PUBLISHED, opens_at=r.opens_at - timedelta(days=days_ago),
        closes_at=r.closes_at - timedelta(days=days_ago),
    )


def shot(page, tmp_path, name):
    path = tmp_path / f"dashboards-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, f"/tmp/dashboards-{name}.png")


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_leader_reads_overview_unit_and_trends(live_server, page, tmp_path):
    data = factories.reported_city()
    earlier = factories.round_(data["units"], year=2025)
    for ru in earlier.round_units.all():
        factories.ballots(ru, [1, 1, 2, 3, 4])
    publish(earlier, days_ago=365)
    publish(data["round"])
    factories.leader(username="li")
    log_in(page, live_server, "li")

    page.click("text=测评结果")
    page.click(f"text={data['round'].name}")
    assert page.locator("h1").inner_text().startswith(data["round"].name)
    assert page.locator("[data-figure=units]").inner_text() == "7"
    assert page.locator("svg.chart-levels").count() == 1
    assert page.locator("svg.chart-rates line.goal").count() == 2
    shot(page, tmp_path, "overview")

    # Filter to 主城区 and sort by rate; the choice survives the sort links.
    page.select_option("#filter-group", label="主城区")
    page.click("button:has-text('筛选')")
    page.click("a.sort-link:has-text('满意+基本满意')")
    assert "group=" in page.url and "sort=positive" in page.url
    names = page.locator("table.ranking tbody tr td.unit-name").all_inner_texts()
    assert names == ["主城1区", "主城2区", "主城3区"]
    assert page.locator("#filter-group option:checked").inner_text() == "主城区"

    page.click("table.ranking a:has-text('主城1区')")
    assert page.locator("h1").inner_text().startswith("主城1区")
    assert page.locator("svg.chart-stacked").count() == 7  # two headline items, five sub-indicators
    assert page.locator("svg.chart-lines circle").count() == 4  # two rounds, two dimensions
    assert "=HYPERLINK" in page.locator("[data-list=opinions]").inner_text()
    shot(page, tmp_path, "unit")

    page.goto(f"{live_server.url}/results/trends/")
    assert page.locator("table[data-table=trends] tbody tr").count() == 2
    shot(page, tmp_path, "trends")


def test_staff_watch_live_turnout(live_server, page, tmp_path):
    data = factories.reported_city()
    factories.staff(username="wang")
    log_in(page, live_server, "wang")
    page.goto(f"{live_server.url}/results/{data['round'].pk}/live/")
    assert page.locator("[data-live-page]").count() == 1  # seven units fit one page
    assert page.locator("[data-figure=received]").inner_text() == str(sum(ru.ballots for ru in data["round"].round_units.all()))
    assert "%" not in page.locator("main").inner_text()
    shot(page, tmp_path, "live")
