"""Unit registry import/export: keyed by code, idempotent, all or nothing with row errors,
names tidied, kinds in their common forms, new groups and likely mistakes shown first."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from audit.models import AuditEntry
from sheets.reader import SheetRefused
from sheets.writer import workbook_bytes
from tests import factories
from tests.sheets import corpus
from units.models import Unit, UnitGroup, UnitKind
from units.xlsx import HEADERS, PlanChanged, name_key, units_export, units_import, units_plan, units_workbook

pytestmark = pytest.mark.django_db


def workbook(rows, headers=HEADERS, **kw):
    return corpus.workbook(rows, headers, **kw)


GOOD = [
    ["D101", "渝中区", "渝中", "区县(自治县)", "主城区", 1, "是"],
    ["D102", "江北区", "江北", "区县(自治县)", "主城区", 2, "是"],
    ["M101", "市教委", "", "市级部门(人民团体)", "政府部门", 1, "否"],
]


def refused(data):
    with pytest.raises(SheetRefused) as exc:
        units_plan(data)
    return exc.value.messages


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
    assert entry.changes["groups_created"] == ["主城区", "政府部门"]


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
    assert result.updated == {"D101": {"name": ["渝中区", "渝中区(新)"]}}  # stored tidied (NFKC)
    assert Unit.objects.get(code="D101").name == "渝中区(新)"


def test_columns_in_any_order_and_optional_ones_left_out(staff):
    header = ["分组", "单位类别", "单位名称", "单位代码"]
    result = units_import(data=workbook([["主城区", "区县", "渝中区", "D101"]], header), actor=staff)
    unit = Unit.objects.get(code=result.created[0])
    assert (unit.name, unit.short_name, unit.order, unit.is_active) == ("渝中区", "渝中区", 0, True)


@pytest.mark.parametrize("label, kind", [
    ("区县", UnitKind.DISTRICT), ("区县(自治县)", UnitKind.DISTRICT), ("区县（自治县）", UnitKind.DISTRICT),
    ("区", UnitKind.DISTRICT), ("县", UnitKind.DISTRICT), ("自治县", UnitKind.DISTRICT),
    (" 区县 （ 自治县 ） ", UnitKind.DISTRICT), ("district", UnitKind.DISTRICT),
    ("市级部门", UnitKind.DEPARTMENT), ("市级部门(人民团体)", UnitKind.DEPARTMENT),
    ("市级部门（人民团体）", UnitKind.DEPARTMENT), ("人民团体", UnitKind.DEPARTMENT), ("部门", UnitKind.DEPARTMENT),
])
def test_kind_labels_in_their_common_forms(staff, label, kind):
    units_import(data=workbook([["U1", "某单位", "", label, "某组", 1, "是"]]), actor=staff)
    assert Unit.objects.get(code="U1").kind == kind


def test_names_are_tidied_before_they_are_stored(staff):
    rows = [["Ｄ１", "重庆市\u3000江北区 ", " 江北\u200b", "区县", "主城\u3000 区", 1, "是"]]
    units_import(data=workbook(rows), actor=staff)
    unit = Unit.objects.get()
    assert (unit.code, unit.name, unit.short_name, unit.group.name) == ("D1", "重庆市 江北区", "江北", "主城 区")


def test_untidy_stored_names_that_differ_only_by_tidying_are_unchanged(staff):
    group = factories.group("主城区")
    factories.unit(name="重庆市\u3000江北区", code="D1", group_=group)
    plan = units_plan(workbook([["D1", "重庆市 江北区", "重庆市\u3000江北区"[:10], "区县", "主城区", 0, "是"]]))
    assert plan.unchanged == 1 and not plan.updated


def test_every_bad_row_is_reported_and_nothing_is_saved(staff):
    existing = factories.group("党群部门", UnitKind.DEPARTMENT)
    rows = GOOD + [
        ["", "无代码", "", "区县(自治县)", "主城区", 1, "是"],
        ["D101", "重复", "", "区县(自治县)", "主城区", 1, "是"],
        ["X 1", "坏代码", "", "乡镇", "主城区", "第一", "也许"],
        ["D103", "错分组", "", "区县(自治县)", existing.name, 1, "是"],
    ]
    messages = refused(workbook(rows))
    assert messages == [
        "第 5 行 A 列（单位代码）：不能为空。",
        "第 6 行 A 列（单位代码）：“D101”与第 2 行重复。",
        "第 7 行 A 列（单位代码）：单位代码只能包含字母、数字、下划线和连字符。",
        "第 7 行 D 列（单位类别）：“乡镇”不是可选的单位类别。可填：区县(自治县)、市级部门(人民团体)。",
        "第 7 行 F 列（排序）：“第一”不是整数。",
        "第 7 行 G 列（启用）：“也许”应填“是”或“否”。",
        "第 8 行 E 列（分组）：分组“党群部门”属于市级部门(人民团体)，与本行的单位类别（区县(自治县)）不符。",
    ]
    assert not Unit.objects.exists()
    assert list(UnitGroup.objects.values_list("name", flat=True)) == ["党群部门"]
    assert not AuditEntry.objects.filter(action="unit.import").exists()


def test_a_date_in_the_name_column_is_an_error(staff):
    import datetime as dt

    messages = refused(workbook([["D1", dt.datetime(2026, 3, 1), "", "区县", "主城区", 1, "是"]]))
    assert messages[0].startswith("第 2 行 B 列（单位名称）：是日期或时间（2026-03-01），此列应填文字")


def test_lengths_are_checked_before_the_database_sees_them(staff):
    rows = [["D1", "区" * 101, "简" * 31, "区县", "组" * 51, 1, "是"], ["D" * 21, "某区", "", "区县", "主城区", 1, "是"]]
    assert refused(workbook(rows)) == [
        "第 2 行 B 列（单位名称）：“区区区区区区区区区区区区区区区区区区区区区区区区区区区区区…”有 101 个字，超过 100 个字的上限。",
        "第 2 行 C 列（简称）：“简简简简简简简简简简简简简简简简简简简简简简简简简简简简简…”有 31 个字，超过 30 个字的上限。",
        "第 2 行 E 列（分组）：“组组组组组组组组组组组组组组组组组组组组组组组组组组组组组…”有 51 个字，超过 50 个字的上限。",
        f"第 3 行 A 列（单位代码）：“{'D' * 21}”有 21 个字，超过 20 个字的上限。",
    ]
    assert not UnitGroup.objects.exists()


def test_a_look_alike_group_name_uses_the_existing_group_with_a_warning(staff):
    group = factories.group("主城·区")
    plan = units_plan(workbook([["D1", "渝中区", "", "区县", "主城・区", 1, "是"]]))
    assert not plan.new_groups
    assert plan.warnings == ["第 2 行起，分组“主城・区”与已有分组“主城·区”只差标点、空格或全角/半角，按已有分组“主城·区”导入，不新建分组。"]
    units_import(data=workbook([["D1", "渝中区", "", "区县", "主城・区", 1, "是"]]), actor=staff)
    assert Unit.objects.get().group == group and UnitGroup.objects.count() == 1


def test_two_spellings_of_one_new_group_in_a_file_are_refused(staff):
    rows = [["D1", "渝中区", "", "区县", "主城·区", 1, "是"], ["D2", "江北区", "", "区县", "主城・区", 1, "是"]]
    assert refused(workbook(rows)) == ["第 3 行 E 列（分组）：新分组“主城・区”与本文件中的“主城·区”只差标点、空格或全角/半角，请统一写法。"]


def test_new_groups_are_listed_by_name_before_saving(staff):
    plan = units_plan(workbook(GOOD))
    assert plan.new_groups == {"主城区": UnitKind.DISTRICT, "政府部门": UnitKind.DEPARTMENT}
    assert plan.new_group_list == [("主城区", "区县(自治县)", 2), ("政府部门", "市级部门(人民团体)", 1)]
    assert not UnitGroup.objects.exists() and not Unit.objects.exists()


def test_city_prefix_variants_are_flagged_as_possible_duplicates(staff):
    group = factories.group("主城区")
    factories.unit(name="渝中区", code="D101", group_=group)
    rows = [["D9", "重庆市渝中区", "", "区县", "主城区", 1, "是"],
            ["D10", "江北区", "", "区县", "主城区", 1, "是"],
            ["D11", "重庆市 江北区", "", "区县", "主城区", 1, "是"]]
    plan = units_plan(workbook(rows))
    assert plan.warnings == [
        "第 2 行“重庆市渝中区”（D9）可能与已有单位“渝中区”（D101）是同一单位：名称只差市名前缀、标点、空格或全角/半角。",
        "第 4 行“重庆市 江北区”（D11）与第 3 行“江北区”（D10）可能是同一单位：名称只差市名前缀、标点、空格或全角/半角。",
    ]
    # The stored unit's own row in the same file does not repeat the warning.
    again = units_plan(workbook([["D101", "渝中区", "", "区县", "主城区", 0, "是"], rows[0]]))
    assert again.warnings == [plan.warnings[0].replace("第 2 行", "第 3 行")]
    assert name_key("重庆市教育委员会") == name_key("市教育委员会") and name_key("市委组织部") != name_key("委组织部")


def test_a_plan_that_changed_since_the_preview_is_not_saved(staff):
    data = workbook(GOOD)
    digest = units_plan(data).digest
    factories.group("主城区")  # someone creates the group meanwhile
    with pytest.raises(PlanChanged) as exc:
        units_import(data=data, actor=staff, expect=digest)
    assert "主城区" not in exc.value.plan.new_groups and not Unit.objects.exists()
    result = units_import(data=data, actor=staff, expect=exc.value.plan.digest)
    assert len(result.created) == 3


def test_wrong_header_and_unreadable_file_are_refused(staff):
    assert "缺少列：单位类别、分组。" in refused(workbook(GOOD, headers=["单位代码", "单位名称"]))
    assert "这是 CSV 或文本文件" in " ".join(refused(b"not a spreadsheet at all, no zip"))
    assert "文件已损坏" in " ".join(refused(b"PK\x03\x04 but not a zip"))


def test_export_round_trips_through_import_with_zero_changes(staff):
    units_import(data=workbook(GOOD), actor=staff)
    evil = Unit.objects.get(code="D102")
    evil.name, evil.short_name = '=HYPERLINK("http://evil","江北区")', "=1+1"
    evil.save()
    data = units_export()
    sheet = load_workbook(BytesIO(data))["被测评单位"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.max_row == 4
    names = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert names["D102"][1].value == '=HYPERLINK("http://evil","江北区")' and names["D102"][1].data_type == "s"
    assert names["D102"][2].value == "=1+1" and names["D102"][2].quotePrefix
    assert names["D101"][5].value == 1 and names["D101"][5].number_format == "0"
    plan = units_plan(data)
    assert (plan.created, plan.updated, plan.new_groups, plan.unchanged) == ([], [], {}, 3)
    result = units_import(data=data, actor=staff)
    assert result.unchanged == 3 and not result.created and not result.updated


def test_export_and_template_have_drop_down_lists_and_instructions(staff):
    factories.group("主城区")
    book = load_workbook(BytesIO(workbook_bytes(units_workbook(Unit.objects.none()))))
    assert book.sheetnames[0] == "被测评单位" and "填写说明" in book.sheetnames
    validations = {str(v.sqref): v for v in book["被测评单位"].data_validations.dataValidation}
    assert validations["D2:D501"].formula1 == '"区县(自治县),市级部门(人民团体)"'
    assert validations["G2:G501"].formula1 == '"是,否"'
    assert validations["E2:E501"].formula1 == '"主城区"' and not validations["E2:E501"].showErrorMessage
    notes = " ".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "已有分组" in notes and "主城区（区县(自治县)）" in notes
