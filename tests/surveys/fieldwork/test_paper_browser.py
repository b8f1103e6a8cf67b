"""Staff key paper ballots with number keys and Enter; print a batch of slips."""

import os

import pytest

from surveys.fieldwork.services import codes_issue
from surveys.ballots import ballots_mix
from surveys.models import Ballot, Channel, ItemKind
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR")


def login(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_keying_with_number_keys_and_enter(live_server, page, tmp_path):
    r = factories.city()["round"]
    ru = r.round_units.select_related("unit").first()
    ru.paper_forms_issued = 10
    ru.save()
    login(page, live_server, factories.staff(username="keyer"))
    page.goto(f"{live_server.url}/fieldwork/units/{ru.pk}/key/")
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), "paper-key.png"), full_page=True)
    subs = r.items.filter(kind=ItemKind.SUB).count()
    # Category 7 (群众), headline answers 1 and 2, first sub-item 3, the rest blank (0).
    for key in ["7", "1", "2", "3"] + ["0"] * (subs - 1):
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=已录入纸质票 1 张")
    assert page.locator("#count").inner_text() == "1"
    ballots_mix(round_unit=ru, minimum=1)  # counted with its unit's next mix batch
    ballot = Ballot.objects.get()
    assert ballot.channel == Channel.PAPER and ballot.category.name == "群众"
    options = dict(ballot.answers.values_list("item__kind", "option").order_by("item__order")[:2])
    assert options == {ItemKind.SELECTION: 1, ItemKind.CONDUCT: 2}
    assert ballot.answers.count() == 3
    # The next screen starts empty with the first question focused.
    assert page.evaluate("document.activeElement.name") == "category"


def test_slips_page(live_server, page, tmp_path):
    r = factories.city()["round"]
    ru = r.round_units.first()
    user = factories.staff(username="printer")
    batch, _ = codes_issue(round_unit=ru, size=12, actor=user)
    login(page, live_server, user)
    page.goto(f"{live_server.url}/fieldwork/code-batches/{batch.pk}/slips/")
    assert page.locator(".slip").count() == 12
    assert page.locator(".slip svg").count() == 12
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), "slips.png"), full_page=True)
    pdf = tmp_path / "slips.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.stat().st_size > 1000
