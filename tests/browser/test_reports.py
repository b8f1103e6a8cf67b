"""Downloading reports in real headless Chromium, from the reports page."""

import importlib
import zipfile

import openpyxl
import pytest
from django.apps import apps

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _seed_rows():
    """The rows the data migrations create: the role groups and the respondent categories."""
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import ROLE_PERMISSIONS

    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    importlib.import_module("surveys.migrations.0002_default_categories").add_categories(apps, None)


@pytest.fixture(scope="module", autouse=True)
def seed_rows(django_db_setup, django_db_blocker):
    """Make sure the data migrations' rows exist before this module and after it.

    A transactional test ends by flushing every table, those rows included; other
    transactional tests (test_smoke.py) expect them. Module scope runs after the flush.
    """
    with django_db_blocker.unblock():
        _seed_rows()
    yield
    with django_db_blocker.unblock():
        _seed_rows()


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_staff_download_the_round_report_and_a_units_feedback(live_server, page, tmp_path):
    data = factories.reported_city()
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

    with page.expect_download() as info:
        page.click("[data-download=feedback_zip]")
    zipped = tmp_path / "feedback.zip"
    info.value.save_as(zipped)
    assert len(zipfile.ZipFile(zipped).namelist()) == 7

    page.click(f"text={data['round'].name}")
    with page.expect_download() as info:
        page.locator("tr", has_text="主城2区").locator("[data-download=unit_feedback]").click()
    assert "主城2区" in info.value.suggested_filename
    page.screenshot(path=str(tmp_path / "reports.png"))
