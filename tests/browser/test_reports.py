"""Downloading reports in real headless Chromium, from the reports page."""

import os
import zipfile

import openpyxl
import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_staff_download_the_round_report_and_a_units_feedback(live_server, page, tmp_path, settings):
    settings.JOBS_ROOT = tmp_path / "jobs"
    data = factories.reported_city()
    factories.close(data["round"])  # an open round has no files
    factories.staff(username="wang")
    log_in(page, live_server, "wang")
    page.click("text=报表下载")
    page.wait_for_url(f"{live_server.url}/reports/")

    with page.expect_download() as info:
        page.click("[data-download=round_report]")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert data["round"].name in download.suggested_filename
    path = tmp_path / "report.xlsx"
    download.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["说明", "汇总"]

    # Every unit's feedback is built by a job: its page shows the progress, then the file.
    page.click("[data-download=feedback_zip]")
    page.wait_for_url("**/jobs/*/")
    page.locator("[data-job=label]", has_text="已完成").wait_for()

    page.screenshot(path=str(tmp_path / "feedback-job.png"))
    with page.expect_download() as info:
        page.click("a[href$='/download/']")
    zipped = tmp_path / "feedback.zip"
    info.value.save_as(zipped)
    assert len(zipfile.ZipFile(zipped).namelist()) == 7

    page.goto(f"{live_server.url}/reports/")
    page.click(f"text={data['round'].name}")
    with page.expect_download() as info:
        page.locator("tr", has_text="主城2区").locator("[data-download=unit_feedback]").click()
    assert "主城2区" in info.value.suggested_filename
    page.screenshot(path=str(tmp_path / "reports.png"))


def test_a_large_round_report_is_built_by_a_job(live_server, page, tmp_path, settings):
    """Over REPORTS_SYNC_BALLOTS ballots the button starts a job; its page offers the file."""
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.REPORTS_SYNC_BALLOTS = 10
    data = factories.reported_city()
    factories.close(data["round"])  # an open round has no files
    factories.staff(username="zhao")
    log_in(page, live_server, "zhao")
    page.goto(f"{live_server.url}/reports/{data['round'].pk}/")
    page.screenshot(path=os.path.join(os.environ.get("SCREENSHOT_DIR") or str(tmp_path), "reports-large.png"))
    page.click("[data-download=ballots_xlsx]")
    page.wait_for_url("**/jobs/*/")
    page.locator("[data-job=label]", has_text="已完成").wait_for()
    page.screenshot(path=os.path.join(os.environ.get("SCREENSHOT_DIR") or str(tmp_path), "reports-job.png"))
    with page.expect_download() as info:
        page.click("a[href$='/download/']")
    assert info.value.suggested_filename == f"{data['round'].name}-原始票（匿名）.xlsx"
    path = tmp_path / "ballots.xlsx"
    info.value.save_as(path)
    assert openpyxl.load_workbook(path)["原始票"].max_row == 57
