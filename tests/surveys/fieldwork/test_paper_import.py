"""The paper-ballot import: one safe reader, every problem of a file, nothing half-saved."""

import datetime as dt
import io
from html import unescape
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from surveys.ballots import tallies_verify
from surveys.fieldwork.paper_import import CATEGORY_HEADER, OPINION_HEADER, UNIT_HEADER, columns
from surveys.models import Ballot, Channel, ItemKind, PaperImport, Round
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client, city):
    user = factories.staff(first_name="", last_name="", username="clerk_li")
    client.force_login(user)
    r = city["round"]
    units = list(r.round_units.select_related("unit").order_by("unit__code")[:2])
    for ru in units:
        ru.paper_forms_issued = 5
        ru.save()
    return {"client": client, "round": r, "units": units, "user": user}


def template(client, r):
    response = client.get(reverse("fieldwork:paper_import_template", args=[r.pk]))
    assert response.status_code == 200
    return response, load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def xlsx(rows, title="纸质票", first=None):
    book = Workbook()
    sheet = book.active
    if first:
        sheet.title = first[0]
        for row in first[1]:
            sheet.append(row)
        sheet = book.create_sheet()
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def header(r):
    return [name for name, _ in columns(r)]


def good_rows(r, units):
    n_items = len(header(r)) - 3
    return [
        header(r),
        [units[0].unit.code, "群众", "满意", "1"] + [None] * (n_items - 2) + ["多听群众意见"],
        [units[0].unit.code, "1", "基本满意", 3] + ["不了解"] * (n_items - 2) + [None],
        [units[1].unit.code, "一般干部", 2, "满意"] + [None] * (n_items - 2) + [None],
    ]


def upload(client, r, content, name="paper.xlsx", **extra):
    return client.post(
        reverse("fieldwork:paper_import", args=[r.pk]),
        {"file": SimpleUploadedFile(name, content), **extra},
    )


def page(response):
    return unescape(response.content.decode())


def test_template_has_one_column_per_item(setup):
    r = setup["round"]
    response, book = template(setup["client"], r)
    assert book.sheetnames[:3] == ["纸质票", "填写说明", "参评单位"]
    head = [c.value for c in book["纸质票"][1]]
    assert head[:2] == [UNIT_HEADER, CATEGORY_HEADER] and head[-1] == OPINION_HEADER
    assert head[2:-1] == [i.text for i in r.items.rated().order_by("order", "pk")]
    notes = " ".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "满意" in notes and "群众" in notes and "内容相同的文件" in notes
    codes = [row[0].value for row in book["参评单位"].iter_rows(min_row=2)]
    assert setup["units"][0].unit.code in codes
    assert f"{r.name}-纸质票导入模板.xlsx" in unquote(response["Content-Disposition"])


def test_the_template_is_read_back_when_filled_in(setup):
    """The downloaded template, filled in below its header, imports as it is."""
    r, units = setup["round"], setup["units"]
    _, book = template(setup["client"], r)
    sheet = book["纸质票"]
    for row in good_rows(r, units)[1:]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    assert upload(setup["client"], r, out.getvalue()).status_code == 302
    assert Ballot.objects.filter(channel=Channel.PAPER).count() == 3


def test_hostile_names_stay_text_in_the_template(setup):
    """Issue 14: a unit renamed =HYPERLINK(…) made the template's notes a live formula."""
    r, units = setup["round"], setup["units"]
    unit = units[0].unit
    unit.name, unit.short_name = '=HYPERLINK("http://evil","江北区")', "=1+1"
    unit.save()
    Round.objects.filter(pk=r.pk).update(name="=1+1 测评")
    r.refresh_from_db()
    response = setup["client"].get(reverse("fieldwork:paper_import_template", args=[r.pk]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    names = [row[1].value for row in book["参评单位"].iter_rows(min_row=2)]
    assert '=HYPERLINK("http://evil","江北区")' in names


def test_a_good_file_imports_every_row(setup):
    r, units = setup["round"], setup["units"]
    response = upload(setup["client"], r, xlsx(good_rows(r, units)))
    assert response.status_code == 302 and response["Location"] == reverse("fieldwork:round", args=[r.pk])
    assert Ballot.objects.filter(channel=Channel.PAPER).count() == 3
    units[0].refresh_from_db()
    assert units[0].paper_ballots == 2
    first = Ballot.objects.get(opinion="多听群众意见")
    assert first.answers.get(item=factories.headline(r)).option == 1
    assert tallies_verify(round_=r) == {}
    assert AuditEntry.objects.get(action="paper.import").changes["rows"] == 3
    record = PaperImport.objects.get()
    assert record.status == "done" and record.ballots == 3 and record.pending == [] and record.job is None


def test_headers_in_any_order_on_the_named_sheet(setup):
    """Columns by name in any order; the sheet 纸质票 by name even when it is not the first."""
    r, units = setup["round"], setup["units"]
    rows = [list(reversed(row)) for row in good_rows(r, units)]
    content = xlsx(rows, first=("说明", [["这张表不是纸质票"]]))
    assert upload(setup["client"], r, content).status_code == 302
    assert Ballot.objects.count() == 3


def refused(setup, content, *messages, name="paper.xlsx", status=400):
    response = upload(setup["client"], setup["round"], content, name)
    body = page(response)
    assert response.status_code == status, body[:2000]
    for message in messages:
        assert message in body, message
    assert not Ballot.objects.exists()
    return body


def test_every_bad_cell_is_reported_and_nothing_imported(setup):
    r, units = setup["round"], setup["units"]
    rows = good_rows(r, units)
    rows[1][2] = "很好"
    rows[2][0] = "NOPE"
    rows[2][1] = "外星人"
    rows[3][3] = None
    body = refused(
        setup, xlsx(rows),
        f"第 2 行 C 列（{factories.headline(r).text}）：“很好”不是有效选项。可填：满意、基本满意、不满意、不了解，或序号 1–4。",
        "第 3 行 A 列（单位代码）：“NOPE”不是本轮参评单位的代码",
        "第 3 行 B 列（参评人员类别）：“外星人”不是本轮的参评人员类别",
        f"第 4 行 D 列（{factories.headline(r, ItemKind.CONDUCT).text}）：必答题，不能为空",
    )
    assert "4 条问题" in body
    assert not PaperImport.objects.exists()


def test_identical_problems_are_grouped_and_the_list_is_capped(setup):
    r, units = setup["round"], setup["units"]
    rows = good_rows(r, units)[:2]
    rows += [[units[0].unit.code, "群众", "极好", "满意"] + [None] * (len(rows[0]) - 4) for _ in range(30)]
    rows += [[f"BAD{i}", "群众", "满意", "满意"] + [None] * (len(rows[0]) - 4) for i in range(300)]
    body = refused(setup, xlsx(rows), f"第 3–32 行 C 列（{factories.headline(r).text}）：“极好”不是有效选项",
                   "……另有 101 处错误未列出（共 330 处）")
    assert body.count("不是本轮参评单位的代码") == 199


def test_formulas_dates_and_merged_cells_have_their_own_messages(setup):
    r, units = setup["round"], setup["units"]
    rows = good_rows(r, units)
    rows[1][2] = "=\"满\"&\"意\""
    rows[2][1] = dt.datetime(2026, 3, 1)
    refused(setup, xlsx(rows), "第 2 行 C 列", "是公式", "第 3 行 B 列（参评人员类别）：是日期或时间（2026-03-01）")


def test_not_a_spreadsheet(setup):
    refused(setup, b"%PDF-1.4 not a workbook", "PDF", name="paper.pdf")


def test_empty_file_and_header_only(setup):
    refused(setup, b"", "文件是空的")
    refused(setup, xlsx([]), "是空的")
    refused(setup, xlsx([header(setup["round"])]), "只有表头")


def test_missing_and_extra_columns(setup):
    r, units = setup["round"], setup["units"]
    rows = good_rows(r, units)
    missing = [row[:1] + row[2:] for row in rows]
    refused(setup, xlsx(missing), f"缺少列：{CATEGORY_HEADER}")
    extra = [row + (["备注"] if i == 0 else ["x"]) for i, row in enumerate(rows)]
    refused(setup, xlsx(extra), "多出不认识的列：", "“备注”")
    no_sub_item = [row[:4] + row[5:] for row in rows]  # a sub-item column left out is refused
    refused(setup, xlsx(no_sub_item), "缺少列：")


@override_settings(IMPORT_MAX_BYTES=1000)
def test_too_large(setup):
    refused(setup, xlsx(good_rows(setup["round"], setup["units"])), "文件过大")


def test_more_than_forms_issued_imports_nothing(setup):
    r, units = setup["round"], setup["units"]
    units[1].paper_forms_issued = 0
    units[1].save()
    refused(setup, xlsx(good_rows(r, units)), f"{units[1].unit.name}（{units[1].unit.code}）：文件中有 1 张",
            "收回数不能超过发出数")
    units[0].refresh_from_db()
    assert units[0].paper_ballots == 0
    assert not PaperImport.objects.exists()


def test_double_keying_rounds_do_not_import(setup):
    r = setup["round"]
    Round.objects.filter(pk=r.pk).update(require_double_keying=True)
    refused(setup, xlsx(good_rows(r, setup["units"])), "双人录入")


def test_the_command_imports_like_the_page(setup, tmp_path):
    from django.core.management import CommandError, call_command

    r, units = setup["round"], setup["units"]
    path = tmp_path / "纸质票.xlsx"
    path.write_bytes(xlsx(good_rows(r, units)))
    out = io.StringIO()
    call_command("import_paper", r.pk, str(path), user="clerk_li", stdout=out)
    assert "已导入 3 张纸质票" in out.getvalue()
    with pytest.raises(CommandError, match="已于 .* 由 clerk_li 导入"):
        call_command("import_paper", r.pk, str(path), user="clerk_li")
    assert Ballot.objects.count() == 3
