"""导出本页 (Excel) and 打印 on every dashboard, and the rate's change beside the rank's."""

import io
from datetime import timedelta
from fractions import Fraction

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditEntry
from surveys import scoring
from surveys.models import ItemKind, Round, RoundStatus
from surveys.results import dashboards
from surveys.results.export import workbook_bytes
from surveys.selectors import round_results
from tests import factories

pytestmark = pytest.mark.django_db


def publish(r, days_ago=0):
    Round.objects.filter(pk=r.pk).update(
        status=RoundStatus.PUBLISHED, opens_at=r.opens_at - timedelta(days=days_ago),
        closes_at=r.closes_at - timedelta(days=days_ago))
    r.refresh_from_db()
    return r


@pytest.fixture
def data():
    data = factories.reported_city()
    earlier = factories.round_(data["units"], year=2025)
    for ru in earlier.round_units.select_related("unit"):
        factories.ballots(ru, [1, 2, 3, 3] if ru.unit.name == "主城1区" else [1, 1, 2, 3])
    publish(earlier, days_ago=365)
    publish(data["round"])
    data["earlier"] = earlier
    return data


def sheet_rows(response, index=0):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.worksheets[index].iter_rows(values_only=True)], book


def test_every_dashboard_has_print_and_export_buttons(client, data):
    client.force_login(factories.leader())
    r, unit = data["round"], data["units"][0]
    for url in (reverse("dashboards:round", args=[r.pk]), reverse("dashboards:unit", args=[r.pk, unit.pk]),
                reverse("dashboards:trends")):
        page = client.get(url).content.decode()
        assert "data-print" in page and "js/print.js" in page and "onclick" not in page, url
        assert "导出本页 (Excel)" in page and "export=xlsx" in page, url


def test_the_overview_export_is_the_table_as_filtered_and_sorted(client, data):
    r = data["round"]
    main = data["groups"][0]
    client.force_login(factories.leader())
    response = client.get(reverse("dashboards:round", args=[r.pk]),
                          {"group": main.pk, "sort": "positive", "dir": "desc", "export": "xlsx"})
    assert "attachment" in response["Content-Disposition"]
    rows, book = sheet_rows(response)
    assert book.sheetnames[1] == "总体满意度"
    header, body = rows[1], rows[2:]
    assert header[:6] == ["单位分组", "组内名次", "名次变化", "比率变化（百分点）", "单位代码", "单位"]
    assert [row[5] for row in body] == ["主城1区", "主城2区", "主城3区"]
    result = next(u for u in round_results(r).units if u.unit.name == "主城1区")
    assert body[0][11] == scoring.percent(result.dimensions[ItemKind.SELECTION].positive)
    assert body[0][6] == result.dimensions[ItemKind.SELECTION].valid  # counts stay numbers
    entry = AuditEntry.objects.get(action="download report")
    assert entry.changes["file"] == "dashboard_round" and entry.object_id == str(r.pk)


def test_text_never_becomes_a_formula():
    data = workbook_bytes("=标题", [("表", ["=A1", "-1", "+B", "票数"],
                                    [["=HYPERLINK(\"http://x\",\"点我\")", "+1", "@SUM(A1)", 3]])])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [ws.cell(row=3, column=c) for c in range(1, 5)]
    assert [c.data_type for c in cells] == ["s", "s", "s", "n"]
    assert cells[0].value == "=HYPERLINK(\"http://x\",\"点我\")" and ws["A1"].data_type == "s"
    assert ws["A2"].data_type == "s" and ws["B2"].value == "-1"


def test_unit_and_trend_exports(client, data):
    r = data["round"]
    ru = data["round_units"]["主城1区"]
    client.force_login(factories.leader())
    rows, book = sheet_rows(client.get(reverse("dashboards:unit", args=[r.pk, ru.unit.pk]), {"export": "xlsx"}))
    assert book.sheetnames == ["测评结果", "各项指标", "历次测评"]
    assert rows[2][0] == ItemKind.SELECTION.label
    trend = [list(x) for x in book["历次测评"].iter_rows(values_only=True)]
    assert [row[0] for row in trend[2:]] == [data["earlier"].name, r.name]
    rows, _book = sheet_rows(client.get(reverse("dashboards:trends"), {"export": "xlsx"}))
    assert [row[0] for row in rows[2:]] == [data["earlier"].name, r.name]


def test_a_limited_leader_exports_only_their_groups(client, data):
    r = data["round"]
    client.force_login(factories.leader(groups_limit=[data["groups"][0]]))
    rows, _book = sheet_rows(client.get(reverse("dashboards:round", args=[r.pk]), {"export": "xlsx"}))
    assert {row[0] for row in rows[2:]} == {"主城区"}


def test_the_rate_change_since_the_previous_round_stands_beside_the_rank_change(client, data):
    r = data["round"]
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    assert "比率变化" in html
    now = next(u for u in round_results(r).units if u.unit.name == "主城1区").dimensions[ItemKind.SELECTION]
    before = next(u for u in round_results(data["earlier"]).units
                  if u.unit.name == "主城1区").dimensions[ItemKind.SELECTION]
    delta = now.positive - before.positive
    assert before.positive == Fraction(1, 2) and delta > 0
    row = html.split(f'data-unit="{data["round_units"]["主城1区"].unit.pk}"')[1].split("</tr>")[0]
    cell = row.split("data-rate-change>")[1].split("</td>")[0]
    assert f"↑{scoring.percent(delta).rstrip('%')}" in cell and "百分点" in cell
    # 远郊2区 has no ballots this round: no change to show.
    empty = html.split(f'data-unit="{data["round_units"]["远郊2区"].unit.pk}"')[1].split("</tr>")[0]
    assert "data-rate-change>—</td>" in empty
    sorted_html = client.get(reverse("dashboards:round", args=[r.pk]), {"sort": "rate_change"}).content.decode()
    assert sorted_html.count("data-rate-change") == html.count("data-rate-change")


@pytest.mark.parametrize("now,before,shown", [
    (Fraction(9, 10), Fraction(8, 10), ("up", "10.0")),
    (Fraction(7, 10), Fraction(8, 10), ("down", "10.0")),
    (Fraction(8, 10), Fraction(8, 10), ("same", "0")),
    (Fraction(80001, 100000), Fraction(8, 10), ("up", "<0.1")),  # a rise, though it prints as 0.0
    (Fraction(8, 10), None, None),  # not rated in the previous round
])
def test_rate_change_text(now, before, shown):
    from types import SimpleNamespace

    row = dashboards.RankingRow(result=None, dimension=SimpleNamespace(valid=10, positive=now), rank=1,
                                previous_rank=1, in_previous=True, previous_positive=before)
    assert row.rate_change_text == shown


def test_the_exports_print_readably(client, data):
    """Issue 14: no export prints below about 70%; the overview's 15 columns flow over
    landscape pages with the group and rank repeated."""
    from tests.sheets.printing import assert_prints_readably

    client.force_login(factories.leader())
    response = client.get(reverse("dashboards:round", args=[data["round"].pk]), {"export": "xlsx"})
    _rows, book = sheet_rows(response)
    for ws in book.worksheets:
        assert ws.print_title_rows == "$2:$2" and ws.freeze_panes in ("A3", "C3")
        assert_prints_readably(ws, key_columns=2)
