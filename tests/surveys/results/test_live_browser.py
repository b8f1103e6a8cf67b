"""The wall screen (大屏) in real Chromium: a city of 98 units on 1920×1080 and 1366×768,
without scrolling, turning its pages by itself; without JavaScript, page links and a refresh.

Screenshots: /tmp/live-*.png.
"""

import pytest

from surveys.management.demo_city import DEPARTMENT_GROUPS, DISTRICT_GROUPS
from surveys.models import RoundUnit
from surveys.results import views
from tests import factories
from units.models import UnitKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def demo_sized_city():
    """The demo city's 98 units in its six groups, an open round, some ballots counted."""
    units = []
    for order, (kind, groups) in enumerate(((UnitKind.DISTRICT, DISTRICT_GROUPS), (UnitKind.DEPARTMENT, DEPARTMENT_GROUPS))):
        for g, (name, members) in enumerate(groups):
            group = factories.group(name, kind, order=g)
            units += [factories.unit(member, group) for member in members]
    r = factories.round_(units, planned=150)
    for i, ru in enumerate(RoundUnit.objects.filter(round=r)):
        RoundUnit.objects.filter(pk=ru.pk).update(paper_forms_issued=150, paper_ballots=(i * 37) % 150)
    return r


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def fits(page):
    return page.evaluate(
        "[document.documentElement.scrollHeight <= window.innerHeight,"
        " document.documentElement.scrollWidth <= window.innerWidth]"
    )


def visible_pages(page):
    return page.eval_on_selector_all("[data-live-page]", "ps => ps.filter(p => !p.hidden).map(p => p.dataset.livePage)")


@pytest.mark.parametrize("width,height", [(1920, 1080), (1366, 768)])
def test_the_wall_screen_fits_and_turns_its_pages(live_server, browser, monkeypatch, width, height):
    monkeypatch.setattr(views, "LIVE_REFRESH_SECONDS", 1)
    r = demo_sized_city()
    factories.leader(username="li")  # an unrestricted leader: this was a 404
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, live_server, "li")
    page.goto(f"{live_server.url}/results/{r.pk}/live/")
    pages = page.locator("[data-live-page]").count()
    assert pages == 3  # 98 units under 6 headings, 3 columns × 13 lines a page
    assert visible_pages(page) == ["1"]
    assert fits(page) == [True, True]
    # Every line of the page is inside the screen, names not cut to nothing.
    bottom = page.eval_on_selector_all(
        "[data-live-page='1'] .live-line, [data-live-page='1'] .live-group",
        "els => Math.max(...els.map(e => e.getBoundingClientRect().bottom))")
    assert bottom <= height
    name_px = page.eval_on_selector(".live-name", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert name_px >= (24 if height >= 1080 else 18)  # large type for the back of a hall
    page.screenshot(path=f"/tmp/live-{width}x{height}-page1.png")

    page.locator("[data-live-page='2']").wait_for(state="visible", timeout=8000)
    assert visible_pages(page) == ["2"] and fits(page) == [True, True]
    page.screenshot(path=f"/tmp/live-{width}x{height}-page2.png")
    page.locator("[data-live-page='3']").wait_for(state="visible", timeout=8000)
    assert fits(page) == [True, True]
    # After the last page the screen fetches fresh figures and starts again.
    RoundUnit.objects.filter(round=r, unit__name="渝中区").update(paper_ballots=149)
    page.locator("[data-live-page='1']").wait_for(state="visible", timeout=8000)
    page.locator("[data-live-page='1'] .live-line").first.filter(has_text="149").wait_for(timeout=8000)
    context.close()


def test_without_javascript_the_first_page_shows_with_links(live_server, browser):
    r = demo_sized_city()
    factories.leader(username="li")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080}, java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "li")
    page.goto(f"{live_server.url}/results/{r.pk}/live/")
    assert page.locator("[data-live-page]:not([hidden])").count() == 1
    assert page.locator("[data-live-page='1']").is_visible()
    assert fits(page) == [True, True]
    page.click("a[data-live-link='2']")
    assert page.url.endswith("?page=2") and page.locator("[data-live-page='2']").is_visible()
    page.screenshot(path="/tmp/live-nojs-page2.png")
    context.close()
