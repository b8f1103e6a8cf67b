"""Unit registry import/export: keyed by code, idempotent, all or nothing with row errors."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from tests import factories
from units.models import Unit, UnitGroup, UnitKind
from units.xlsx import HEADERS, units_export, units_import

pytestmark = pytest.mark.django_db


def workbook(rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = [
    ["D101", "渝中区", "渝中", "区县(自治县)", "主城区", 1, "是"],
    ["D102", "江北区", "江北", "区县(自治县)", "主城区", 2, "是"],
    ["M101", "市教委", "", "市级部门(人民团体)", "政府部门", 1, "否"],
]


@pytest.fixture
def staff():
    return factories.staff()


def test_import_creates_units_and_groups(staff):
    result = units_import(data=workbook(GOOD), actor=staff, source="导入单位名册")
    assert result.created == ["D101", "D102", "M101"]
    assert sorted(result.groups_created) == ["主城区", "政府部门"]
    m = Unit.objects.get(code="M101")
    assert m.kind == UnitKind.DEPARTMENT and not m.is_active and m.short_name == "市教委"
    entry = AuditEntry.objects.get(action="unit.import")
    assert entry.changes["created"] == ["D101", "D102", "M101"] and entry.actor == staff


def test_importing_the_same_file_twice_changes_nothing(staff):
    data = workbook(GOOD)
    units_import(data=data, actor=staff)
    before = list(Unit.objects.values())
    result = units_import(data=data, actor=staff)
    assert (result.created, result.updated, result.unchanged, result.groups_created) == ([], {}, 3, [])
    assert list(Unit.objects.values()) == before
    assert AuditEntry.objects.filter(action="unit.import").count() == 1


def test_import_updates_by_code(staff):
    units_import(data=workbook(GOOD), actor=staff)
    changed = [row[:] for row in GOOD]
    changed[0][1] = "渝中区（新）"
    result = units_import(data=workbook(changed), actor=staff)
    assert result.updated == {"D101": {"name": ["渝中区", "渝中区（新）"]}}
    assert Unit.objects.get(code="D101").name == "渝中区（新）"


def test_every_bad_row_is_reported_and_nothing_is_saved(staff):
    existing = factories.group("党群部门", UnitKind.DEPARTMENT)
    rows = GOOD + [
        ["", "无代码", "", "区县(自治县)", "主城区", 1, "是"],
        ["D101", "重复", "", "区县(自治县)", "主城区", 1, "是"],
        ["X 1", "坏代码", "", "乡镇", "主城区", "第一", "也许"],
        ["D103", "错分组", "", "区县(自治县)", existing.name, 1, "是"],
    ]
    with pytest.raises(ValidationError) as exc:
        units_import(data=workbook(rows), actor=staff)
    messages = exc.value.messages
    assert messages[0].startswith("第 5 行：缺少单位代码")
    assert messages[1].startswith("第 6 行：单位代码 D101 与第 2 行重复")
    assert messages[2].startswith("第 7 行：") and "单位类别“乡镇”无效" in messages[2]
    assert "排序“第一”应为非负整数" in messages[2] and "启用“也许”" in messages[2]
    assert messages[3] == "第 8 行：分组“党群部门”属于另一类单位。"
    assert not Unit.objects.exists()
    assert list(UnitGroup.objects.values_list("name", flat=True)) == ["党群部门"]
    assert not AuditEntry.objects.filter(action="unit.import").exists()


def test_bad_code_characters_reported_by_row(staff):
    with pytest.raises(ValidationError) as exc:
        units_import(data=workbook([["D 1", "某区", "", "区县(自治县)", "主城区", 1, "是"]]), actor=staff)
    assert exc.value.messages == ["第 2 行：单位代码只能包含字母、数字、下划线和连字符。"]


def test_wrong_header_and_unreadable_file_are_refused(staff):
    with pytest.raises(ValidationError, match="第 1 行应为表头"):
        units_import(data=workbook(GOOD, headers=["代码", "名称"]), actor=staff)
    with pytest.raises(ValidationError, match="无法读取文件"):
        units_import(data=b"not a spreadsheet", actor=staff)


def test_export_round_trips_through_import(staff):
    units_import(data=workbook(GOOD), actor=staff)
    data = units_export()
    sheet = load_workbook(BytesIO(data)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.max_row == 4
    result = units_import(data=data, actor=staff)
    assert result.unchanged == 3 and not result.created and not result.updated
