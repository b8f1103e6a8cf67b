"""The round wizard in real Chromium at the size of a real city: 98 units picked by group
with a live count and a save bar always in view; a question edited and another added in one
go, both kept; a headline item's 必答 cannot be unticked. Screenshots: /tmp/wizard-*.png."""

import pytest

from surveys.management.demo_city import DEPARTMENT_GROUPS, DISTRICT_GROUPS
from surveys.models import Item, ItemKind, RoundStatus
from tests import factories
from units.models import UnitKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_pick_98_units_then_edit_and_add_questions(live_server, page):
    groups = {}
    for kind, named in ((UnitKind.DISTRICT, DISTRICT_GROUPS), (UnitKind.DEPARTMENT, DEPARTMENT_GROUPS)):
        for order, (name, members) in enumerate(named):
            groups[name] = factories.group(name, kind, order=order)
            for member in members:
                factories.unit(member, groups[name], code=f"C{len(groups):02d}{members.index(member):02d}")
    r = factories.round_([], status=RoundStatus.DRAFT)
    factories.staff(username="wang")
    log_in(page, live_server, "wang")

    page.goto(f"{live_server.url}/rounds/{r.pk}/units/")
    assert page.locator("text=C0100").count() == 1  # codes beside names
    count = page.locator(".sticky-bar [data-picked-count]")
    assert count.inner_text() == "0"
    page.check(f'input[data-group="{groups["主城区"].pk}"]')
    assert count.inner_text() == "9"
    page.check(f'input[data-group="{groups["政府部门"].pk}"]')
    assert count.inner_text() == "46"
    page.uncheck("text=渝中区")
    assert count.inner_text() == "45"
    assert page.eval_on_selector(f'input[data-group="{groups["主城区"].pk}"]', "e => e.indeterminate")
    # The save bar is on screen although the list is many screens long.
    bar = page.locator(".sticky-bar").bounding_box()
    assert bar["y"] + bar["height"] <= 900 and page.evaluate("document.documentElement.scrollHeight") > 3000
    page.screenshot(path="/tmp/wizard-units.png")
    page.click(".sticky-bar button[type=submit]")
    page.wait_for_url(f"**/rounds/{r.pk}/questionnaire/")
    assert r.round_units.count() == 45

    sub = Item.objects.filter(round=r, kind=ItemKind.SUB).order_by("order").first()
    headline = Item.objects.get(round=r, kind=ItemKind.SELECTION)
    row = page.locator(f"tr[data-item='{sub.pk}'] input[name$='-text']")
    row.fill("对干部选拔任用工作“一报告两评议”的评价（改）")
    page.fill("#id_text", "对领导班子选人用人的总体印象")
    assert page.locator(f"tr[data-item='{headline.pk}'] input[type=checkbox]").is_disabled()
    page.click("button[value=add]")
    page.wait_for_selector("text=已保存问卷并添加分项指标")
    assert Item.objects.get(pk=sub.pk).text.endswith("（改）")
    assert Item.objects.filter(round=r, text="对领导班子选人用人的总体印象").exists()
    assert page.locator(f"tr[data-item='{sub.pk}'] input[name$='-text']").input_value().endswith("（改）")
    assert Item.objects.get(pk=headline.pk).required
    page.screenshot(path="/tmp/wizard-questionnaire.png", full_page=True)
