"""sheets.writer: text never becomes a formula, values are typed, every sheet prints readably."""

import datetime as dt
import tracemalloc
import zipfile
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from sheets.writer import (
    MIN_PRINT_SCALE,
    Column,
    Styled,
    column_mm,
    content_disposition,
    csv_text,
    download_name,
    fit_widths,
    new_workbook,
    print_layout,
    save,
    printable_mm,
    workbook_bytes,
    write_notes,
    write_table,
    xlsx_response,
)

DANGEROUS = ["=1+1", '=HYPERLINK("http://evil","江北区")', "-1+1", "+1", "@SUM(A1)", "\tx", "\rx", "=", "'=1"]


def book_bytes(columns, rows, **kw):
    book = new_workbook()
    write_table(book, "表", columns, rows, **kw)
    return workbook_bytes(book)


def sheet_xml(data, index=1):
    return zipfile.ZipFile(BytesIO(data)).read(f"xl/worksheets/sheet{index}.xml").decode()


def test_text_that_looks_like_a_formula_stays_text_without_an_apostrophe():
    data = book_bytes([Column("名称")], [[text] for text in DANGEROUS])
    assert "<f>" not in sheet_xml(data)
    for read_only in (False, True):
        sheet = load_workbook(BytesIO(data), read_only=read_only)["表"]
        cells = [row[0] for row in sheet.iter_rows(min_row=2)]
        assert [c.value for c in cells] == [t.replace("\r", "\n") if t == "\rx" else t for t in DANGEROUS] or \
            [c.value for c in cells][:5] == DANGEROUS[:5]
        assert {c.data_type for c in cells} == {"s"}
    sheet = load_workbook(BytesIO(data))["表"]
    prefixed = {row[0].value: row[0].quotePrefix for row in sheet.iter_rows(min_row=2)}
    assert prefixed["=1+1"] and prefixed["-1+1"] and prefixed["@SUM(A1)"] and not prefixed["'=1"]


def test_numbers_dates_and_years_are_typed_with_formats():
    columns = [Column("年度", "year"), Column("票数", "int"), Column("比率", "percent"), Column("时间", "datetime"),
               Column("日期", "date"), Column("启用", "bool"), Column("编号", "number")]
    at = timezone.make_aware(dt.datetime(2026, 3, 1, 9, 30))
    data = book_bytes(columns, [[2025, 12345, 0.8, at, dt.date(2026, 3, 2), True, 42]])
    row = next(load_workbook(BytesIO(data))["表"].iter_rows(min_row=2))
    assert [c.value for c in row] == [2025, 12345, 0.8, dt.datetime(2026, 3, 1, 9, 30), dt.datetime(2026, 3, 2), "是", 42]
    assert [c.number_format for c in row] == ["0", "#,##0", "0.0%", "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd", "General", "0"]
    assert [c.data_type for c in row] == ["n", "n", "n", "d", "d", "s", "n"]


def test_house_style_header_freeze_filter_print_titles_and_footer():
    data = book_bytes([Column("单位代码"), Column("单位名称")], [["D1", "渝中区"]], footer="被测评单位名册")
    sheet = load_workbook(BytesIO(data))["表"]
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("D9E1F2")
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:B2"
    assert sheet.print_title_rows == "$1:$1"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.oddFooter.right.text == "第 &P 页，共 &N 页"
    assert sheet.oddFooter.left.text == "被测评单位名册"
    assert sheet.page_margins.bottom > sheet.page_margins.footer + 0.3  # the footer has room


def test_long_footer_is_shortened_so_it_never_runs_into_the_page_count():
    data = book_bytes([Column("甲")], [["x"]], footer="很长的页脚" * 20 + "&")
    footer = load_workbook(BytesIO(data))["表"].oddFooter.left.text
    assert footer.endswith("…") and len(footer) <= 21


def test_widths_fit_content_and_cjk_counts_double():
    widths = fit_widths([Column("代码"), Column("名称"), Column("说明")], [["D1", "重庆市渝中区", "x" * 200]])
    assert widths[1] == len("重庆市渝中区") * 2 + 2
    assert widths[2] == 60  # long text wraps instead of widening forever
    assert widths[0] >= 6


def test_wrapped_header_row_is_tall_enough():
    data = book_bytes([Column("选拔任用满意率与基本满意率之和（95%区间下限）", "percent", width=10)], [[0.5]])
    sheet = load_workbook(BytesIO(data))["表"]
    assert sheet.row_dimensions[1].height >= 15 * 4


def test_print_layout_portrait_landscape_fit_or_flow():
    assert print_layout([12, 30, 14]).orientation == "portrait"
    medium = print_layout([14] * 9)
    assert (medium.orientation, medium.fit_width, medium.scale) == ("landscape", False, 1.0)
    wide = print_layout([12] * 14)
    assert wide.fit_width and MIN_PRINT_SCALE <= wide.scale < 1
    assert wide.scale == pytest.approx(printable_mm("landscape") / sum(column_mm(12) for _ in range(14)))
    assert print_layout([12] * 18).flow  # would print at 65%: flows instead
    huge = print_layout([12] * 40)
    assert huge.flow and not huge.fit_width and huge.scale == 1.0


def test_a_very_wide_sheet_flows_over_pages_with_title_columns_not_shrunk():
    columns = [Column("单位代码"), Column("单位名称")] + [Column(f"指标{i}满意率", "percent") for i in range(40)]
    data = book_bytes(columns, [["D1", "渝中区"] + [0.5] * 40], key_columns=2)
    sheet = load_workbook(BytesIO(data))["表"]
    assert sheet.page_setup.orientation == "landscape"
    assert not sheet.sheet_properties.pageSetUpPr or not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_cols == "$A:$B" and sheet.print_title_rows == "$1:$1"
    assert sheet.freeze_panes == "C2"


def test_a_moderately_wide_sheet_fits_one_page_wide_at_no_less_than_70_percent():
    columns = [Column(f"列{i}", width=12) for i in range(14)]
    sheet = load_workbook(BytesIO(book_bytes(columns, [[1] * 14])))["表"]
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0  # 1 is the default


def test_drop_down_lists_inline_and_on_a_hidden_sheet():
    columns = [Column("类别", choices=["区县(自治县)", "市级部门(人民团体)"]),
               Column("分组", choices=[f"分组{i}" for i in range(80)], strict=False)]
    data = book_bytes(columns, [], input_rows=100)
    book = load_workbook(BytesIO(data))
    kinds, groups = book["表"].data_validations.dataValidation
    assert kinds.formula1 == '"区县(自治县),市级部门(人民团体)"' and str(kinds.sqref) == "A2:A101"
    assert kinds.showErrorMessage and not groups.showErrorMessage
    assert groups.formula1 == "'下拉选项'!$A$1:$A$80"
    assert book["下拉选项"].sheet_state == "hidden" and book["下拉选项"]["A80"].value == "分组79"


def test_styled_values_and_notes_sheet():
    book = new_workbook()
    write_table(book, "表", [Column("等次")], [[Styled("群众满意单位", fill="C6EFCE", bold=True)]])
    write_notes(book, "说明", "2026年度测评", [("年度", 2026, "year"), ("公式样", "=1+1")])
    loaded = load_workbook(BytesIO(workbook_bytes(book)))
    assert loaded["表"]["A2"].fill.fgColor.rgb.endswith("C6EFCE") and loaded["表"]["A2"].font.b
    notes = loaded["说明"]
    assert notes["A1"].value == "2026年度测评" and notes["B3"].value == 2026 and notes["B3"].number_format == "0"
    assert notes["B4"].data_type == "s" and notes["B4"].value == "=1+1"


def test_streaming_rows_keeps_memory_flat():
    def rows(n):
        for i in range(n):
            yield [f"D{i}", "某单位名称" * 3, i, 0.5]

    columns = [Column("代码"), Column("名称"), Column("序号", "int"), Column("比率", "percent")]
    peaks = []
    for n in (500, 5_000):
        book = new_workbook()
        tracemalloc.start()
        count = write_table(book, "表", columns, rows(n))
        save(book, BytesIO())
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == n
    assert peaks[1] < peaks[0] * 2 + 2_000_000  # ten times the rows, not ten times the memory


def test_csv_text_keeps_the_apostrophe_defence():
    assert csv_text("=1+1") == "'=1+1" and csv_text("渝中区") == "渝中区"


def test_download_names_and_content_disposition():
    assert download_name("被测评单位名册", "主城区/远郊", dt.date(2026, 3, 1)) == "被测评单位名册-主城区_远郊-2026-03-01.xlsx"
    assert download_name("", None, "全程记实", ext="xlsx") == "全程记实.xlsx"
    assert download_name('a:b*c?"d<e>f|g\x00', ext="csv") == "a_b_c_d_e_f_g_.csv"
    header = content_disposition("被测评单位名册-2026-03-01.xlsx")
    assert header.startswith('attachment; filename="2026-03-01.xlsx"; ')
    assert "filename*=UTF-8''%E8%A2%AB%E6%B5%8B" in header
    assert content_disposition("全程记实.xlsx").startswith('attachment; filename="download.xlsx"')


def test_xlsx_response_from_a_workbook():
    book = new_workbook()
    write_table(book, "表", [Column("甲")], [["x"]])
    response = xlsx_response(book, "名册.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E5%90%8D%E5%86%8C.xlsx" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    response.file_to_stream.close()  # response.close() would signal request_finished
    assert load_workbook(BytesIO(body))["表"]["A2"].value == "x"


# --- the bulk path -------------------------------------------------------------------------

BULK_COLUMNS = [Column("代码"), Column("名称", wrap=True), Column("票数", "int"), Column("比率", "percent"),
                Column("日期", "date"), Column("时间", "datetime"), Column("启用", "bool"), Column("备注")]


def bulk_rows():
    yield ["D1", "渝中区", 3, 0.799, dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 8, 30), True, None]
    for text in DANGEROUS:
        yield [text, " 前后有空格 ", 0, 1.0, None, None, False, text]
    yield ["<&>", "a\x01b" + "长" * 100, 10**12, float("nan"), dt.date(1900, 3, 1), None, None, "x" * 40_000]


def cells(data):
    sheet = load_workbook(BytesIO(data))["表"]
    return [[(c.value, c.data_type, c.number_format, c.quotePrefix, bool(c.border.left.style))
             for c in row] for row in sheet.iter_rows()]


def test_bulk_rows_are_the_same_cells_as_the_ordinary_path():
    """Same values, types, formats, quotePrefix and borders; only the row heights of wrapped
    text are left to the spreadsheet."""
    slow = book_bytes(BULK_COLUMNS, list(bulk_rows()), note="合计")
    fast = book_bytes(BULK_COLUMNS, bulk_rows(), note="合计", bulk=True)
    assert cells(fast) == cells(slow)
    assert "<f>" not in sheet_xml(fast)
    sheet = load_workbook(BytesIO(fast))["表"]
    assert sheet.auto_filter.ref == "A1:H12" and sheet["A14"].value == "合计"


def test_bulk_rows_stream_in_flat_memory():
    def rows(n):
        for i in range(n):
            yield [f"D{i % 50}", "某单位名称", i, 0.5, dt.date(2026, 3, 1), None, True, f"意见{i}" * 20]

    peaks = []
    for n in (2_000, 20_000):
        book = new_workbook()
        tracemalloc.start()
        assert write_table(book, "表", BULK_COLUMNS, rows(n), bulk=True) == n
        save(book, BytesIO())
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 2 + 2_000_000


def test_bulk_rows_refuse_styled_values():
    with pytest.raises(TypeError):
        book_bytes([Column("等次")], [[Styled("群众满意单位", fill="C6EFCE")]], bulk=True)
