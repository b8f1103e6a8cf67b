"""The round report, read back with openpyxl and compared with round_results' figures."""


import pytest

from surveys import scoring
from surveys.breakdowns import ALL_MERGED_NOTE, OTHER_LABEL
from surveys.models import HEADLINE_KINDS, ItemKind
from surveys.reports.round_report import DIMENSION_SHORT, SHEETS, build_round_report
from surveys.rounds.services import round_close
from surveys.selectors import round_results
from tests import factories
from tests.sheets.printing import assert_prints_readably, print_scale
from tests.sheets.reading import read_back, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return factories.reported_city()


def build(round_, **kw):
    return read_back(build_round_report, round_, **kw)


def exactly(rate):
    """The value a workbook stores for a rate: cut toward zero at 0.1% (0.001), so the cell
    shows with "0.0%" exactly what the dashboards show."""
    return float(scoring.truncate(rate, 3))


def test_sheets_in_order(data):
    wb = build(data["round"])
    assert wb.sheetnames == SHEETS


def test_every_rate_level_and_rank_matches_round_results(data):
    r = data["round"]
    wb = build(r)
    expected = {res.unit.code: res for res in round_results(r).units}
    headers, rows = table(wb["汇总"])
    assert [row[headers["单位代码"]] for row in rows] == list(expected)
    for row in rows:
        res = expected[row[headers["单位代码"]]]
        ru = res.round_unit
        assert row[headers["网上票数"]] == ru.online_ballots
        assert row[headers["纸质票数"]] == ru.paper_ballots
        for kind in HEADLINE_KINDS:
            d, short = res.dimensions[kind], DIMENSION_SHORT[kind]
            if d.valid:
                assert row[headers[f"{short}满意率"]] == exactly(d.satisfied)
                assert row[headers[f"{short}满意+基本满意"]] == exactly(d.positive)
                assert row[headers[f"{short}95%区间下限"]] == exactly(d.interval[0])
            else:
                assert row[headers[f"{short}满意+基本满意"]] is None
            assert row[headers[f"{short}等次"]] == d.level.label
            assert row[headers[f"{short}组内排名"]] == res.ranks[kind]
        assert row[headers["总体等次"]] == res.level.label
        assert row[headers["调查结论（最终类别）"]] == res.final.label
        assert row[headers["综合组内排名"]] == res.ranks["overall"]

    for kind in HEADLINE_KINDS:
        headers, rows = table(wb[kind.label])
        for row in rows:
            res = expected[row[headers["单位代码"]]]
            d = res.dimensions[kind]
            assert row[headers["满意"]] == d.counts.get(1, 0)
            assert row[headers["有效票"]] == d.valid
            if d.valid:
                assert row[headers["满意+基本满意"]] == exactly(d.positive)
                assert row[headers["不满意率"]] == exactly(d.dissatisfied)
            else:
                assert row[headers["满意+基本满意"]] is None
            assert row[headers["等次"]] == d.level.label
            assert row[headers["类别"]] == res.dimension_finals[kind].label
            assert row[headers["组内排名"]] == res.ranks[kind]


@pytest.mark.parametrize(
    "satisfied, basic, dissatisfied, shown, level",
    [
        (5000, 2999, 2001, "79.9%", scoring.Level.BASIC),  # 79.99%
        (161, 162, 81, "79.9%", scoring.Level.BASIC),  # 323 of 404: 79.95%
        (400, 400, 200, "80.0%", scoring.Level.SATISFIED),  # exactly 80%
        (71, 71, 61, "69.9%", scoring.Level.BELOW),  # 142 of 203: 69.95%
        (35, 35, 30, "70.0%", scoring.Level.BASIC),  # exactly 70%
    ],
)
def test_a_cell_never_shows_a_rate_across_the_line_of_its_level(data, satisfied, basic, dissatisfied, shown, level):
    """The stored value is cut at 0.1%, so Excel's own "0.0%" rounding cannot cross a line."""
    from surveys.models import RoundUnit, Tally

    r = data["round"]
    edge_unit = factories.unit(group_=data["groups"][1])
    total = satisfied + basic + dissatisfied
    edge = RoundUnit.objects.create(round=r, unit=edge_unit, paper_ballots=total, paper_forms_issued=total)
    crowd = factories.category()
    for kind in HEADLINE_KINDS:
        item = factories.headline(r, kind)
        for option, count in ((1, satisfied), (2, basic), (3, dissatisfied)):
            Tally.objects.create(round_unit=edge, item=item, category=crowd, option=option, count=count)
    wb = build(r)
    headers, rows = table(wb["汇总"])
    row = next(row for row in rows if row[headers["单位代码"]] == edge_unit.code)
    cell = row[headers["选拔任用满意+基本满意"]]
    assert f"{cell:.1%}" == shown and float(f"{cell:.3f}") == cell  # no digit past 0.1% to round
    assert row[headers["选拔任用等次"]] == level.label
    headers, rows = table(wb[ItemKind.SELECTION.label])
    row = next(row for row in rows if row[headers["单位代码"]] == edge_unit.code)
    assert f"{row[headers['满意+基本满意']]:.1%}" == shown and row[headers["等次"]] == level.label


def test_numbers_are_numbers_with_percent_formats_and_level_fills(data):
    wb = build(data["round"])
    ws = wb["汇总"]
    headers = {c.value: c.column for c in ws[1]}
    cell = ws.cell(row=2, column=headers["选拔任用满意率"])
    assert isinstance(cell.value, float)
    assert cell.number_format == "0.0%"
    level = ws.cell(row=2, column=headers["选拔任用等次"])
    assert level.value == "群众满意单位"
    assert level.fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.cell(row=2, column=headers["网上票数"]).data_type == "n"


def test_layout_frozen_filtered_fitted_and_printable(data):
    """Issue 14: 汇总 printed at 21%. Every sheet prints at 70% or more: wide ones flow over
    landscape pages with 分组/单位代码/单位名称 repeated on each."""
    wb = build(data["round"])
    for name in SHEETS[1:]:
        ws = wb[name]
        assert ws.freeze_panes in ("A2", "D2"), name
        assert ws.auto_filter.ref.startswith("A1:"), name
        assert ws.print_title_rows == "$1:$1"
        assert ws[1][0].font.b
        assert_prints_readably(ws, key_columns=3)
    summary = wb["汇总"]
    assert summary.print_title_cols == "$A:$C" and summary.freeze_panes == "D2"
    assert summary.page_setup.orientation == "landscape" and print_scale(summary) == 1.0
    assert_prints_readably(wb["说明"])
    widths = wb["汇总"].column_dimensions
    assert widths["C"].width >= len("主城1区") * 2  # Chinese characters are measured double


def test_notes_state_the_policy(data):
    r = data["round"]
    staff = factories.staff(first_name="王")
    wb = build(r, user=staff)
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=3, values_only=True)}
    assert notes["测评轮次"] == r.name
    assert notes["生成人"] == "王"
    assert notes["有效票"].startswith("“不了解”计入有效票")
    assert notes["封存指纹"] == "未封存"
    assert "较低" in notes["综合评定"]
    assert "少于 30 " in notes["最少样本"]
    assert "≥ 80%" in notes["等次线"] and "≥ 70% 且 < 80%" in notes["等次线"] and "满意率 > 不满意率" in notes["等次线"]
    assert "79.95% 显示为 79.9%" in notes["数字显示"]
    assert "先按等次" in notes["排名"] and "不加权" in notes["权重"]


def test_notes_follow_the_round_settings(db):
    units = [factories.unit()]
    r = factories.round_(units, unknown_in_denominator=False)
    factories.ballots(r.round_units.get(), [1, 2])
    round_close(round_=r, actor=factories.staff())
    r.refresh_from_db()
    wb = build(r)
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=3, values_only=True)}
    assert notes["有效票"].startswith("“不了解”不计入有效票")
    # The fingerprint is printed on the 说明 sheet and in every sheet's footer.
    assert notes["封存指纹"] == r.snapshot.fingerprint
    assert "结果快照" in notes["数据来源"]
    assert all(r.snapshot.fingerprint in ws.HeaderFooter.oddFooter.center.text for ws in wb)


def test_opinions_are_text_never_formulas(data):
    """Issue 14: text that looks like a formula is stored as written, as text (quotePrefix),
    with no visible apostrophe."""
    wb = build(data["round"])
    ws = wb["意见建议"]
    texts = [row[3] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://x","点我")' in texts
    assert "-1+2" in texts and "@SUM(A1)" in texts and "希望加强干部监督" in texts
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row)
    quoted = [c for row in ws.iter_rows(min_row=2) for c in row if str(c.value).startswith(("=", "-", "@"))]
    assert quoted and all(c.quotePrefix for c in quoted)
    # Sorted by text inside a unit, not by the order ballots arrived.
    assert texts == sorted(texts)


def test_item_detail_counts_every_item_and_option(data):
    r = data["round"]
    wb = build(r)
    headers, rows = table(wb["指标明细"])
    items = r.items.rated().count()
    assert len(rows) == items * r.round_units.count()
    row = next(
        row for row in rows
        if row[headers["单位名称"]] == "主城2区" and row[headers["类型"]] == ItemKind.SELECTION.label
    )
    assert [row[headers[x]] for x in ("满意", "基本满意", "不满意", "不了解")] == [5, 3, 2, 1]
    assert row[headers["满意+基本满意"]] == 0.727  # 8 of 11, cut toward zero at 0.1%


def test_category_breakdown_suppresses_small_cells(data):
    wb = build(data["round"])
    headers, rows = table(wb["分类统计"])
    far = [row for row in rows if row[headers["单位名称"]] == "远郊1区"]
    labels = {row[headers["参评人员类别"]] for row in far}
    # 3 党代表 are never shown alone, and 领导干部 is not shown either: with the unit's totals
    # beside it, it would give the 党代表 cell away by subtraction.
    assert labels == {ALL_MERGED_NOTE}
    assert all(row[headers["作答数"]] is None and row[headers["满意率"]] is None for row in far)
    # The whole round: 党代表 has 3 answers in all, so its total merges too, with a complement.
    everyone = [row for row in rows if row[headers["分组"]] == "全部单位合计"]
    labels = {row[headers["参评人员类别"]] for row in everyone}
    assert "党代表" not in labels and OTHER_LABEL in labels


def test_turnout_counts_codes_and_forms(data):
    wb = build(data["round"])
    headers, rows = table(wb["回收情况"])
    row = next(row for row in rows if row[headers["单位名称"]] == "主城1区")
    assert row[headers["测评码发出"]] == 10
    assert row[headers["测评码已使用"]] == 4
    assert row[headers["测评码已作废"]] == 1
    assert row[headers["纸质票发出"]] == 11
    assert row[headers["合计票数"]] == 15
    assert row[headers["回收率"]] == pytest.approx(15 / 20)


def test_a_limited_scope_gets_only_its_units(data):
    main = data["groups"][0]
    wb = build(data["round"], groups=[main])
    headers, rows = table(wb["汇总"])
    assert {row[headers["分组"]] for row in rows} == {"主城区"}
    _, opinion_rows = table(wb["意见建议"])
    assert {row[0] for row in opinion_rows} == {"主城区"}


def test_query_count_does_not_grow_with_units(data, django_assert_max_num_queries):
    for _ in range(6):
        factories.unit(group_=data["groups"][1])
    with django_assert_max_num_queries(20):
        build(data["round"])


def weighted_round():
    """A round of one unit weighting 群众 ×3 and 领导干部 ×1, with ballots from both."""
    from surveys.models import RespondentCategory

    crowd, cadres = RespondentCategory.objects.get(name="群众"), RespondentCategory.objects.get(name="领导干部")
    r = factories.round_([factories.unit()], use_weights=True, categories=[(crowd, 3), (cadres, 1)])
    ru = r.round_units.get()
    factories.ballots(ru, [1] * 9 + [3], category_=crowd)
    factories.ballots(ru, [1] * 5 + [3] * 5, category_=cadres)
    return r, crowd


def test_weighted_rounds_report_the_weighted_rates_and_the_weights(db):
    r, _crowd = weighted_round()
    wb = build(r)
    [expected] = round_results(r).units
    d = expected.dimensions[ItemKind.SELECTION]
    assert d.weighted
    headers, rows = table(wb["汇总"])
    assert rows[0][headers["选拔任用满意+基本满意"]] == exactly(d.positive)  # (3·0.9 + 0.5) / 4
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=3, values_only=True)}
    assert "群众 ×3" in notes["权重"] and "领导干部 ×1" in notes["权重"]


def test_the_year_reads_as_a_year_not_a_thousands_number(data):
    """Regression: the 说明 sheet showed the year as "2,025"."""
    wb = build(data["round"])
    year = next(row[1] for row in wb["说明"].iter_rows(min_row=3) if row[0].value == "年度")
    assert year.value == data["round"].year and isinstance(year.value, int)
    assert year.number_format == "0"


def test_a_sealed_round_is_reported_by_its_sealed_rules_not_its_row_edited_since(db):
    """Issue 15: the report read the scale, weighting and minimum from the round's row. A row
    edited after the seal (the seal notices it; the report must not follow it) now changes
    nothing in the file: every sheet uses the rules the results were sealed with."""
    from surveys.models import Round, RoundCategory

    r, crowd = weighted_round()
    r = factories.close(r)
    [sealed] = round_results(r).units
    before = build(r)

    Round.objects.filter(pk=r.pk).update(use_weights=False, min_valid_answers=999, positive_threshold=95)
    RoundCategory.objects.filter(round=r, category=crowd).update(weight=1)
    r.refresh_from_db()
    after = build(r)

    d = sealed.dimensions[ItemKind.SELECTION]
    headers, rows = table(after["汇总"])
    assert rows[0][headers["选拔任用满意+基本满意"]] == exactly(d.positive)
    assert "少于 999" not in str(rows[0])
    dim_headers, _ = table(after[ItemKind.SELECTION.label])
    assert "有效样本量" in dim_headers  # still reported as the weighted round it was sealed as
    for name in ("汇总", ItemKind.SELECTION.label, "分类统计"):
        assert list(after[name].iter_rows(values_only=True)) == list(before[name].iter_rows(values_only=True)), name
