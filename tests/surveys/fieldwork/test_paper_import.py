import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from surveys.ballots import tallies_verify
from surveys.fieldwork.paper_import import CATEGORY_HEADER, OPINION_HEADER, UNIT_HEADER, columns
from surveys.models import Ballot, Channel, ItemKind, Round
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client, city):
    user = factories.staff()
    client.force_login(user)
    r = city["round"]
    units = list(r.round_units.select_related("unit")[:2])
    for ru in units:
        ru.paper_forms_issued = 5
        ru.save()
    return {"client": client, "round": r, "units": units, "user": user}


def template(client, r):
    response = client.get(reverse("fieldwork:paper_import_template", args=[r.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows(r, units):
    header = [name for name, _ in columns(r)]
    n_items = len(header) - 3
    return [
        header,
        [units[0].unit.code, "群众", "满意", "1"] + [None] * (n_items - 2) + ["多听群众意见"],
        [units[0].unit.code, "1", "基本满意", 3] + ["不了解"] * (n_items - 2) + [None],
        [units[1].unit.code, "一般干部", 2, "满意"] + [None] * (n_items - 2) + [None],
    ]


def upload(client, r, content, name="paper.xlsx"):
    return client.post(
        reverse("fieldwork:paper_import", args=[r.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_template_has_one_column_per_item(setup):
    r = setup["round"]
    book = template(setup["client"], r)
    header = [c.value for c in book["纸质票"][1]]
    assert header[:2] == [UNIT_HEADER, CATEGORY_HEADER] and header[-1] == OPINION_HEADER
    assert header[2:-1] == [i.text for i in r.items.rated().order_by("order", "pk")]
    notes = " ".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "满意" in notes and setup["units"][0].unit.code in notes


def test_a_good_file_imports_every_row(setup):
    r, units = setup["round"], setup["units"]
    response = upload(setup["client"], r, xlsx(good_rows(r, units)))
    assert response.status_code == 302
    assert Ballot.objects.filter(channel=Channel.PAPER).count() == 3
    units[0].refresh_from_db()
    assert units[0].paper_ballots == 2
    first = Ballot.objects.get(opinion="多听群众意见")
    assert first.answers.get(item=factories.headline(r)).option == 1
    assert tallies_verify(round_=r) == {}
    assert AuditEntry.objects.get(action="paper.import").changes["rows"] == 3


def refused(setup, content, *messages, name="paper.xlsx"):
    response = upload(setup["client"], setup["round"], content, name)
    body = response.content.decode()
    assert response.status_code == 400
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
        f"第 2 行 C 列（{factories.headline(r).text}）：“很好”不是有效选项",
        "第 3 行 A 列（单位代码）：“NOPE”不是本轮参评单位的代码",
        "第 3 行 B 列（参评人员类别）：“外星人”不是本轮的参评人员类别",
        f"第 4 行 D 列（{factories.headline(r, ItemKind.CONDUCT).text}）：必答题，不能为空",
    )
    assert "共 4 处问题" in body


def test_not_a_spreadsheet(setup):
    refused(setup, b"%PDF-1.4 not a workbook", "不是有效的 Excel 工作簿", name="paper.pdf")


def test_empty_file_and_header_only(setup):
    refused(setup, b"", "文件是空的")
    refused(setup, xlsx([]), "文件是空的")
    header = [name for name, _ in columns(setup["round"])]
    refused(setup, xlsx([header]), "只有表头")


def test_missing_and_extra_columns(setup):
    r, units = setup["round"], setup["units"]
    rows = good_rows(r, units)
    missing = [row[:1] + row[2:] for row in rows]
    refused(setup, xlsx(missing), f"缺少列：{CATEGORY_HEADER}")
    extra = [row + (["备注"] if i == 0 else ["x"]) for i, row in enumerate(rows)]
    refused(setup, xlsx(extra), "多出列：备注")


@override_settings(IMPORT_MAX_BYTES=1000)
def test_too_large(setup):
    refused(setup, xlsx(good_rows(setup["round"], setup["units"])), "文件过大")


def test_more_than_forms_issued_imports_nothing(setup):
    r, units = setup["round"], setup["units"]
    units[1].paper_forms_issued = 0
    units[1].save()
    refused(setup, xlsx(good_rows(r, units)), f"{units[1].unit.name}：文件中有 1 张", "收回数不能超过发出数")
    units[0].refresh_from_db()
    assert units[0].paper_ballots == 0


def test_double_keying_rounds_do_not_import(setup):
    r = setup["round"]
    Round.objects.filter(pk=r.pk).update(require_double_keying=True)
    refused(setup, xlsx(good_rows(r, setup["units"])), "双人录入")
