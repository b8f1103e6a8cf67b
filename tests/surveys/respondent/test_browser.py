"""A respondent on a 360 px phone without JavaScript: QR link, a mistake, a ballot."""

import os

import pytest
from django.core.cache import cache

from surveys import codes
from surveys.ballots import ballots_mix
from surveys.models import AccessCode, Ballot, CodeStatus, PendingBallot
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR")


def shot(page, tmp_path, name):
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), name), full_page=True)
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), "top-" + name))


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def test_phone_respondent_answers_without_javascript(live_server, phone, tmp_path):
    cache.clear()
    city = factories.city()
    r = city["round"]
    ru = r.round_units.select_related("unit").first()
    code = codes.display(factories.access_codes(ru, 1)[0])

    phone.goto(f"{live_server.url}/s/")
    shot(phone, tmp_path, "respondent-enter.png")
    phone.fill("input[name=code]", code.lower())
    phone.click("button[type=submit]")
    assert phone.locator("h1").inner_text() == f"被测评单位：{ru.unit.name}"
    # Nothing overflows the 360 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, tmp_path, "respondent-form.png")

    # Labels are tied to their radios: clicking the text picks the option.
    phone.get_by_role("radio", name="群众").check()
    selection = phone.get_by_role("group", name=factories.headline(r).text, exact=False)
    selection.get_by_label("满意", exact=True).check()
    phone.fill("textarea[name=opinion]", "希望公开更多信息")
    phone.click("button[type=submit]")  # the conduct item is missing
    assert "提交未成功" in phone.content()
    assert phone.get_by_role("radio", name="群众").is_checked()
    assert selection.get_by_label("满意", exact=True).is_checked()
    assert phone.input_value("textarea[name=opinion]") == "希望公开更多信息"
    shot(phone, tmp_path, "respondent-error.png")
    assert not PendingBallot.objects.exists()

    conduct = phone.get_by_role("group", name="防治用人不正之风", exact=False)
    conduct.get_by_label("基本满意", exact=True).check()
    phone.click("button[type=submit]")
    assert "您的测评票已计入" in phone.content()
    shot(phone, tmp_path, "respondent-thanks.png")
    assert PendingBallot.objects.count() == 1  # counted with its unit's next mix batch
    ballots_mix(round_unit=ru, minimum=1)
    ballot = Ballot.objects.get()
    assert ballot.opinion == "希望公开更多信息" and ballot.answers.count() == 2
    assert AccessCode.objects.get().status == CodeStatus.USED

    phone.goto(f"{live_server.url}/s/?code={code}")
    assert "该测评码已使用" in phone.content()
