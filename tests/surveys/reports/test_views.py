"""Report downloads: who may take which file, and that each download is recorded."""

import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditEntry
from surveys.models import Round, RoundStatus
from tests import factories

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def data():
    return factories.reported_city()


def urls(r, unit):
    return [
        reverse("reports:round_report", args=[r.pk]),
        reverse("reports:unit_feedback", args=[r.pk, unit.pk]),
        reverse("reports:feedback_zip", args=[r.pk]),
        reverse("reports:ballots_xlsx", args=[r.pk]),
        reverse("reports:ballots_csv", args=[r.pk]),
    ]


def body(response):
    return b"".join(response.streaming_content)


@pytest.fixture(autouse=True)
def _jobs_root(tmp_path, settings):
    settings.JOBS_ROOT = tmp_path / "jobs"


def feedback_zip(client, r):
    """Every unit's feedback is a job: start it, follow to its page, take its file."""
    started = client.post(reverse("reports:feedback_zip", args=[r.pk]))
    assert started.status_code == 302 and started["Location"].startswith("/jobs/")
    job_page = client.get(started["Location"])
    assert job_page.status_code == 200
    assert started["Location"] + "download/" in job_page.content.decode()
    download = client.get(started["Location"] + "download/")
    assert download.status_code == 200 and "zip" in download["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(body(download)))


def publish(r):
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.PUBLISHED)
    r.refresh_from_db()


def test_anonymous_users_go_to_login_and_others_get_403(client, data):
    r, unit = data["round"], data["units"][0]
    for url in [reverse("reports:index"), *urls(r, unit)]:
        assert client.get(url).status_code == 302
    client.force_login(factories.user())
    for url in [reverse("reports:index"), *urls(r, unit)]:
        assert client.get(url).status_code == 403


def test_no_file_of_an_open_round_leaves_the_server(client, data):
    r, unit = data["round"], data["units"][0]
    staff = factories.staff()
    client.force_login(staff)
    index = client.get(reverse("reports:index")).content.decode()
    assert r.name in index and reverse("reports:round_report", args=[r.pk]) not in index
    assert "测评结束后可以下载" in index
    for url in urls(r, unit):
        # Every unit's feedback is a job, started by a POST; the rest are downloads.
        response = (client.post if url.endswith("/feedback/") else client.get)(url)
        assert response.status_code == 409
        assert "仍在进行中" in response.content.decode()
        assert "attachment" not in response.get("Content-Disposition", "")
    assert not AuditEntry.objects.filter(action="download report").exists()
    page = client.get(reverse("reports:round", args=[r.pk])).content.decode()
    assert "仍在进行中" in page and 'data-download="unit_feedback"' not in page


def test_staff_download_every_file_of_a_closed_round(client, data):
    r, unit = data["round"], data["units"][0]
    factories.close(r)
    staff = factories.staff()
    client.force_login(staff)
    index = client.get(reverse("reports:index")).content.decode()
    assert r.name in index and reverse("reports:round_report", args=[r.pk]) in index
    report, feedback, refused, xlsx, csv_ = (client.get(url) for url in urls(r, unit))
    assert refused.status_code == 405  # the .zip is made by a job, started with a POST
    archive = feedback_zip(client, r)
    for response in (report, feedback, xlsx):
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX
        assert "attachment" in response["Content-Disposition"]
        openpyxl.load_workbook(io.BytesIO(body(response)))
    assert "filename*=utf-8''" in report["Content-Disposition"]
    assert archive.testzip() is None
    assert body(csv_).decode("utf-8").startswith("\ufeff单位代码")
    entries = AuditEntry.objects.filter(action="download report", actor=staff)
    assert sorted(e.changes["file"] for e in entries) == sorted(
        ["round_report", "unit_feedback", "feedback_zip", "ballots_xlsx", "ballots_csv"]
    )


def test_leaders_see_only_published_rounds(client, data):
    r, unit = data["round"], data["units"][0]
    client.force_login(factories.leader())
    assert r.name not in client.get(reverse("reports:index")).content.decode()
    for url in urls(r, unit):
        assert client.get(url).status_code in (404, 405)
    assert client.post(reverse("reports:feedback_zip", args=[r.pk])).status_code == 404
    publish(r)
    assert r.name in client.get(reverse("reports:index")).content.decode()
    for url in urls(r, unit):
        assert client.get(url).status_code in (200, 405)
    assert len(feedback_zip(client, r).namelist()) == 7


def test_limited_leaders_get_only_their_groups(client, data):
    r = data["round"]
    publish(r)
    main, outer = data["groups"][:2]
    client.force_login(factories.leader(groups_limit=[main]))
    page = client.get(reverse("reports:round", args=[r.pk])).content.decode()
    assert "主城1区" in page and "远郊1区" not in page
    response = client.get(reverse("reports:round_report", args=[r.pk]))
    wb = openpyxl.load_workbook(io.BytesIO(body(response)))
    groups = {row[0] for row in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert groups == {"主城区"}
    other = data["units"][3]  # 远郊1区
    assert client.get(reverse("reports:unit_feedback", args=[r.pk, other.pk])).status_code == 404
    assert len(feedback_zip(client, r).namelist()) == 3
    text = body(client.get(reverse("reports:ballots_csv", args=[r.pk]))).decode()
    assert "远郊" not in text and "主城1区" in text


def test_draft_rounds_have_no_reports(client, db):
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    client.force_login(factories.staff())
    assert client.get(reverse("reports:round_report", args=[r.pk])).status_code == 404


def test_nav_link_only_for_those_who_may_view_results(client, data):
    client.force_login(factories.leader())
    assert reverse("reports:index") in client.get("/").content.decode()
    client.force_login(factories.user())
    assert reverse("reports:index") not in client.get("/").content.decode()
