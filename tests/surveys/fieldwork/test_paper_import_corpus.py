"""The bad-file corpus (tests/sheets/corpus.py) through the real paper-ballot import screen.

For each file: the Chinese message naming what is wrong, HTTP 400, zero ballots and zero
import records saved, and memory bounded (tracemalloc peak while the request runs).
"""

import datetime as dt
import functools
import inspect
import tracemalloc
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.fieldwork.paper_import import columns
from surveys.models import Ballot, PaperImport
from tests import factories
from tests.sheets import corpus
from tests.units.test_import_corpus import MEMORY_BOUND

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client, city):
    client.force_login(factories.staff())
    r = city["round"]
    units = list(r.round_units.select_related("unit").order_by("unit__code")[:2])
    for ru in units:
        ru.paper_forms_issued = 10
        ru.save()
    head = [name for name, _ in columns(r)]
    row = [units[0].unit.code, "群众", "满意", "满意"] + [None] * (len(head) - 4)
    return {"client": client, "round": r, "units": units, "header": head, "row": row}


@functools.cache
def build(name, header):
    builder = dict((n, b) for n, b, _ in corpus.FILE_LEVEL)[name]
    if "header" in inspect.signature(builder).parameters:
        return builder(header=list(header))  # the paper header where the file needs one
    return builder()


def post(setup, data, name="纸质票.xlsx"):
    url = reverse("fieldwork:paper_import", args=[setup["round"].pk])
    tracemalloc.start()
    try:
        response = setup["client"].post(url, {"file": SimpleUploadedFile(name, data)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, unescape(response.content.decode()), peak


def nothing_saved():
    return not Ballot.objects.exists() and not PaperImport.objects.exists()


@pytest.mark.parametrize("name, expected", [(n, e) for n, _, e in corpus.FILE_LEVEL])
def test_file_level_refusals(setup, name, expected):
    response, page, peak = post(setup, build(name, tuple(setup["header"])))
    assert response.status_code == 400
    assert expected in page
    assert nothing_saved()
    assert peak < MEMORY_BOUND


def sheet(setup, rows, header=None, **kw):
    return corpus.workbook(rows, setup["header"] if header is None else header, title="纸质票", **kw)


def with_cell(setup, index, value, row=None):
    row = list(row or setup["row"])
    row[index] = value
    return row


CELL_LEVEL = [
    ("empty_workbook", lambda s: corpus.workbook([], None, title="纸质票"), "工作表“纸质票”是空的：没有表头，也没有数据。"),
    ("header_only", lambda s: sheet(s, []), "工作表“纸质票”只有表头，没有数据行。"),
    ("merged_cells", lambda s: sheet(s, [s["row"], with_cell(s, 2, None)], merge="C2:C3"),
     "第 2、3 行 C 列（{item}）：合并单元格 C2:C3：请取消合并，在每一行分别填写。"),
    ("formula_cells", lambda s: sheet(s, [with_cell(s, 2, '="满"&"意"')]), "第 2 行 C 列（{item}）：是公式"),
    ("wrong_headers", lambda s: sheet(s, [s["row"]], header=["代码号"] + s["header"][1:]), "缺少列：单位代码"),
    ("extra_columns", lambda s: sheet(s, [s["row"] + ["张三"]], header=s["header"] + ["录入人"]),
     "多出不认识的列："),
    ("unheaded_column", lambda s: sheet(s, [s["row"] + [None, "备注"]]), "这一列没有表头，却有内容"),
    ("out_of_range", lambda s: sheet(s, [with_cell(s, 2, 9)]), "第 2 行 C 列（{item}）：“9”不是有效选项"),
    ("date_in_a_cell", lambda s: sheet(s, [with_cell(s, 1, dt.datetime(2026, 3, 1))]),
     "第 2 行 B 列（参评人员类别）：是日期或时间（2026-03-01）"),
    ("unknown_unit", lambda s: sheet(s, [with_cell(s, 0, "D999")]), "“D999”不是本轮参评单位的代码"),
    ("over_long_opinion", lambda s: sheet(s, [with_cell(s, -1, "长" * 1001)]), "超过 1000 个字的上限"),
    ("more_than_issued", lambda s: sheet(s, [s["row"]] * 11), "合计超过发出票数 10"),
]


@pytest.mark.parametrize("name, build_file, expected", CELL_LEVEL, ids=[c[0] for c in CELL_LEVEL])
def test_row_level_refusals(setup, name, build_file, expected):
    item = setup["header"][2]
    response, page, peak = post(setup, build_file(setup))
    assert response.status_code == 400
    assert expected.format(item=item) in page, page[-3000:]
    assert nothing_saved()
    assert peak < MEMORY_BOUND


ACCEPTED = [
    ("reordered_headers", lambda s: sheet(s, [list(reversed(s["row"]))], header=list(reversed(s["header"])))),
    ("second_sheet_by_name", lambda s: corpus.workbook([], None, title="说明",
                                                       more_sheets=[("纸质票", [s["header"], s["row"]])])),
    ("first_sheet_by_default", lambda s: corpus.workbook([s["row"]], s["header"], title="Sheet1",
                                                         more_sheets=[("其他", [["随便"]])])),
    ("lying_dimension", lambda s: corpus.lying_dimension(s["header"], [s["row"]])),
    ("look_alike_spellings", lambda s: sheet(s, [with_cell(s, 1, "群 众", with_cell(s, 2, "１"))])),
]


@pytest.mark.parametrize("name, build_file", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_files_that_are_read_are_imported(setup, name, build_file):
    response, page, peak = post(setup, build_file(setup))
    assert response.status_code == 302, page[-3000:]
    assert Ballot.objects.count() == 1 and PaperImport.objects.count() == 1
    assert peak < MEMORY_BOUND
