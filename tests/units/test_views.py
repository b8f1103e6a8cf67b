"""Unit registry screens: list filters, create, deactivate, delete refusals, import."""

from io import BytesIO
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from tests import factories
from units.models import Unit, UnitGroup, UnitKind
from units.xlsx import HEADERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = factories.staff()
    client.force_login(user)
    return user


def upload(rows):
    book = Workbook()
    book.active.append(HEADERS)
    for row in rows:
        book.active.append(row)
    out = BytesIO()
    book.save(out)
    return SimpleUploadedFile("units.xlsx", out.getvalue())


def test_list_search_and_filters(client, staff):
    dept = factories.group("部门", UnitKind.DEPARTMENT)
    factories.unit(name="渝中区")
    factories.unit(name="市教委", group_=dept)
    factories.unit(name="旧单位", is_active=False)
    page = client.get("/units/", {"q": "渝中"}).content.decode()
    assert "渝中区" in page and "市教委" not in page
    page = client.get("/units/", {"kind": "department"}).content.decode()
    assert "市教委" in page and "渝中区" not in page
    page = client.get("/units/", {"active": "0"}).content.decode()
    assert "旧单位" in page and "渝中区" not in page
    page = client.get("/units/", {"group": dept.pk}).content.decode()
    assert "市教委" in page and "渝中区" not in page


def test_create_edit_and_deactivate(client, staff):
    group = factories.group("主城区")
    client.post("/units/new/", {"code": "D9", "name": "新区", "short_name": "新区", "kind": "district",
                                "group": group.pk, "order": 1, "is_active": "on"})
    unit = Unit.objects.get(code="D9")
    client.post(f"/units/{unit.pk}/active/")
    unit.refresh_from_db()
    assert not unit.is_active
    assert [e.source for e in AuditEntry.objects.order_by("id")] == ["新建单位", "单位详情"]


def test_delete_refused_for_a_surveyed_unit(client, staff):
    unit = factories.unit()
    factories.round_([unit])
    assert "不能删除" in client.get(f"/units/{unit.pk}/delete/").content.decode()
    client.post(f"/units/{unit.pk}/delete/")
    assert Unit.objects.filter(pk=unit.pk).exists()


def test_import_refusal_answers_400_with_every_message_and_saves_nothing(client, staff):
    response = client.post("/units/import/", {"file": upload([
        ["D1", "某区", "", "区县(自治县)", "主城区", 1, "是"],
        ["D2", "", "", "乡镇", "主城区", 1, "是"],
    ])})
    page = response.content.decode()
    assert response.status_code == 400
    assert "第 3 行 B 列（单位名称）：不能为空。" in page and "第 3 行 D 列（单位类别）：“乡镇”不是可选的单位类别" in page
    assert "未保存任何数据" in page
    assert not Unit.objects.exists() and not UnitGroup.objects.exists()


def test_import_is_previewed_then_confirmed(client, staff):
    rows = [["D1", "某区", "", "区县", "主城区", 1, "是"], ["D2", "重庆市某区", "", "区县", "主城区", 2, "是"]]
    preview = client.post("/units/import/", {"file": upload(rows)}, follow=True)
    page = preview.content.decode()
    assert preview.redirect_chain == [("/units/import/confirm/", 302)] and preview.status_code == 200
    assert "将新建以下分组" in page and "“主城区”（区县(自治县)，2 个单位）" in page
    assert "可能是同一单位" in page  # 某区 / 重庆市某区
    assert not Unit.objects.exists() and not UnitGroup.objects.exists()  # nothing saved yet
    token, digest = preview.context["token"], preview.context["plan"].digest
    done = client.post("/units/import/confirm/", {"token": token, "digest": digest}, follow=True)
    assert "导入完成：新增 2 个，更新 0 个，未变 0 个，新建分组 1 个（主城区）。" in done.content.decode()
    assert Unit.objects.count() == 2
    entry = AuditEntry.objects.get(action="unit.import")
    assert entry.changes["groups_created"] == ["主城区"] and entry.changes["file"] == "units.xlsx"
    again = client.post("/units/import/confirm/", {"token": token, "digest": digest})
    assert again.status_code == 400 and "已过期" in again.content.decode()  # one confirmation per upload
    assert "没有待确认的导入" in client.get("/units/import/confirm/").content.decode()


def test_refreshing_the_preview_shows_it_again(client, staff):
    client.post("/units/import/", {"file": upload([["D1", "某区", "", "区县", "主城区", 1, "是"]])},
                          follow=True)
    first, second = client.get("/units/import/confirm/"), client.get("/units/import/confirm/")
    assert first.context["token"] == second.context["token"] and "“主城区”" in second.content.decode()
    assert not Unit.objects.exists()


def test_import_can_be_cancelled(client, staff):
    preview = client.post("/units/import/", {"file": upload([["D1", "某区", "", "区县", "主城区", 1, "是"]])},
                          follow=True)
    client.post("/units/import/confirm/", {"token": preview.context["token"], "cancel": "1"})
    after = client.post("/units/import/confirm/", {"token": preview.context["token"],
                                                   "digest": preview.context["plan"].digest})
    assert after.status_code == 400 and not Unit.objects.exists()


def test_confirm_needs_the_token_of_this_session(client, staff):
    preview = client.post("/units/import/", {"file": upload([["D1", "某区", "", "区县", "主城区", 1, "是"]])},
                          follow=True)
    digest = preview.context["plan"].digest
    assert client.post("/units/import/confirm/", {"token": "guess", "digest": digest}).status_code == 400
    other = Client()
    other.force_login(factories.staff())
    assert other.post("/units/import/confirm/", {"token": preview.context["token"], "digest": digest}).status_code == 400
    assert not Unit.objects.exists()


def test_confirm_after_the_registry_changed_shows_the_new_plan(client, staff):
    preview = client.post("/units/import/", {"file": upload([["D1", "某区", "", "区县", "主城区", 1, "是"]])},
                          follow=True)
    factories.group("主城区")
    response = client.post("/units/import/confirm/", {"token": preview.context["token"],
                                                      "digest": preview.context["plan"].digest})
    assert response.status_code == 409 and "预览之后名册已被修改" in response.content.decode()
    assert not Unit.objects.exists()
    done = client.post("/units/import/confirm/", {"token": response.context["token"],
                                                  "digest": response.context["plan"].digest})
    assert done.status_code == 302 and Unit.objects.count() == 1


def test_import_twice_via_the_screen(client, staff):
    rows = [["D1", "某区", "", "区县(自治县)", "主城区", 1, "是"]]
    preview = client.post("/units/import/", {"file": upload(rows)}, follow=True)
    client.post("/units/import/confirm/", {"token": preview.context["token"], "digest": preview.context["plan"].digest})
    second = client.post("/units/import/", {"file": upload(rows)}, follow=True).content.decode()
    assert "新增 0 个，更新 0 个，未变 1 个" in second


def test_many_bad_rows_make_a_short_page(client, staff):
    rows = [[f"D{i}", "某区", "", f"乡镇{i}", "主城区", 1, "是"] for i in range(1, 1001)]
    response = client.post("/units/import/", {"file": upload(rows)})
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("不是可选的单位类别") == 200 and "……另有 800 处错误未列出（共 1,000 处）" in page
    assert len(response.content) < 200_000


def test_export_download_has_a_chinese_file_name(client, staff):
    factories.unit(name="渝中区")
    response = client.get("/units/export/")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" + quote("被测评单位名册-") in response["Content-Disposition"]
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert book["被测评单位"]["B2"].value == "渝中区"


def test_template_download(client, staff):
    response = client.get("/units/import/template.xlsx")
    assert quote("被测评单位名册模板.xlsx") in response["Content-Disposition"]
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in book["被测评单位"][1]] == HEADERS and book["被测评单位"].max_row == 1


def test_groups_reorder_screen(client, staff):
    a = factories.group("甲", order=1)
    b = factories.group("乙", order=2)
    client.post(f"/units/groups/{b.pk}/move/", {"direction": "up"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.order < a.order


def test_the_registry_lists_districts_before_departments(client, staff):
    """Regression: sorted by the kind's stored value, 市级部门 ("department") came first."""
    dept = factories.group("党群部门", UnitKind.DEPARTMENT)
    factories.unit(name="市委办公厅", group_=dept, code="A001")
    factories.unit(name="渝中区", code="Z001")
    page = client.get("/units/").content.decode()
    assert page.index("渝中区") < page.index("市委办公厅")
