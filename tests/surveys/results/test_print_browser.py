"""A leader prints the overview of a 98-unit round: A4 landscape, a few pages, names and
headers on one line. Rendered by Chromium to PDF and looked at (/tmp/print-overview-*.png)."""

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from surveys.management.demo_city import DEPARTMENT_GROUPS, DISTRICT_GROUPS
from surveys.models import Round, RoundStatus
from surveys.results import dashboards
from tests import factories
from units.models import UnitKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def published_city():
    units = []
    for kind, groups in ((UnitKind.DISTRICT, DISTRICT_GROUPS), (UnitKind.DEPARTMENT, DEPARTMENT_GROUPS)):
        for g, (name, members) in enumerate(groups):
            group = factories.group(name, kind, order=g)
            units += [factories.unit(member, group) for member in members]
    r = factories.round_(units)
    patterns = ([1, 1, 1, 2, 3], [1, 1, 2, 2, 3], [1, 2, 3, 3, 4], [1, 1, 1, 1, 2])
    for i, ru in enumerate(r.round_units.all()):
        factories.ballots(ru, patterns[i % len(patterns)])
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.PUBLISHED, opens_at=r.opens_at - timedelta(days=1))
    return r


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def pdf_pages(path):
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_the_overview_prints_on_a_few_landscape_pages(live_server, page, tmp_path):
    r = published_city()
    factories.leader(username="li")
    log_in(page, live_server, "li")
    page.goto(f"{live_server.url}/results/{r.pk}/")
    assert page.locator("table.ranking tbody tr").count() == 98
    page.emulate_media(media="print")
    # Names and headers keep to one line: every cell of a row is one line high.
    tallest = page.eval_on_selector_all(
        "table.ranking td.unit-name, table.ranking th",
        "cells => Math.max(...cells.map(c => c.getClientRects()[0].height / parseFloat(getComputedStyle(c).lineHeight || 12)))")
    assert tallest < 2.2
    pdf = tmp_path / "overview.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    pages = pdf_pages(pdf)
    for old in Path("/tmp").glob("print-overview-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", str(pages), str(pdf), "/tmp/print-overview"],
                   check=True)
    assert pages <= 4, pages  # it was 9 portrait pages with names wrapped
    size = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = (float(x) for x in size.split("Page size:")[1].split("pts")[0].split(" x "))
    assert width > height  # landscape
