"""Closing, repairing, verifying and publishing a round in real headless Chromium.

Screenshots go to /tmp/seal-*.png for a person to look at.
"""

import pytest
from django.db.models import F

from surveys.models import PaperBatch, Round, RoundStatus, Tally
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name):
    page.screenshot(path=f"/tmp/seal-{name}.png", full_page=True)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_close_repair_verify_and_publish_in_the_browser(live_server, page):
    city = factories.city()
    r = city["round"]
    staff = factories.staff(username="wang", first_name="王工作")
    first, second = r.round_units.select_related("unit").all()[:2]
    factories.ballots(first, [1, 1, 1, 2, 3])
    factories.ballots(second, [1, 3, 3])
    PaperBatch.objects.create(round_unit=first, label="第2批", double_keyed=True, created_by=staff)
    Tally.objects.filter(round_unit=second, option=1).update(count=F("count") + 60)  # a tampered tally
    login(page, live_server, "wang")

    page.goto(f"{live_server.url}/rounds/{r.pk}/close/")
    page.wait_for_selector("#unfinished-batches")
    shot(page, "1-close-confirm")
    page.click("text=确认结束测评")
    assert "请先完成录入和核对" in page.inner_text("main")
    page.check("#id_discard")
    page.fill("#id_reason", "该批纸质票已损毁，无法核对")
    page.click("text=确认结束测评")
    page.wait_for_url(f"{live_server.url}/jobs/*/")
    assert "计票表与重新计数不一致" in page.inner_text("main")
    shot(page, "2-close-job-refused")

    page.goto(f"{live_server.url}/rounds/{r.pk}/")
    page.wait_for_selector("#seal-refusal")
    assert second.unit.name in page.inner_text("#seal-refusal")
    shot(page, "3-round-unsealed")
    page.click("text=重新计票并封存")
    page.wait_for_url(f"{live_server.url}/jobs/*/")
    assert "已按测评票重新计票并封存" in page.inner_text("main")
    shot(page, "4-recount-job")

    r.refresh_from_db()
    fingerprint = r.snapshot.fingerprint
    page.goto(f"{live_server.url}/rounds/{r.pk}/")
    assert page.inner_text("#seal-fingerprint") == fingerprint
    shot(page, "5-round-sealed")
    page.click("#seal button:has-text('核验封存')")
    page.wait_for_url(f"{live_server.url}/jobs/*/")
    assert "封存完好" in page.inner_text("main")
    shot(page, "6-verify-job")

    Round.objects.filter(pk=r.pk).update(positive_threshold=60, basic_threshold=50)
    page.goto(f"{live_server.url}/rounds/{r.pk}/verify/")
    page.click("text=开始核验")
    page.wait_for_url(f"{live_server.url}/jobs/*/")
    assert "阈值被修改：满意单位线 80% → 60%，基本满意单位线 70% → 50%" in page.inner_text("main")
    shot(page, "7-verify-finds-a-change")
    Round.objects.filter(pk=r.pk).update(positive_threshold=80, basic_threshold=70)

    page.goto(f"{live_server.url}/rounds/{r.pk}/publish/")
    page.wait_for_selector("#shortfall")
    shot(page, "8-publish-shortfall")
    page.check("#id_acknowledge")
    page.fill("#id_reason", "试点轮次，按计划如期公布")
    page.click("text=确认发布结果")
    page.wait_for_url(f"{live_server.url}/rounds/{r.pk}/")
    r.refresh_from_db()
    assert r.status == RoundStatus.PUBLISHED

    factories.leader(username="li")
    page.context.clear_cookies()
    login(page, live_server, "li")
    page.goto(f"{live_server.url}/results/{r.pk}/")
    assert fingerprint in page.inner_text("[data-seal]")
    page.goto(f"{live_server.url}/results/trends/")
    page.wait_for_selector("[data-list=trend-notes]")
    assert "数据不足" in page.inner_text("[data-list=trend-notes]")
    shot(page, "9-trends")
