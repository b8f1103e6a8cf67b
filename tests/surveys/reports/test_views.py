"""Report downloads: who may take which file, and that each download is recorded."""

import io
import zipfile
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditEntry
from surveys.models import Round, RoundStatus
from tests import factories
from units.models import Unit

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
    return zipfile.ZipFile(io.BytesIO(body(factories.file_from_job(client, reverse("reports:feedback_zip", args=[r.pk])))))


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
    report, feedback, offer, xlsx, csv_ = (client.get(url) for url in urls(r, unit))
    assert offer.status_code == 200 and 'data-start="feedback_zip"' in offer.content.decode()
    archive = feedback_zip(client, r)
    for response in (report, feedback, xlsx):
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX
        assert "attachment" in response["Content-Disposition"]
        openpyxl.load_workbook(io.BytesIO(body(response)))
    assert "filename*=UTF-8''" in report["Content-Disposition"]
    assert f"{r.name}-测评结果报表-" in unquote(report["Content-Disposition"])
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
        assert client.get(url).status_code == 404
    assert client.post(reverse("reports:feedback_zip", args=[r.pk])).status_code == 404
    publish(r)
    assert r.name in client.get(reverse("reports:index")).content.decode()
    for url in urls(r, unit):
        assert client.get(url).status_code == 200
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


def test_large_files_are_built_by_a_job_from_the_reports_page(client, data, settings):
    """Over REPORTS_SYNC_BALLOTS ballots a GET shows a button instead of a long request; its
    POST starts the job, whose page offers the same file the direct download would be."""
    settings.REPORTS_SYNC_BALLOTS = 10
    r = data["round"]
    factories.close(r)
    staff = factories.staff()
    client.force_login(staff)
    page = client.get(reverse("reports:round", args=[r.pk])).content.decode()
    for kind in ("round_report", "ballots_xlsx", "ballots_csv", "feedback_zip"):
        assert f'action="{reverse(f"reports:{kind}", args=[r.pk])}"' in page, kind
    offer = client.get(reverse("reports:ballots_xlsx", args=[r.pk]))
    assert offer.status_code == 200 and 'data-start="ballots_xlsx"' in offer.content.decode()
    assert not AuditEntry.objects.filter(action="download report").exists()  # nothing built, nothing taken
    report = openpyxl.load_workbook(io.BytesIO(body(factories.file_from_job(
        client, reverse("reports:round_report", args=[r.pk])))))
    assert report.sheetnames[:2] == ["说明", "汇总"]
    ballots = openpyxl.load_workbook(io.BytesIO(body(factories.file_from_job(
        client, reverse("reports:ballots_xlsx", args=[r.pk])))))
    assert ballots["原始票"].max_row - 1 == sum(ru.ballots for ru in r.round_units.all())
    text = body(factories.file_from_job(client, reverse("reports:ballots_csv", args=[r.pk]))).decode()
    assert text.startswith("\ufeff单位代码")
    entries = AuditEntry.objects.filter(action="download report", actor=staff, source="job")
    assert sorted(e.changes["file"] for e in entries) == ["ballots_csv", "ballots_xlsx", "round_report"]
    assert entries.get(changes__file="ballots_xlsx").changes["ballots"] == 56


def test_a_leaders_job_keeps_the_leaders_scope(client, data, settings):
    settings.REPORTS_SYNC_BALLOTS = 0
    r = data["round"]
    publish(r)
    client.force_login(factories.leader(groups_limit=[data["groups"][0]]))
    wb = openpyxl.load_workbook(io.BytesIO(body(factories.file_from_job(
        client, reverse("reports:ballots_xlsx", args=[r.pk])))))
    assert {row[1] for row in wb["原始票"].iter_rows(min_row=2, values_only=True)} == {"主城1区", "主城2区", "主城3区"}


def test_published_files_keep_the_names_of_the_close(client, data):
    """Issue 14: renaming a unit rewrote its name inside the published report. Every file of a
    sealed round names units as they were at the close: the report, the feedback (its file
    name too) and the raw ballots in both formats."""
    r = data["round"]
    factories.close(r)
    publish(r)
    unit = data["units"][1]  # 主城2区
    Unit.objects.filter(pk=unit.pk).update(name="改名后的单位")
    client.force_login(factories.leader())
    report = openpyxl.load_workbook(io.BytesIO(body(client.get(reverse("reports:round_report", args=[r.pk])))))
    names = {row[2] for row in report["汇总"].iter_rows(min_row=2, values_only=True)}
    assert "主城2区" in names and "改名后的单位" not in names
    feedback = client.get(reverse("reports:unit_feedback", args=[r.pk, unit.pk]))
    assert "主城2区" in unquote(feedback["Content-Disposition"])
    book = openpyxl.load_workbook(io.BytesIO(body(feedback)))
    assert book["说明"]["B3"].value == "主城2区"
    ballots = openpyxl.load_workbook(io.BytesIO(body(client.get(reverse("reports:ballots_xlsx", args=[r.pk])))))
    names = {row[1] for row in ballots["原始票"].iter_rows(min_row=2, values_only=True)}
    assert "主城2区" in names and "改名后的单位" not in names
    text = body(client.get(reverse("reports:ballots_csv", args=[r.pk]))).decode()
    assert "主城2区" in text and "改名后的单位" not in text
    page = client.get(reverse("reports:round", args=[r.pk])).content.decode()
    assert "主城2区" in page and "改名后的单位" not in page
