"""A staff member sets up a round in real headless Chromium: wizard, open, see it running."""

import pytest

from audit.models import AuditEntry
from surveys.models import Round, RoundStatus
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/i4-staff-{}.png"


def test_staff_creates_and_opens_a_round_through_the_wizard(live_server, page):
    city = factories.city()
    factories.staff(username="wang", first_name="王工作")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("text=新建测评")
    page.fill("#id_name", "2027年度选人用人工作满意度测评")
    page.fill("#id_year", "2027")
    page.fill("#id_opens_at", "2027-12-01T09:00")
    page.fill("#id_closes_at", "2027-12-15T18:00")
    page.screenshot(path=SHOTS.format("1-basics"), full_page=True)
    page.click("main button[type=submit]")

    page.wait_for_selector("text=统一计划样本量")
    main = city["groups"][0]
    page.check(f'input[data-group="{main.pk}"]')  # the whole 主城区 group at once
    page.click("text=全选市级部门")
    page.fill("#id_default_planned", "80")
    page.screenshot(path=SHOTS.format("2-units"), full_page=True)
    page.click("text=保存，下一步：问卷")

    page.wait_for_selector("text=新增分项指标", state="attached")
    page.fill("#id_text", "对干部选拔任用工作“一报告两评议”的评价")
    page.click("button[value=add]")
    page.wait_for_selector('input[value*="一报告两评议"]')
    page.screenshot(path=SHOTS.format("3-questionnaire"), full_page=True)
    page.click("button[value=save]")

    page.wait_for_selector("text=参评人员类别")
    page.fill("#id_positive_threshold", "80")
    page.screenshot(path=SHOTS.format("4-settings"), full_page=True)
    page.click("main form button[type=submit]")

    page.wait_for_selector("#round-status")
    assert page.inner_text("#round-status") == "草稿"
    assert "0 / 400" in page.inner_text("main")  # 3 主城区 + 2 departments, 80 each
    page.click("a.btn:text-is('开启测评')")
    page.wait_for_url("**/open/")
    assert "冻结问卷" in page.inner_text("main")
    page.screenshot(path=SHOTS.format("5-confirm-open"), full_page=True)
    page.click("text=确认开启测评")
    page.wait_for_selector("text=测评已开启")
    assert page.inner_text("#round-status") == "进行中"
    page.screenshot(path=SHOTS.format("6-open"), full_page=True)

    r = Round.objects.get(name="2027年度选人用人工作满意度测评")
    assert r.status == RoundStatus.OPEN and r.round_units.count() == 5
    assert r.items.filter(text__contains="一报告两评议").exists()
    assert set(AuditEntry.objects.filter(actor_name="wang").values_list("action", flat=True)) >= {
        "round.create", "round.units", "item.add", "round.open"}
