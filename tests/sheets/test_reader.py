"""sheets.reader: columns by name, typed cells, every error by row and column, grouped."""

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import Workbook

from sheets.reader import Column, SheetRefused, Table, header_key, read_table
from sheets.text import fold, tidy

from . import corpus

COLUMNS = [
    Column("单位代码", key="code", max_length=20, unique=True, aliases=("代码",)),
    Column("单位名称", key="name", max_length=10),
    Column("单位类别", key="kind", kind="choice", choices={"区县(自治县)": "district", "区县": "district",
                                                           "市级部门(人民团体)": "department", "部门": "department"}),
    Column("排序", key="order", kind="int", required=False, default=0, min_value=0, max_value=999),
    Column("启用", key="active", kind="bool", required=False, default=True),
]
HEADER = ["单位代码", "单位名称", "单位类别", "排序", "启用"]


def read(rows, header=HEADER, **kw):
    return read_table(corpus.workbook(rows, header), COLUMNS, **kw)


def messages(rows, header=HEADER):
    return read(rows, header).messages()


def refusal(data, columns=COLUMNS, **kw):
    with pytest.raises(SheetRefused) as exc:
        read_table(data, columns, **kw)
    return " ".join(exc.value.messages)


def test_reads_typed_rows_with_their_row_numbers():
    table = read([["D1", "渝中区", "区县", 3.0, "否"], [None] * 5, ["D2", "江北区", "区县(自治县)", None, None]])
    assert table.ok
    assert table.rows == [
        {"code": "D1", "name": "渝中区", "kind": "district", "order": 3, "active": False},
        {"code": "D2", "name": "江北区", "kind": "district", "order": 0, "active": True},
    ]
    assert [r.number for r in table.rows] == [2, 4]  # the empty row is skipped, numbers stay true


def test_headers_are_matched_by_name_in_any_order_and_loosely():
    header = ["启用", " 单位名称＊", "单位类别（必填）", "代码", "排 序"]
    table = read([["是", "渝中区", "区县", "D1", 2]], header=header)
    assert table.ok and table.rows[0] == {"code": "D1", "name": "渝中区", "kind": "district", "order": 2, "active": True}
    assert table.positions["code"] == ("D", "代码")


def test_optional_columns_may_be_left_out():
    table = read([["D1", "渝中区", "区县"]], header=["单位代码", "单位名称", "单位类别"])
    assert table.rows[0]["order"] == 0 and table.rows[0]["active"] is True


def test_missing_extra_and_duplicate_columns_are_refused_by_name():
    data = corpus.workbook([["D1", "x", "y", "z", "w"]], header=["单位代码", "单位名称", "备注", "单位代码", "联系人"])
    text = refusal(data)
    assert "缺少列：单位类别" in text
    assert "多出不认识的列：C 列“备注”、E 列“联系人”" in text
    assert "重复的列：A 列和 D 列都是“单位代码”" in text
    assert "本表可用的列：单位代码、单位名称、单位类别、排序（可省略）、启用（可省略）" in text


def test_a_title_row_above_the_header_is_skipped():
    data = corpus.workbook([["2026年被测评单位名册"], [], HEADER, ["D1", "渝中区", "区县"]], header=None)
    table = read_table(data, COLUMNS)
    assert table.header_row == 3 and table.rows[0].number == 4 and table.rows[0]["code"] == "D1"


def test_sheet_chosen_by_name_else_the_first():
    good = [HEADER, ["D1", "渝中区", "区县"]]
    data = corpus.workbook([["这是说明"]], header=None, title="说明", more_sheets=[("被测评单位", good)])
    assert read_table(data, COLUMNS, sheet="被测评单位").rows[0]["code"] == "D1"
    assert "缺少列" in refusal(data, sheet="别的名字")  # falls back to the first sheet: 说明
    first = corpus.workbook([], header=None, title="后面", first=("名册", good))
    assert read_table(first, COLUMNS).sheet == "名册"


def test_every_error_of_a_row_is_reported_with_row_column_and_header():
    lines = messages([["D 1", "", "乡镇", 3.5, "也许"]])
    assert lines == [
        "第 2 行 B 列（单位名称）：不能为空。",
        "第 2 行 C 列（单位类别）：“乡镇”不是可选的单位类别。可填：区县(自治县)、市级部门(人民团体)。",
        "第 2 行 D 列（排序）：“3.5”不是整数。",
        "第 2 行 E 列（启用）：“也许”应填“是”或“否”。",
    ]


def test_identical_errors_are_grouped_with_row_ranges():
    rows = [[f"D{i}", "区", "乡镇" if i in (1, 3, 4, 5, 9) else "区县"] for i in range(1, 11)]
    assert messages(rows) == [
        "第 2、4–6、10 行 C 列（单位类别）：“乡镇”不是可选的单位类别。可填：区县(自治县)、市级部门(人民团体)。"
    ]


def test_errors_are_capped_with_a_count_of_the_rest(settings):
    settings.SHEETS_MAX_MESSAGES = 5
    lines = messages([[f"D{i}", "区", f"乡镇{i}"] for i in range(1, 21)])
    assert len(lines) == 6
    assert lines[-1] == "……另有 15 处错误未列出（共 20 处）。请先改正以上错误再上传。"


def test_dates_in_text_columns_are_errors_not_timestamps():
    lines = messages([[dt.datetime(2026, 3, 1), dt.date(2026, 3, 2), "区县"]])
    assert lines[0].startswith("第 2 行 A 列（单位代码）：是日期或时间（2026-03-01），此列应填文字")
    assert "2026-03-02" in lines[1] and "00:00:00" not in " ".join(lines)


def test_numbers_in_text_columns_are_their_digits():
    table = read([[101, 2025.0, "区县"]])
    assert table.rows[0]["code"] == "101" and table.rows[0]["name"] == "2025"


def test_whole_numbers_accept_3_0_and_full_width_digits_but_not_3_5():
    table = read([["D1", "甲", "区县", 3.0], ["D2", "乙", "区县", "３"], ["D3", "丙", "区县", "1,000"]])
    assert [r["order"] for r in table.rows] == [3, 3, None]
    assert table.messages() == ["第 4 行 D 列（排序）：1000 大于上限 999。"]
    assert messages([["D1", "甲", "区县", "3.5"], ["D2", "乙", "区县", -1], ["D3", "丙", "区县", True]]) == [
        "第 2 行 D 列（排序）：“3.5”不是整数。",
        "第 3 行 D 列（排序）：-1 小于下限 0。",
        "第 4 行 D 列（排序）：是逻辑值（True），此列应填整数。",
    ]


def test_text_is_tidied_and_lengths_are_checked_after_tidying():
    table = read([["Ｄ１", "重庆市\u3000江北区 ", "区县（自治县）"], ["D2", "一二三四五六七八九十一", "区县"]])
    assert table.rows[0]["code"] == "D1" and table.rows[0]["name"] == "重庆市 江北区"
    assert table.rows[0]["kind"] == "district"
    assert table.messages() == ["第 3 行 B 列（单位名称）：“一二三四五六七八九十一”有 11 个字，超过 10 个字的上限。"]


def test_formula_and_error_cells_have_their_own_messages():
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["D1", "=A1&\"区\"", "区县"])
    out = BytesIO()
    book.save(out)
    lines = read_table(out.getvalue(), COLUMNS).messages()
    assert lines == ["第 2 行 B 列（单位名称）：是公式“=A1&\"区\"”。请改为直接填写的值（可复制后“选择性粘贴 → 数值”）。"]
    error_cell = corpus.package([("被测评单位", corpus.sheet_xml(
        corpus.header_xml(HEADER) + '<row r="2"><c r="A2" t="inlineStr"><is><t>D1</t></is></c>'
        '<c r="B2" t="e"><v>#N/A</v></c><c r="C2" t="inlineStr"><is><t>区县</t></is></c></row>'))])
    assert read_table(error_cell, COLUMNS).messages() == ["第 2 行 B 列（单位名称）：显示错误值 #N/A。请改为有效的内容。"]


def test_merged_cells_are_named_not_reported_as_missing():
    data = corpus.workbook([["D1", "渝中区", "区县"], ["D2", "江北区", None], ["D3", "沙区", "区县"]], HEADER,
                           merge="C2:C3")
    assert read_table(data, COLUMNS).messages() == ["第 2、3 行 C 列（单位类别）：合并单元格 C2:C3：请取消合并，在每一行分别填写。"]
    header_merge = corpus.workbook([["D1", "渝中区", "区县"]], HEADER, merge="A1:B1")
    assert "表头 A1:B1 是合并单元格" in refusal(header_merge)


def test_duplicate_values_in_a_unique_column():
    assert messages([["D1", "甲", "区县"], ["D2", "乙", "区县"], ["D1", "丙", "区县"]]) == [
        "第 4 行 A 列（单位代码）：“D1”与第 2 行重复。"
    ]


def test_content_under_no_header_is_an_error():
    assert messages([["D1", "甲", "区县", 1, "是", "多余"]]) == ["第 2 行 F 列：这一列没有表头，却有内容。请删除它，或补上表头。"]


def test_empty_sheet_and_header_only_are_refused():
    assert "是空的" in refusal(corpus.workbook([], header=None))
    assert "只有表头，没有数据行" in refusal(corpus.workbook([], HEADER))


def test_a_lying_dimension_reads_normally():
    table = read_table(corpus.lying_dimension(HEADER, [["D1", "渝中区", "区县"]]), COLUMNS)
    assert table.rows == [{"code": "D1", "name": "渝中区", "kind": "district", "order": 0, "active": True}]


def test_limits_come_from_settings(settings):
    settings.SHEETS_MAX_ROWS = 3
    assert "表格最多 3 行" in refusal(corpus.workbook([["D1", "甲", "区县"], ["D2", "乙", "区县"], ["D3", "丙", "区县"]]))
    settings.SHEETS_MAX_UPLOAD_BYTES = 100
    assert "文件过大" in refusal(corpus.workbook([["D1", "甲", "区县"]]))


def test_errors_added_by_the_caller_use_the_same_format():
    table = read([["D1", "甲", "区县"]])
    table.error(table.rows[0], "name", "与已有单位重名。")
    table.error(table.rows[0], None, "整行有问题。")
    assert table.messages() == ["第 2 行：整行有问题。", "第 2 行 B 列（单位名称）：与已有单位重名。"]
    assert isinstance(table, Table)


def test_text_helpers():
    assert tidy(" 重庆市\u3000\u3000江北区\u200b ") == "重庆市 江北区"
    assert fold("主城・区") == fold("主城·区") == fold("主城 • 区") and fold("ＡＢ") == fold("ab")
    assert header_key("单位名称（必填）") == header_key("单位 名称*") == "单位名称"
