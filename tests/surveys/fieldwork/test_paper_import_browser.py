"""A clerk imports a paper file, is stopped when the same file comes again, imports it again
with a reason; a large file goes to its job page."""

import os

import pytest

from surveys.models import Ballot, PaperImport
from tests import factories

from .test_paper_import import good_rows, xlsx
from .test_paper_import_once import many_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR")


def login(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def shot(page, tmp_path, name):
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), name), full_page=True)


def test_import_refuse_the_same_file_then_import_again_with_a_reason(live_server, page, tmp_path, settings):
    settings.JOBS_ROOT = tmp_path / "jobs"
    r = factories.city()["round"]
    units = list(r.round_units.select_related("unit").order_by("unit__code")[:2])
    for ru in units:
        ru.paper_forms_issued = 100
        ru.save()
    login(page, live_server, factories.staff(username="clerk", first_name="李丽"))
    path = tmp_path / "第一回收点.xlsx"
    path.write_bytes(xlsx(good_rows(r, units)))
    url = f"{live_server.url}/fieldwork/rounds/{r.pk}/import/"

    page.goto(url)
    page.set_input_files("#id_file", str(path))
    page.click("text=检查并导入")
    page.wait_for_selector("text=已导入 3 张纸质票")
    assert Ballot.objects.count() == 3

    page.goto(url)
    page.set_input_files("#id_file", str(path))
    page.click("text=检查并导入")
    page.wait_for_selector("#import-duplicate")
    assert "由 李丽 导入" in page.inner_text("#import-duplicate")
    shot(page, tmp_path, "paper-import-duplicate.png")
    page.fill("textarea[name=reason]", "第二回收点的另一箱，内容与第一箱恰好相同")
    page.check("#id_confirm")
    page.click("text=确认再次导入")
    page.wait_for_selector("text=已导入 3 张纸质票")
    assert Ballot.objects.count() == 6 and PaperImport.objects.count() == 2

    # A large file: checked here, written by a job whose page shows the progress.
    settings.PAPER_IMPORT_SYNC_BALLOTS = 10
    big = tmp_path / "大文件.xlsx"
    big.write_bytes(xlsx(many_rows(r, units, 40)))
    page.goto(url)
    page.set_input_files("#id_file", str(big))
    page.click("text=检查并导入")
    page.wait_for_url("**/jobs/*/")
    page.locator("[data-job=label]", has_text="已完成").wait_for()
    assert "已导入 40 张纸质票" in page.inner_text("#job")
    shot(page, tmp_path, "paper-import-job.png")
    page.goto(url)
    assert page.locator("#import-history tbody tr").count() == 3
    shot(page, tmp_path, "paper-import-history.png")


def test_a_bad_file_lists_every_problem(live_server, page, tmp_path):
    r = factories.city()["round"]
    units = list(r.round_units.select_related("unit").order_by("unit__code")[:2])
    rows = good_rows(r, units)
    rows[1][2] = "很好"
    rows[2][0] = "NOPE"
    rows[3][3] = None
    path = tmp_path / "有错.xlsx"
    path.write_bytes(xlsx(rows))
    login(page, live_server, factories.staff(username="clerk2"))
    page.goto(f"{live_server.url}/fieldwork/rounds/{r.pk}/import/")
    page.set_input_files("#id_file", str(path))
    page.click("text=检查并导入")
    page.wait_for_selector("#import-errors")
    text = page.inner_text("#import-errors")
    assert "第 2 行 C 列" in text and "“NOPE”不是本轮参评单位的代码" in text and "必答题，不能为空" in text
    shot(page, tmp_path, "paper-import-errors.png")
    assert not Ballot.objects.exists()
