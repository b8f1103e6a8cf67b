"""The bad-file corpus through the real unit import screen.

For each file: the Chinese message naming what is wrong, HTTP 400 for a refusal, nothing
saved, and memory bounded (tracemalloc peak under MEMORY_BOUND while the request runs).
"""

import datetime as dt
import functools
import tracemalloc
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from tests import factories
from tests.sheets import corpus
from units.models import Unit, UnitGroup

pytestmark = pytest.mark.django_db

# docs/spreadsheets.md: no refused file may cost the server more than this while it is read.
MEMORY_BOUND = 50 * 1024 * 1024

H = corpus.DEFAULT_HEADER
ROW = corpus.DEFAULT_ROW


@functools.cache
def build(name):
    return dict((n, b) for n, b, _ in corpus.FILE_LEVEL)[name]()


def post(client, data, name="units.xlsx"):
    tracemalloc.start()
    try:
        response = client.post("/units/import/", {"file": SimpleUploadedFile(name, data)}, follow=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, unescape(response.content.decode()), peak


@pytest.fixture
def staff(client):
    user = factories.staff()
    client.force_login(user)
    return user


def nothing_saved():
    return not Unit.objects.exists() and not UnitGroup.objects.exists() and \
        not AuditEntry.objects.filter(action="unit.import").exists()


@pytest.mark.parametrize("name, expected", [(n, e) for n, _, e in corpus.FILE_LEVEL])
def test_file_level_refusals(client, staff, name, expected):
    response, page, peak = post(client, build(name))
    assert response.status_code == 400
    assert expected in page
    assert nothing_saved()
    assert peak < MEMORY_BOUND


def rows_file(rows, header=H, **kw):
    return corpus.workbook(rows, header, **kw)


CELL_LEVEL = [
    ("empty_workbook", lambda: corpus.workbook([], None), "工作表“被测评单位”是空的：没有表头，也没有数据。"),
    ("header_only", lambda: rows_file([]), "工作表“被测评单位”只有表头，没有数据行。"),
    ("merged_cells", lambda: rows_file([ROW, ["D2", "江北区", "", None, "主城区", 2, "是"]], merge="D2:D3"),
     "第 2、3 行 D 列（单位类别）：合并单元格 D2:D3：请取消合并，在每一行分别填写。"),
    ("formula_cells", lambda: rows_file([["D1", "=\"渝\"&\"中区\"", "", "区县", "主城区", 1, "是"]]),
     "第 2 行 B 列（单位名称）：是公式“=\"渝\"&\"中区\"”"),
    ("wrong_headers", lambda: rows_file([ROW], header=["代码号", "名称", "简称", "类别", "分组", "排序", "启用"]),
     "缺少列：单位代码"),
    ("extra_columns", lambda: rows_file([ROW + ["张三"]], header=H + ["联系人"]),
     "多出不认识的列：H 列“联系人”"),
    ("unheaded_column", lambda: rows_file([ROW + [None, "备注"]]), "第 2 行 I 列：这一列没有表头，却有内容"),
    ("duplicate_codes", lambda: rows_file([ROW, ["D1", "江北区", "", "区县", "主城区", 2, "是"]]),
     "第 3 行 A 列（单位代码）：“D1”与第 2 行重复。"),
    ("out_of_range", lambda: rows_file([["D1", "渝中区", "", "区县", "主城区", -1, "是"],
                                        ["D2", "江北区", "", "区县", "主城区", 10**7, "是"]]),
     "第 3 行 F 列（排序）：10000000 大于上限 999999。"),
    ("date_in_text", lambda: rows_file([["D1", dt.datetime(2026, 3, 1), "", "区县", "主城区", 1, "是"]]),
     "第 2 行 B 列（单位名称）：是日期或时间（2026-03-01）"),
    ("over_long_names", lambda: rows_file([["D1", "渝中区", "", "区县", "分" * 51, 1, "是"]]),
     "第 2 行 E 列（分组）：“分分分分分分分分分分分分分分分分分分分分分分分分分分分分分…”有 51 个字，超过 50 个字的上限。"),
    ("kind_typos", lambda: rows_file([["D1", "渝中区", "", "乡镇", "主城区", 1, "是"]]),
     "第 2 行 D 列（单位类别）：“乡镇”不是可选的单位类别"),
    ("look_alike_new_groups", lambda: rows_file([["D1", "渝中区", "", "区县", "主城·区", 1, "是"],
                                                 ["D2", "江北区", "", "区县", "主城・区", 1, "是"]]),
     "新分组“主城・区”与本文件中的“主城·区”只差标点"),
]


@pytest.mark.parametrize("name, build_file, expected", CELL_LEVEL, ids=[c[0] for c in CELL_LEVEL])
def test_row_level_refusals(client, staff, name, build_file, expected):
    response, page, peak = post(client, build_file())
    assert response.status_code == 400
    assert expected in page
    assert nothing_saved()
    assert peak < MEMORY_BOUND


ACCEPTED = [
    ("reordered_headers", lambda: rows_file([[r for r in reversed(ROW)]], header=list(reversed(H)))),
    ("second_sheet_by_name", lambda: corpus.workbook([], None, title="说明",
                                                     more_sheets=[("被测评单位", [H, ROW])])),
    ("first_sheet_by_default", lambda: corpus.workbook([ROW], H, title="Sheet1",
                                                       more_sheets=[("其他", [["随便"]])])),
    ("lying_dimension", lambda: corpus.lying_dimension(H, [ROW])),
]


@pytest.mark.parametrize("name, build_file", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_files_that_are_read_go_to_the_preview(client, staff, name, build_file):
    response, page, peak = post(client, build_file())
    assert response.status_code == 200
    assert "确认导入" in page and "“主城区”（区县(自治县)，1 个单位）" in page
    assert nothing_saved()  # only the confirmation saves
    assert peak < MEMORY_BOUND


def test_a_look_alike_of_an_existing_group_is_shown_before_saving(client, staff):
    factories.group("主城·区")
    response, page, _ = post(client, rows_file([["D1", "渝中区", "", "区县", "主城・区", 1, "是"]]))
    assert response.status_code == 200
    assert "分组“主城・区”与已有分组“主城·区”只差标点" in page and "将新建以下分组" not in page
