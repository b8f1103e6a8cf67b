"""Round-wide issuing and printing in real Chromium: one job for every unit, then every slip
of the round as one A4 document (a cover per unit), rendered to PDF and looked at.

Screenshots and page images: /tmp/fieldwork-*.png.
"""

import subprocess

import pytest

from jobs.models import Job, JobStatus
from surveys.models import AccessCode, CodeBatch, RoundUnit
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def pdf_pages(path):
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_staff_issue_codes_for_the_whole_round_and_print_every_slip(live_server, page, settings, tmp_path):
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.SURVEY_PUBLIC_URL = ""
    city = factories.city()
    r = city["round"]
    RoundUnit.objects.filter(round=r).update(planned_sample=20)
    factories.staff(username="wang")
    log_in(page, live_server, "wang")

    page.click("nav >> text=组织实施")
    page.click(f"text={r.name}")
    # The live server answers on localhost: phones could not open what the slips would say.
    warning = page.locator("[data-warning=public-url]")
    assert "本机地址" in warning.inner_text()
    page.screenshot(path="/tmp/fieldwork-round.png", full_page=True)

    page.fill("#id_margin", "10")
    page.check("input[name=scope][value=all]")
    page.click("text=生成测评码（后台任务）")
    page.wait_for_url("**/jobs/*/")
    page.wait_for_selector("[data-job=label]:text('已完成')")
    assert "已为 7 个单位生成 154 个测评码" in page.inner_text("main")
    page.screenshot(path="/tmp/fieldwork-job.png", full_page=True)
    assert Job.objects.get().status == JobStatus.DONE
    assert AccessCode.objects.count() == 154 and set(CodeBatch.objects.values_list("number", flat=True)) == {1}

    settings.SURVEY_PUBLIC_URL = "https://cy.example.gov.cn/s/"
    page.click("text=返回")
    assert page.locator("[data-warning=public-url]").count() == 0
    page.click("text=打开打印页")
    page.wait_for_selector("[data-slips-end]", state="attached")
    assert page.locator(".cover").count() == 7 and page.locator(".slip").count() == 154
    assert page.locator("button[data-print]").is_enabled()
    assert not page.locator(".slips-loading").is_visible()
    assert "cy.example.gov.cn/s/" in page.locator(".slip-url").first.inner_text()
    page.screenshot(path="/tmp/fieldwork-slips-screen.png")

    pdf = tmp_path / "slips.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    # Per unit: a cover, then 22 slips at ten to a page (3 pages).
    assert pdf_pages(pdf) == 7 * (1 + 3)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), "/tmp/fieldwork-slips-pdf"],
                   check=True)
    assert (tmp_path / "slips.pdf").stat().st_size > 0
