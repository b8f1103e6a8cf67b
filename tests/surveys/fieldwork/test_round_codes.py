"""Round-wide fieldwork: batch numbers per unit, issuing for many units as a job, one
printable document of slips with a cover per unit, and the address printed on them."""

import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from audit.models import AuditEntry
from jobs.models import Job, JobStatus
from surveys.fieldwork.public_url import public_url_warning
from surveys.fieldwork.round_codes import codes_issue_round, codes_plan, target_size
from surveys.fieldwork.services import codes_issue, codes_void
from surveys.models import AccessCode, CodeBatch, CodeStatus, RoundStatus, RoundUnit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_root(tmp_path, settings):
    settings.JOBS_ROOT = tmp_path / "jobs"


@pytest.fixture
def staff(db):
    return factories.staff(username="issuer")


@pytest.fixture
def staff_client(client):
    user = factories.staff(username="wang")
    client.force_login(user)
    client.user = user
    return client


def by_name(r):
    return {ru.unit.name: ru for ru in r.round_units.select_related("unit")}


# --- batch numbers -------------------------------------------------------------------------


def test_batches_are_numbered_per_unit(city, staff):
    """Regression: slips said "第 393 批" (the global id) for a unit's first batch."""
    first, second = city["round"].round_units.all()[:2]
    numbers = [codes_issue(round_unit=ru, size=1, actor=staff)[0].number for ru in (first, first, second, first)]
    assert numbers == [1, 2, 1, 3]
    assert str(CodeBatch.objects.get(round_unit=second)).endswith("第1批（1个）")


def test_a_batch_number_is_unique_per_unit(city, staff):
    from django.db import IntegrityError, transaction

    ru = city["round"].round_units.first()
    codes_issue(round_unit=ru, size=1, actor=staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        CodeBatch.objects.create(round_unit=ru, number=1, size=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_issuing_at_once_get_different_numbers():
    ru = factories.city()["round"].round_units.first()
    staff = factories.staff()
    barrier = threading.Barrier(4)
    errors = []

    def issue():
        try:
            barrier.wait()
            codes_issue(round_unit=ru, size=3, actor=staff)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(CodeBatch.objects.filter(round_unit=ru).values_list("number", flat=True)) == [1, 2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_existing_batches_by_age():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("surveys", "0002_default_categories")])
    apps = executor.loader.project_state([("surveys", "0002_default_categories")]).apps
    Unit, Group = apps.get_model("units", "Unit"), apps.get_model("units", "UnitGroup")
    Round, RoundUnit_ = apps.get_model("surveys", "Round"), apps.get_model("surveys", "RoundUnit")
    Batch = apps.get_model("surveys", "CodeBatch")
    from django.utils import timezone

    group = Group.objects.create(name="迁移组", kind="district")
    r = Round.objects.create(name="旧轮次", year=2024, opens_at=timezone.now(),
                             closes_at=timezone.now() + timezone.timedelta(days=1))
    a, b = (RoundUnit_.objects.create(round=r, unit=Unit.objects.create(code=f"M{i}", name=f"单位{i}",
                                                                        short_name="单位", kind="district",
                                                                        group=group)) for i in (1, 2))
    made = [Batch.objects.create(round_unit=ru, size=1) for ru in (a, b, a, a, b)]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    numbers = dict(CodeBatch.objects.values_list("pk", "number"))
    assert [numbers[m.pk] for m in made] == [1, 1, 2, 3, 2]


# --- round-wide issuing ----------------------------------------------------------------------


def test_target_is_the_planned_sample_plus_the_margin_rounded_up():
    assert target_size(150, 10) == 165
    assert target_size(100, 0) == 100
    assert target_size(61, 10) == 68  # 67.1 codes are 68
    assert target_size(1, 100) == 2


def test_round_issuing_tops_each_unit_up_and_never_doubles(city, staff):
    r = city["round"]
    units = by_name(r)
    RoundUnit.objects.filter(pk=units["主城1区"].pk).update(planned_sample=150)
    codes_issue(round_unit=units["主城2区"], size=40, actor=staff)  # already holds 40 of 110
    voided = codes_issue(round_unit=units["远郊1区"], size=200, actor=staff)[0]
    codes_void(batch=voided, actor=staff, reason="遗失")  # voided codes do not count
    issued = codes_issue_round(round_units=RoundUnit.objects.filter(round=r), margin=10, actor=staff)
    sizes = {ru.unit.name: sum(b.size for b in batches) for ru, batches in issued}
    assert sizes["主城1区"] == 165 and sizes["主城2区"] == 70 and sizes["远郊1区"] == 110
    assert len(sizes) == 7
    assert codes_issue_round(round_units=RoundUnit.objects.filter(round=r), margin=10, actor=staff) == []
    plan = {row.round_unit.unit.name: row.to_issue for row in codes_plan(RoundUnit.objects.filter(round=r), margin=20)}
    assert plan["主城1区"] == 15 and plan["主城2区"] == 10


def test_a_need_above_the_batch_limit_gets_several_batches(city, staff):
    ru = city["round"].round_units.first()
    RoundUnit.objects.filter(pk=ru.pk).update(planned_sample=5500)
    [(_, batches)] = codes_issue_round(round_units=RoundUnit.objects.filter(pk=ru.pk), margin=0, actor=staff)
    assert [(b.number, b.size) for b in batches] == [(1, 5000), (2, 500)]


def test_round_issuing_refuses_a_bad_margin_or_a_finished_round(city, staff):
    with pytest.raises(ValidationError, match="余量"):
        codes_issue_round(round_units=RoundUnit.objects.all(), margin=101, actor=staff)
    r = factories.round_(city["units"][:1], status=RoundStatus.CLOSED)
    with pytest.raises(ValidationError, match="已结束"):
        codes_issue_round(round_units=r.round_units.all(), margin=10, actor=staff)


def test_issue_for_the_whole_round_from_the_page_runs_as_a_job(staff_client, city):
    r = city["round"]
    page = staff_client.get(reverse("fieldwork:round", args=[r.pk])).content.decode()
    assert "整轮发放测评码" in page and 'form="issue-form"' in page and "<script>" not in page
    response = staff_client.post(reverse("fieldwork:round_issue", args=[r.pk]), {"scope": "all", "margin": "10"})
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == JobStatus.DONE and job.created_by == staff_client.user
    assert job.total == job.done == 7 * 110
    assert "已为 7 个单位生成 770 个测评码" in job.message
    assert AccessCode.objects.count() == 770
    assert set(CodeBatch.objects.values_list("number", flat=True)) == {1}
    assert AuditEntry.objects.filter(action="codes.issue", actor=staff_client.user).count() == 7
    job_page = staff_client.get(response["Location"]).content.decode()
    assert "主城1区：第 1 批 110 个" in job_page
    # Again: every unit already holds enough, so nothing is started.
    again = staff_client.post(reverse("fieldwork:round_issue", args=[r.pk]), {"scope": "all", "margin": "10"},
                              follow=True)
    assert "没有生成新的测评码" in again.content.decode() and Job.objects.count() == 1


def test_issue_for_one_group_or_a_selection(staff_client, city):
    r = city["round"]
    main, outer, _dept = city["groups"]
    staff_client.post(reverse("fieldwork:round_issue", args=[r.pk]), {"scope": "group", "group": main.pk, "margin": "0"})
    assert set(AccessCode.objects.values_list("round_unit__unit__group", flat=True)) == {main.pk}
    picked = by_name(r)["市部门2"]
    staff_client.post(reverse("fieldwork:round_issue", args=[r.pk]),
                      {"scope": "selected", "units": [picked.pk], "margin": "0"})
    assert AccessCode.objects.filter(round_unit=picked).count() == 100
    assert not AccessCode.objects.filter(round_unit__unit__group=outer).exists()


def test_issue_form_refusals_keep_the_page(staff_client, city):
    r = city["round"]
    url = reverse("fieldwork:round_issue", args=[r.pk])
    for data, message in (({"scope": "group", "margin": "10"}, "请选择分组"),
                          ({"scope": "selected", "margin": "10"}, "请在表中勾选单位"),
                          ({"scope": "all", "margin": "-1"}, "余量不能为负数"),
                          ({"scope": "all", "margin": "500"}, "余量最多 100%")):
        response = staff_client.post(url, data)
        assert response.status_code == 400 and message in response.content.decode()
    assert not Job.objects.exists() and not AccessCode.objects.exists()


def test_issue_codes_command(city, staff):
    r = city["round"]
    main = city["groups"][0]
    out = io.StringIO()
    call_command("issue_codes", r.pk, "--by", staff.username, "--margin", "5", "--group", main.name, stdout=out)
    assert "已为 3 个单位生成 315 个测评码" in out.getvalue()
    assert AccessCode.objects.count() == 315
    assert AuditEntry.objects.filter(action="codes.issue", actor=staff).count() == 3
    with pytest.raises(CommandError, match="没有用户名为"):
        call_command("issue_codes", r.pk, "--by", "nobody", stdout=out)


# --- round-wide slips ------------------------------------------------------------------------


def slips_page(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content).decode()


def test_all_slips_of_a_round_in_one_document_with_a_cover_per_unit(staff_client, city, staff):
    r = city["round"]
    units = by_name(r)
    codes_issue(round_unit=units["主城1区"], size=3, actor=staff)
    codes_issue(round_unit=units["主城1区"], size=2, actor=staff)
    codes_issue(round_unit=units["市部门1"], size=4, actor=staff)
    voided = codes_issue(round_unit=units["远郊1区"], size=5, actor=staff)[0]
    codes_void(batch=voided, actor=staff, reason="重印")
    body = slips_page(staff_client, reverse("fieldwork:round_slips", args=[r.pk]))
    assert body.count('class="cover"') == 2 and body.count('class="slip"') == 9
    assert body.index("主城1区") < body.index("市部门1")  # districts first
    cover = body.split('class="cover"')[1].split('class="slips"')[0]
    assert "主城1区" in cover and "第 1 批" in cover and "第 2 批" in cover and "发放说明" in cover
    assert "<td>5</td>" in cover  # the unit's total
    assert "远郊1区" not in body
    assert "<script>" not in body and "onclick" not in body and 'style="' not in body
    printed = AuditEntry.objects.filter(action="codes.print", actor=staff_client.user)
    assert printed.count() == 3
    # Only what has not been printed yet: nothing now; a new batch alone after issuing one.
    url = reverse("fieldwork:round_slips", args=[r.pk]) + "?new=1"
    assert 'class="slip"' not in slips_page(staff_client, url)
    codes_issue(round_unit=units["主城2区"], size=2, actor=staff)
    again = slips_page(staff_client, url)
    assert again.count('class="slip"') == 2 and again.count('class="cover"') == 1 and "主城2区" in again


def test_slips_of_one_group(staff_client, city, staff):
    r = city["round"]
    units = by_name(r)
    codes_issue(round_unit=units["主城1区"], size=2, actor=staff)
    codes_issue(round_unit=units["远郊2区"], size=2, actor=staff)
    outer = city["groups"][1]
    body = slips_page(staff_client, reverse("fieldwork:round_slips", args=[r.pk]) + f"?group={outer.pk}")
    assert "远郊2区" in body and "主城1区" not in body.split('class="slips-doc"')[1]


def test_no_slips_once_the_round_has_ended(staff_client, city, staff):
    r = city["round"]
    ru = r.round_units.first()
    batch = codes_issue(round_unit=ru, size=2, actor=staff)[0]
    type(r).objects.filter(pk=r.pk).update(status=RoundStatus.CLOSED)
    for url in (reverse("fieldwork:round_slips", args=[r.pk]), reverse("fieldwork:slips", args=[batch.pk])):
        response = staff_client.get(url, follow=True)
        assert "不再打印测评码条" in response.content.decode()
    assert not AuditEntry.objects.filter(action="codes.print").exists()


# --- the address on the slips ------------------------------------------------------------------


@pytest.mark.parametrize("url,expected", [
    ("http://127.0.0.1:8000/s/", "本机地址"),
    ("http://localhost/s/", "本机地址"),
    ("http://[::1]:8000/s/", "本机地址"),
    ("http://0.0.0.0:8000/s/", "本机地址"),
    ("http://10.2.3.4/s/", "内网地址"),
    ("https://192.168.1.20/s/", "内网地址"),
    ("http://172.20.0.5/s/", "内网地址"),
    ("https://114.114.114.114/s/", ""),
    ("https://cy.example.gov.cn/s/", ""),
])
def test_the_printed_address_is_checked(url, expected):
    warning = public_url_warning(url, configured=True)
    assert (expected in warning) if expected else warning == ""


def test_an_unset_address_is_named_on_the_fieldwork_pages(staff_client, city, settings, staff):
    settings.SURVEY_PUBLIC_URL = ""
    r = city["round"]
    ru = r.round_units.first()
    batch = codes_issue(round_unit=ru, size=1, actor=staff)[0]
    pages = [reverse("fieldwork:index"), reverse("fieldwork:round", args=[r.pk]),
             reverse("fieldwork:unit", args=[ru.pk]), reverse("fieldwork:slips", args=[batch.pk])]
    for url in pages:
        page = staff_client.get(url).content.decode()
        assert 'data-warning="public-url"' in page and "未设置 SURVEY_PUBLIC_URL" in page, url
    settings.SURVEY_PUBLIC_URL = "http://127.0.0.1:8000/s/"
    assert "参评人员的手机打不开" in staff_client.get(reverse("fieldwork:round", args=[r.pk])).content.decode()
    settings.SURVEY_PUBLIC_URL = "https://cy.example.gov.cn/s/"
    for url in pages:
        assert 'data-warning="public-url"' not in staff_client.get(url).content.decode()
    assert "cy.example.gov.cn/s/" in staff_client.get(pages[-1]).content.decode()
