"""Unit registry screens: list filters, create, deactivate, delete refusals, import."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

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


def test_import_reports_bad_rows_and_saves_nothing(client, staff):
    response = client.post("/units/import/", {"file": upload([
        ["D1", "某区", "", "区县(自治县)", "主城区", 1, "是"],
        ["D2", "", "", "乡镇", "主城区", 1, "是"],
    ])})
    page = response.content.decode()
    assert "第 3 行：缺少单位名称" in page and "未导入任何数据" in page
    assert not Unit.objects.exists() and not UnitGroup.objects.exists()


def test_import_twice_via_the_screen(client, staff):
    rows = [["D1", "某区", "", "区县(自治县)", "主城区", 1, "是"]]
    first = client.post("/units/import/", {"file": upload(rows)}, follow=True).content.decode()
    assert "新增 1 个" in first
    second = client.post("/units/import/", {"file": upload(rows)}, follow=True).content.decode()
    assert "新增 0 个，更新 0 个，未变 1 个" in second


def test_export_download(client, staff):
    factories.unit(name="渝中区")
    response = client.get("/units/export/")
    assert response["Content-Disposition"].startswith("attachment;")


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
