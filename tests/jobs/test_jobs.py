import pytest
from django.core.management import call_command
from django.test import override_settings

from jobs.models import Job, JobStatus
from jobs.services import job_start
from tests import factories

HANDLERS = "tests.jobs.handlers"


@pytest.fixture(autouse=True)
def _jobs_root(tmp_path, settings):
    settings.JOBS_ROOT = tmp_path / "jobs"


@pytest.mark.django_db
def test_a_job_runs_reports_progress_and_keeps_its_verdict():
    actor = factories.staff()
    job = job_start(kind="test.count", label="数一数", handler=f"{HANDLERS}.count_to",
                    params={"n": 4}, actor=actor)
    assert job.status == JobStatus.DONE
    assert (job.done, job.total, job.percent) == (4, 4, 100)
    assert job.message == "共 4 步。"
    assert job.result["lines"] == ["步数 4"]
    assert job.created_by == actor and job.started_at and job.finished_at


@pytest.mark.django_db
def test_a_refusal_is_shown_as_written_and_a_crash_as_a_plain_failure():
    refused = job_start(kind="t", label="拒绝", handler=f"{HANDLERS}.refuse")
    crashed = job_start(kind="t", label="出错", handler=f"{HANDLERS}.crash")
    assert refused.status == crashed.status == JobStatus.FAILED
    assert refused.message == "文件中有 3 处错误，未导入任何数据。"
    assert "未完成的部分没有保存" in crashed.message and "boom" not in crashed.message


@pytest.mark.django_db
def test_an_unknown_handler_is_refused_before_anything_is_queued():
    with pytest.raises(ImportError):
        job_start(kind="t", label="x", handler=f"{HANDLERS}.nothing_here")
    assert not Job.objects.exists()


def test_percent_is_truncated_and_never_100_before_the_end():
    assert Job(total=1000, done=999, status=JobStatus.RUNNING).percent == 99
    assert Job(total=3, done=2, status=JobStatus.RUNNING).percent == 66
    assert Job(total=0, done=0, status=JobStatus.QUEUED).percent == 0
    assert Job(total=3, done=3, status=JobStatus.DONE).percent == 100


@pytest.mark.django_db
def test_pages_show_a_job_only_to_its_starter_and_administrators(client):
    owner, other, admin = factories.staff(), factories.staff(), factories.admin(is_superuser=True)
    job = job_start(kind="t", label="导出", handler=f"{HANDLERS}.count_to",
                    params={"n": 2, "write": True}, actor=owner)
    client.force_login(owner)
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200 and "导出" in page.content.decode()
    assert client.get(f"/jobs/{job.pk}/status/").json()["status"] == "done"
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode() == "完成"
    assert "结果.txt" in download["Content-Disposition"] or "filename*" in download["Content-Disposition"]
    client.force_login(other)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert "导出" not in client.get("/jobs/").content.decode()
    client.force_login(admin)
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client):
    assert client.get("/jobs/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_queued_jobs():
    """The production path: the job waits in the queue until `db_worker` takes it."""
    backend = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with override_settings(TASKS=backend):
        job = job_start(kind="t", label="排队", handler=f"{HANDLERS}.count_to", params={"n": 3})
        assert job.status == JobStatus.QUEUED
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.done == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_inside_a_long_transaction_is_visible_before_it_commits():
    job = job_start(kind="t", label="长事务", handler=f"{HANDLERS}.progress_seen_from_outside")
    assert job.status == JobStatus.DONE
    assert job.result["seen"] == [5, 10]
