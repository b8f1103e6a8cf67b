"""A paper file counts once; a large one is written by a background job, all or nothing."""

import io
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from jobs.models import Job
from jobs.services import job_run
from surveys.ballots import ballot_submit, tallies_verify
from surveys.fieldwork.services import paper_ballots_import
from surveys.models import (
    Ballot,
    Channel,
    PaperImport,
    PaperImportStatus,
    PendingBallot,
    RespondentCategory,
    RoundUnit,
)
from tests import factories

from .test_paper_import import good_rows, header, xlsx

pytestmark = pytest.mark.django_db

# Jobs are recorded and queued, but nothing runs them until the test calls job_run: what a
# request leaves behind when the proxy gives up on it.
QUEUED_ONLY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def setup(client, city):
    user = factories.staff(first_name="李丽", last_name="", username="clerk_li")
    client.force_login(user)
    r = city["round"]
    units = list(r.round_units.select_related("unit").order_by("unit__code")[:2])
    for ru in units:
        ru.paper_forms_issued = 50
        ru.save()
    return {"client": client, "round": r, "units": units, "user": user}


def post(client, r, content, name="纸质票.xlsx"):
    response = client.post(reverse("fieldwork:paper_import", args=[r.pk]),
                           {"file": SimpleUploadedFile(name, content)})
    return response, unescape(response.content.decode()) if hasattr(response, "content") else ""


def token_of(body):
    return body.split('name="token" value="', 1)[1].split('"', 1)[0]


def test_the_same_file_is_refused_with_the_date_and_person_of_the_first_import(setup):
    client, r = setup["client"], setup["round"]
    content = xlsx(good_rows(r, setup["units"]))
    assert post(client, r, content)[0].status_code == 302
    first = PaperImport.objects.get()
    response, body = post(client, r, content, name="纸质票（再存一次）.xlsx")
    assert response.status_code == 409
    when = f"{timezone.localtime(first.created_at):%Y-%m-%d %H:%M}"
    assert "这个文件的纸质票已于" in body and "李丽" in body and "文件“纸质票.xlsx”" in body
    assert "同一批纸质票不能计入两次" in body and f"已于 {when} 由 李丽 导入" in body
    assert Ballot.objects.count() == 3 and PaperImport.objects.count() == 1


def test_a_resaved_resorted_or_renumbered_copy_is_the_same_content(setup):
    """Different bytes, same ballots: rows in another order, columns moved, options as numbers,
    the sheet saved again by another program."""
    client, r, units = setup["client"], setup["round"], setup["units"]
    rows = good_rows(r, units)
    assert post(client, r, xlsx(rows))[0].status_code == 302
    numbers = {"满意": 1, "基本满意": 2, "不满意": 3, "不了解": 4}
    copy = [rows[0]] + [[numbers.get(v, v) for v in row] for row in reversed(rows[1:])]
    copy = [list(reversed(row)) for row in copy]
    response, body = post(client, r, xlsx(copy, title="Sheet1"))
    assert response.status_code == 409 and "李丽" in body
    # Saved again by openpyxl from what it read: other bytes, same cells.
    book = load_workbook(io.BytesIO(xlsx(rows)))
    again = io.BytesIO()
    book.save(again)
    assert post(client, r, again.getvalue())[0].status_code == 409
    assert Ballot.objects.count() == 3


def test_a_different_file_is_not_a_duplicate(setup):
    client, r, units = setup["client"], setup["round"], setup["units"]
    rows = good_rows(r, units)
    assert post(client, r, xlsx(rows))[0].status_code == 302
    rows[1][-1] = "另一条意见"
    assert post(client, r, xlsx(rows))[0].status_code == 302
    assert Ballot.objects.count() == 6 and PaperImport.objects.count() == 2


def test_importing_again_needs_a_reason_and_is_audited(setup):
    client, r = setup["client"], setup["round"]
    content = xlsx(good_rows(r, setup["units"]))
    post(client, r, content)
    first = PaperImport.objects.get()
    _, body = post(client, r, content)
    token = token_of(body)
    url = reverse("fieldwork:paper_import_again", args=[r.pk])
    # No reason, or no confirmation: refused, nothing saved, the file still held.
    response = client.post(url, {"token": token, "reason": "", "confirm": "on"})
    assert response.status_code == 400 and "请写明再次导入的理由" in unescape(response.content.decode())
    response = client.post(url, {"token": token, "reason": "第二回收点的另一箱，内容恰好相同"})
    assert response.status_code == 400 and "请勾选确认" in unescape(response.content.decode())
    assert Ballot.objects.count() == 3
    response = client.post(url, {"token": token, "reason": "第二回收点的另一箱，内容恰好相同", "confirm": "on"})
    assert response.status_code == 302
    assert Ballot.objects.count() == 6
    again = PaperImport.objects.exclude(pk=first.pk).get()
    assert again.repeat_of == first and again.reason == "第二回收点的另一箱，内容恰好相同"
    entry = AuditEntry.objects.get(action="paper.import_again")
    assert entry.changes["reason"] == "第二回收点的另一箱，内容恰好相同"
    assert entry.changes["first_import"] == first.pk and entry.changes["first_by"] == "李丽"
    # The held file is gone once used: the same token cannot import a third time.
    response = client.post(url, {"token": token, "reason": "再来一次试试看", "confirm": "on"})
    assert response.status_code == 400 and Ballot.objects.count() == 6


def test_the_history_lists_every_import(setup):
    client, r = setup["client"], setup["round"]
    post(client, r, xlsx(good_rows(r, setup["units"])), name="第一箱.xlsx")
    body = unescape(client.get(reverse("fieldwork:paper_import", args=[r.pk])).content.decode())
    assert 'id="import-history"' in body and "第一箱.xlsx" in body and "已导入" in body


def test_a_failed_import_does_not_block_the_same_file(setup):
    r, user = setup["round"], setup["user"]
    content = xlsx(good_rows(r, setup["units"]))
    with override_settings(TASKS=QUEUED_ONLY):
        record = paper_ballots_import(round_=r, upload=content, actor=user, background=True)
    PaperImport.objects.filter(pk=record.pk).update(status=PaperImportStatus.FAILED)
    again = paper_ballots_import(round_=r, upload=content, actor=user, background=False)
    assert again.status == PaperImportStatus.DONE and again.repeat_of is None
    assert Ballot.objects.count() == 3


# --- large files: checked in the request, written by a job ---------------------------------


def many_rows(r, units, n):
    rows = [header(r)]
    for i in range(n):
        ru = units[i % 2]
        rows.append([ru.unit.code, "群众", "满意" if i % 3 else "基本满意", "满意"]
                    + [None] * (len(rows[0]) - 5) + [f"意见{i}" if i % 5 == 0 else None])
    return rows


@override_settings(PAPER_IMPORT_SYNC_BALLOTS=10)
def test_a_large_file_is_written_by_a_job_with_progress(setup):
    client, r, units = setup["client"], setup["round"], setup["units"]
    response, _ = post(client, r, xlsx(many_rows(r, units, 30)))
    job = Job.objects.get(kind="fieldwork.paper_import")
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == "done" and job.total == 30 and job.done == 30, job.message
    assert "已导入 30 张纸质票" in job.message
    record = PaperImport.objects.get()
    assert record.status == PaperImportStatus.DONE and record.job == job and record.pending == []
    assert Ballot.objects.filter(channel=Channel.PAPER).count() == 30
    assert tallies_verify(round_=r) == {}
    assert AuditEntry.objects.get(action="paper.import").changes["rows"] == 30


@override_settings(PAPER_IMPORT_SYNC_BALLOTS=10, TASKS=QUEUED_ONLY)
def test_the_request_only_checks_and_queues(setup):
    """Whatever happens to the request after it answers (a proxy timeout), nothing is half
    written: the request wrote no ballot, the job writes them all."""
    client, r, units = setup["client"], setup["round"], setup["units"]
    response, _ = post(client, r, xlsx(many_rows(r, units, 30)))
    assert response.status_code == 302
    assert not Ballot.objects.exists()
    record = PaperImport.objects.get()
    assert record.status == PaperImportStatus.QUEUED and len(record.pending) == 30
    # Queued counts as imported: the same file is refused meanwhile.
    response, body = post(client, r, xlsx(many_rows(r, units, 30)))
    assert response.status_code == 409 and "正在后台写入" in body
    job_run(record.job_id)
    assert Ballot.objects.count() == 30
    record.refresh_from_db()
    assert record.status == PaperImportStatus.DONE and record.pending == []


@override_settings(PAPER_IMPORT_SYNC_BALLOTS=10, TASKS=QUEUED_ONLY)
def test_a_job_that_fails_half_way_leaves_zero_ballots(setup):
    """The first unit's ballots are written, then the second unit is full (a keyer filled its
    forms meanwhile): the whole import rolls back."""
    client, r, units = setup["client"], setup["round"], setup["units"]
    post(client, r, xlsx(many_rows(r, units, 30)))
    record = PaperImport.objects.get()
    later = max(units, key=lambda ru: ru.pk)  # ballots are written unit by unit, this one last
    later.refresh_from_db()
    later.paper_forms_issued = 1
    later.save()
    ballot_submit(round_unit=later, category=RespondentCategory.objects.get(name="群众"),
                  channel=Channel.PAPER, answers=factories.online_answers(r))  # waits for its mix
    job_run(record.job_id)
    job = Job.objects.get(pk=record.job_id)
    assert job.status == "failed" and "未导入任何纸质票" in job.message and later.unit.name in job.message
    # Nothing of the import: no ballot, only the keyed one pending, the counters as before.
    assert not Ballot.objects.exists() and PendingBallot.objects.count() == 1
    assert [ru.paper_ballots for ru in RoundUnit.objects.filter(pk__in=[u.pk for u in units]).order_by("pk")] == [0, 1]
    assert tallies_verify(round_=r) == {}
    record.refresh_from_db()
    assert record.status == PaperImportStatus.FAILED and record.pending == []
    assert not AuditEntry.objects.filter(action="paper.import").exists()
    # Failed: the same file may be imported again once the forms are right.
    later.paper_forms_issued = 50
    later.save()
    response, _ = post(client, r, xlsx(many_rows(r, units, 30)))
    assert response.status_code == 302


@override_settings(PAPER_IMPORT_SYNC_BALLOTS=10, TASKS=QUEUED_ONLY)
def test_a_job_for_a_round_closed_meanwhile_writes_nothing(setup):
    from surveys.models import Round, RoundStatus

    client, r, units = setup["client"], setup["round"], setup["units"]
    post(client, r, xlsx(many_rows(r, units, 30)))
    record = PaperImport.objects.get()
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.CLOSED)
    job_run(record.job_id)
    assert Job.objects.get(pk=record.job_id).status == "failed"
    assert not Ballot.objects.exists()
    record.refresh_from_db()
    assert record.status == PaperImportStatus.FAILED
