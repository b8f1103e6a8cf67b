"""The round screens: the set-up steps, frozen pages, lifecycle confirmations."""

import pytest

from audit.models import AuditEntry
from jobs.models import Job, JobStatus
from surveys.models import Item, ItemKind, Round, RoundStatus
from surveys.rounds.services import round_close, round_open
from tests import factories

pytestmark = pytest.mark.django_db


def questionnaire_data(r, action, text="", edit=None, drop_required=()):
    """The questionnaire step's one form as a browser posts it: every item, the add row, a
    button. `edit` maps item pk -> new text; items in `drop_required` are sent unticked."""
    items = list(Item.objects.filter(round=r).order_by("order", "id"))
    data = {"action": action, "text": text, "form-TOTAL_FORMS": len(items), "form-INITIAL_FORMS": len(items)}
    for i, item in enumerate(items):
        data.update({f"form-{i}-id": item.pk, f"form-{i}-text": (edit or {}).get(item.pk, item.text),
                     f"form-{i}-order": item.order})
        if item.required and item.pk not in drop_required:
            data[f"form-{i}-required"] = "on"
    return data


@pytest.fixture
def staff(client):
    user = factories.staff(username="wang")
    client.force_login(user)
    return user


def test_create_a_round_step_by_step(client, staff):
    main = factories.group("主城区")
    a, b = factories.unit(group_=main), factories.unit(group_=main)
    factories.unit(group_=main, is_active=False)
    response = client.post("/rounds/new/", {"name": "2027年度测评", "year": 2027,
                                            "opens_at": "2027-12-01T09:00", "closes_at": "2027-12-15T18:00"})
    r = Round.objects.get(name="2027年度测评")
    assert response["Location"] == f"/rounds/{r.pk}/units/"
    assert r.status == RoundStatus.DRAFT and r.items.headline().count() == 2
    page = client.get(f"/rounds/{r.pk}/units/").content.decode()
    assert a.name in page and "已停用" not in page
    response = client.post(f"/rounds/{r.pk}/units/", {"default_planned": 120, f"u{a.pk}": "on",
                                                      f"u{b.pk}": "on", f"p{b.pk}": 60})
    assert response["Location"] == f"/rounds/{r.pk}/questionnaire/"
    assert dict(r.round_units.values_list("unit_id", "planned_sample")) == {a.pk: 120, b.pk: 60}
    client.post(f"/rounds/{r.pk}/questionnaire/", questionnaire_data(r, "add", "新增的分项指标"))
    assert r.items.filter(text="新增的分项指标").exists()
    client.post(f"/rounds/{r.pk}/settings/", {
        "scale": "three", "positive_threshold": 85, "basic_threshold": 70, "min_valid_answers": 20,
        f"c{factories.category().pk}": "on", f"w{factories.category().pk}": "2",
    })
    r.refresh_from_db()
    assert (r.scale, r.positive_threshold, r.unknown_in_denominator) == ("three", 85, False)
    assert [rc.category.name for rc in r.round_categories.all()] == ["群众"]
    detail = client.get(f"/rounds/{r.pk}/").content.decode()
    assert "开启测评" in detail and "0 / 180" in detail
    actions = set(AuditEntry.objects.filter(actor=staff).values_list("action", flat=True))
    assert {"round.create", "round.units", "item.add", "round.update", "round.categories"} <= actions


def test_units_step_requires_a_planned_sample(client, staff):
    unit = factories.unit()
    r = factories.round_([], status=RoundStatus.DRAFT)
    response = client.post(f"/rounds/{r.pk}/units/", {"default_planned": "", f"u{unit.pk}": "on"})
    assert response.status_code == 200 and "计划样本量" in response.content.decode()
    assert not r.round_units.exists()


def test_questionnaire_edit_while_draft_and_refused_once_open(client, staff):
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    items = list(Item.objects.filter(round=r))
    data = {"action": "save", "form-TOTAL_FORMS": len(items), "form-INITIAL_FORMS": len(items)}
    for i, item in enumerate(items):
        data.update({f"form-{i}-id": item.pk, f"form-{i}-text": item.text + "（改）", f"form-{i}-order": item.order})
        if item.required:
            data[f"form-{i}-required"] = "on"
    assert client.post(f"/rounds/{r.pk}/questionnaire/", data)["Location"] == f"/rounds/{r.pk}/settings/"
    assert all(t.endswith("（改）") for t in r.items.values_list("text", flat=True))
    round_open(round_=r, actor=staff)
    data.update({f"form-{i}-text": "冻结后再改" for i in range(len(items))})
    response = client.post(f"/rounds/{r.pk}/questionnaire/", data, follow=True)
    assert "已冻结" in response.content.decode()
    assert not r.items.filter(text="冻结后再改").exists()
    sub = r.items.filter(kind=ItemKind.SUB).first()
    client.post(f"/rounds/{r.pk}/questionnaire/", questionnaire_data(r, f"remove:{sub.pk}"))
    assert Item.objects.filter(pk=sub.pk).exists()
    assert "disabled" in client.get(f"/rounds/{r.pk}/questionnaire/").content.decode()


def test_an_edit_survives_pressing_add_in_the_same_form(client, staff):
    """Regression: 添加 was a separate form, so an edited question was silently dropped."""
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    sub = r.items.filter(kind=ItemKind.SUB).first()
    data = questionnaire_data(r, "add", "新的分项指标", edit={sub.pk: "改过的题目"})
    response = client.post(f"/rounds/{r.pk}/questionnaire/", data)
    assert response["Location"] == f"/rounds/{r.pk}/questionnaire/"
    assert Item.objects.get(pk=sub.pk).text == "改过的题目"
    assert r.items.filter(text="新的分项指标", kind=ItemKind.SUB).exists()


def test_add_without_a_text_saves_nothing_and_keeps_what_was_typed(client, staff):
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    sub = r.items.filter(kind=ItemKind.SUB).first()
    before = r.items.count()
    response = client.post(f"/rounds/{r.pk}/questionnaire/", questionnaire_data(r, "add", "  ", edit={sub.pk: "未保存的修改"}))
    page = response.content.decode()
    assert response.status_code == 400 and "请填写新增分项指标的题目" in page
    assert 'value="未保存的修改"' in page  # still on the page, not lost
    assert Item.objects.get(pk=sub.pk).text != "未保存的修改" and r.items.count() == before


def test_removing_an_item_keeps_the_other_edits(client, staff):
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    first, second = r.items.filter(kind=ItemKind.SUB)[:2]
    client.post(f"/rounds/{r.pk}/questionnaire/",
                questionnaire_data(r, f"remove:{second.pk}", edit={first.pk: "保留的修改"}))
    assert not Item.objects.filter(pk=second.pk).exists()
    assert Item.objects.get(pk=first.pk).text == "保留的修改"


def test_a_headline_item_stays_required(client, staff):
    """Regression: the 必答 box of a headline item could be unticked."""
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    headline = factories.headline(r)
    page = client.get(f"/rounds/{r.pk}/questionnaire/").content.decode()
    row = page.split(f'data-item="{headline.pk}"')[1].split("</tr>")[0]
    assert "disabled" in row and "checked" in row
    client.post(f"/rounds/{r.pk}/questionnaire/", questionnaire_data(r, "save", drop_required=[headline.pk]))
    assert Item.objects.get(pk=headline.pk).required
    # A headline stored as optional (older data) is repaired by the next save.
    Item.objects.filter(pk=headline.pk).update(required=False)
    client.post(f"/rounds/{r.pk}/questionnaire/", questionnaire_data(r, "stay"))
    assert Item.objects.get(pk=headline.pk).required


def test_the_unit_picker_shows_codes_groups_and_the_count(client, staff):
    main = factories.group("主城区")
    a = factories.unit(group_=main, code="CQ001")
    factories.unit(group_=main, code="CQ002")
    r = factories.round_([a], status=RoundStatus.DRAFT)
    page = client.get(f"/rounds/{r.pk}/units/").content.decode()
    assert "CQ001" in page and "CQ002" in page
    assert f'data-group="{main.pk}"' in page and "<script>" not in page
    assert "data-picked-count>1<" in page.replace(" ", "")  # what is ticked when the page is drawn
    assert "sticky-bar" in page


def test_open_with_no_units_is_refused_on_the_confirmation_page(client, staff):
    r = factories.round_([], status=RoundStatus.DRAFT)
    page = client.get(f"/rounds/{r.pk}/open/").content.decode()
    assert "冻结问卷" in page
    response = client.post(f"/rounds/{r.pk}/open/")
    assert response.status_code == 200 and "还没有参评单位" in response.content.decode()
    r.refresh_from_db()
    assert r.status == RoundStatus.DRAFT


def test_open_close_publish_through_the_buttons(client, staff):
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT, planned=4)
    assert client.post(f"/rounds/{r.pk}/open/")["Location"] == f"/rounds/{r.pk}/"
    r.refresh_from_db()  # ballots are checked against the round as read, now open
    factories.ballots(r.round_units.get(), [1, 1, 2, 3])
    # The close runs as a job: the page goes to the job, which stops intake and seals.
    response = client.post(f"/rounds/{r.pk}/close/")
    job = Job.objects.get(kind="round.close")
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE and job.created_by == staff
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED
    fingerprint = r.snapshot.fingerprint
    assert fingerprint in job.message
    assert fingerprint in client.get(f"/rounds/{r.pk}/").content.decode()
    assert client.post(f"/rounds/{r.pk}/publish/")["Location"] == f"/rounds/{r.pk}/"
    r.refresh_from_db()
    assert r.status == RoundStatus.PUBLISHED
    # The verify button starts a job too; its verdict is on the job page and the verify page.
    response = client.post(f"/rounds/{r.pk}/verify/")
    verify = Job.objects.get(kind="round.verify")
    assert response["Location"] == f"/jobs/{verify.pk}/"
    assert verify.result["intact"] and "封存完好" in verify.message
    assert "封存完好" in client.get(f"/rounds/{r.pk}/verify/").content.decode()


def test_publish_page_warns_about_pending_investigations(client, staff):
    r = factories.round_([factories.unit()])
    factories.ballots(r.round_units.get(), [3, 3, 1])
    round_close(round_=r, actor=staff)
    assert "未出结论" in client.get(f"/rounds/{r.pk}/publish/").content.decode()


def test_reopen_needs_a_reason_in_the_form(client, staff):
    r = factories.round_([factories.unit()])
    round_close(round_=r, actor=staff)
    response = client.post(f"/rounds/{r.pk}/reopen/", {"reason": ""})
    assert "请写明重新开启的原因" in response.content.decode()
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED
    client.post(f"/rounds/{r.pk}/reopen/", {"reason": "有一个单位的纸质票漏录"})
    r.refresh_from_db()
    assert r.status == RoundStatus.OPEN and r.seal_digest == ""


def test_copy_last_years_round(client, staff):
    source = factories.round_([factories.unit()], status=RoundStatus.PUBLISHED, year=2025)
    response = client.post("/rounds/copy/", {"source_round": source.pk, "name": "2026年度", "year": 2026,
                                             "opens_at": "2026-12-01T09:00", "closes_at": "2026-12-10T09:00"})
    copy = Round.objects.get(name="2026年度")
    assert response["Location"] == f"/rounds/{copy.pk}/units/"
    assert copy.copied_from == source and copy.round_units.count() == 1


def test_investigation_form_records_a_conclusion(client, staff):
    r = factories.round_([factories.unit()])
    ru = r.round_units.get()
    factories.ballots(ru, [3, 3, 1])
    round_close(round_=r, actor=staff)
    assert "待调查" in client.get(f"/rounds/{r.pk}/investigations/").content.decode()
    url = f"/rounds/{r.pk}/investigations/{ru.pk}/selection/"
    client.post(url, {"findings": "经调查，问题较为严重", "conclusion": "serious"})
    page = client.get(f"/rounds/{r.pk}/investigations/").content.decode()
    assert "群众不满意单位" in page and "待调查" in page  # conduct dimension still pending
    assert "群众不满意单位" in client.get(f"/rounds/{r.pk}/units/{ru.pk}/").content.decode()


def test_rounds_are_listed_newest_first_like_the_home_page(client, staff):
    """Regression: the round list showed the oldest round first, the home page the newest."""
    unit = factories.unit()
    for year in (2024, 2026, 2025):
        factories.round_([unit], year=year, status=RoundStatus.PUBLISHED)
    years = [r.year for r in Round.objects.all()]
    for url in ("/rounds/", "/"):
        page = client.get(url).content.decode()
        shown = sorted(years, key=lambda y: page.index(f"{y}年度测评"))
        assert shown == [2026, 2025, 2024], url
