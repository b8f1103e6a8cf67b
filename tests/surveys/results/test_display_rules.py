"""Display rules at their boundaries, on the dashboards and in Excel.

- a rate shows cut toward zero, so it never reads as reaching a line its level misses;
- ranks follow levels first, then the exact rate;
- no valid answers reads 无数据, never 0.0% or a small sample;
- the five-level scale shows its score, and no scale without 不了解 shows a 不了解 column;
- weighted rounds show the weights, the effective sample and a note beside raw counts;
- every page states the rule it was rated by (the trends once per differing rule).
"""

import re
from datetime import timedelta
from fractions import Fraction
from html import unescape

import pytest
from django.urls import reverse

from surveys import scoring
from surveys.models import HEADLINE_KINDS, Round, RoundStatus, RoundUnit, Tally
from surveys.reports.feedback import build_unit_feedback, feedback_context
from surveys.reports.round_report import build_round_report
from tests import factories
from tests.sheets.reading import read_back, table

pytestmark = pytest.mark.django_db


def tallied_round(units, *, year=2026, days_ago=0, **settings):
    """A published round whose units have the given headline counts {option: n} (群众 only)."""
    group = factories.group()
    made = [factories.unit(name, group) for name in units]
    r = factories.round_(made, year=year, **settings)
    crowd = factories.category()
    for unit, counts in zip(made, units.values()):
        ru = RoundUnit.objects.get(round=r, unit=unit)
        total = sum(counts.values())
        RoundUnit.objects.filter(pk=ru.pk).update(paper_ballots=total, paper_forms_issued=total)
        for kind in HEADLINE_KINDS:
            item = factories.headline(r, kind)
            Tally.objects.bulk_create(
                Tally(round_unit=ru, item=item, category=crowd, option=option, count=n)
                for option, n in counts.items() if n
            )
    Round.objects.filter(pk=r.pk).update(
        status=RoundStatus.PUBLISHED, opens_at=r.opens_at - timedelta(days=days_ago),
        closes_at=r.closes_at - timedelta(days=days_ago),
    )
    r.refresh_from_db()
    return r, {u.name: u for u in made}


def row_of(html, unit):
    return html.split(f'data-unit="{unit.pk}"')[1].split("</tr>")[0]




BOUNDARY = {
    "甲区": {1: 161, 2: 162, 3: 81},  # 323 of 404 = 79.95%: basic
    "乙区": {1: 400, 2: 400, 3: 200},  # 80% exactly: satisfied
    "丙区": {1: 71, 2: 71, 3: 61},  # 142 of 203 = 69.95%: below
    "丁区": {1: 35, 2: 35, 3: 30},  # 70% exactly: basic
    "戊区": {1: 10, 2: 80, 3: 10},  # 90%, but satisfied not above dissatisfied: below
    "己区": {1: 700, 2: 90, 3: 210},  # 79%: basic
}
EXPECTED = {  # shown rate, level, rank in the group
    "甲区": ("79.9%", "群众基本满意单位", 2),
    "乙区": ("80.0%", "群众满意单位", 1),
    "丙区": ("69.9%", "未达标", 6),
    "丁区": ("70.0%", "群众基本满意单位", 4),
    "戊区": ("90.0%", "未达标", 5),
    "己区": ("79.0%", "群众基本满意单位", 3),
}


@pytest.fixture
def boundary():
    return tallied_round(BOUNDARY)


def test_overview_shows_rates_cut_toward_zero_and_ranks_by_level(client, boundary):
    r, units = boundary
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    for name, (shown, level, rank) in EXPECTED.items():
        row = row_of(html, units[name])
        assert f"data-positive>{shown}</td>" in row, name
        assert f'<span class="badge level-' in row and level in row, name
        assert re.search(r"<td>(\d+)</td>", row).group(1) == str(rank), name
    assert "80.0%" not in row_of(html, units["甲区"]) and "70.0%" not in row_of(html, units["丙区"])
    # The ranking table lists by rank: every satisfied unit above every basic one.
    table_html = html.split('id="ranking-heading"')[1]
    order = sorted(EXPECTED, key=lambda n: table_html.index(f'data-unit="{units[n].pk}"'))
    assert order == sorted(EXPECTED, key=lambda n: EXPECTED[n][2])
    # The chart's labels follow the same display rule.
    assert "甲区：79.9%" in html and "甲区：80.0%" not in html


def test_unit_page_shows_the_cut_rate_and_the_rank_of_its_level(client, boundary):
    r, units = boundary
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:unit", args=[r.pk, units["甲区"].pk])).content.decode()
    result = html.split('data-table="result"')[1].split("</table>")[0]
    assert "data-positive>79.9%</td>" in result and "80.0%" not in result
    assert "群众基本满意单位" in result and "2 / 6" in result


def test_excel_ranks_and_rates_agree_with_the_dashboards(boundary):
    r, units = boundary
    wb = read_back(build_round_report, r)
    headers, rows = table(wb["汇总"])
    for row in rows:
        shown, level, rank = EXPECTED[row[headers["单位名称"]]]
        assert f"{row[headers['选拔任用满意+基本满意']]:.1%}" == shown
        assert row[headers["选拔任用等次"]] == level
        assert row[headers["选拔任用组内排名"]] == rank
        assert row[headers["综合组内排名"]] == rank  # both dimensions alike here
    ctx = feedback_context(r, unit=units["甲区"])
    wb = read_back(build_unit_feedback, ctx, ctx.units[0])
    headers, rows = table(wb["测评结果"])
    assert f"{rows[0][headers['满意+基本满意']]:.1%}" == "79.9%" and rows[0][headers["组内排名"]] == 2
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=3, values_only=True)}
    assert "先按等次" in notes["排名"]


def test_no_valid_answers_reads_no_data_everywhere(client):
    r, units = tallied_round(
        {"全不了解": {4: 12}, "有票": {1: 20, 2: 5, 3: 5}, "无票": {}}, unknown_in_denominator=False,
    )
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    for name in ("全不了解", "无票"):
        row = row_of(html, units[name])
        assert "data-positive>无数据</td>" in row and ">0.0%<" not in row, name
        assert "样本不足" not in row and "<td>无数据" not in row  # no rank: the rank cell says so
        assert "无数据</span></td>" in row
    assert "100.0%" in row_of(html, units["全不了解"])  # its 不了解 share is real
    page = client.get(reverse("dashboards:unit", args=[r.pk, units["全不了解"].pk])).content.decode()
    result = page.split('data-table="result"')[1].split("</table>")[0]
    assert "data-positive>无数据</td>" in result and ">0.0%<" not in result
    wb = read_back(build_round_report, r)
    headers, rows = table(wb["汇总"])
    row = next(row for row in rows if row[headers["单位名称"]] == "全不了解")
    assert row[headers["选拔任用满意+基本满意"]] is None and row[headers["选拔任用等次"]] == "无数据"
    assert row[headers["选拔任用组内排名"]] is None and not row[headers["备注"]]
    headers, rows = table(wb["干部选拔任用工作满意度"])
    row = next(row for row in rows if row[headers["单位名称"]] == "全不了解")
    assert not row[headers["样本不足"]] and row[headers["满意率"]] is None


def test_five_level_scale_shows_its_score_and_no_unknown_column(client):
    r, units = tallied_round({"五级区": {1: 20, 2: 40, 3: 20, 4: 13, 5: 7}}, scale="five")
    result = scoring.rate({1: 20, 2: 40, 3: 20, 4: 13, 5: 7}, r.scale_def, r.policy())
    assert result.score == Fraction(6790, 100) and scoring.decimal(result.score) == "67.9"
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    ranking = html.split('id="ranking-heading"')[1]
    assert "百分制得分" in ranking and "data-score>67.9</td>" in row_of(html, units["五级区"])
    assert "不了解" not in ranking
    page = client.get(reverse("dashboards:unit", args=[r.pk, units["五级区"].pk])).content.decode()
    result_html = page.split('data-table="result"')[1].split("</table>")[0]
    assert "data-score>67.9</td>" in result_html and "不了解" not in result_html
    ctx = feedback_context(r)
    wb = read_back(build_unit_feedback, ctx, ctx.units[0])
    headers, rows = table(wb["测评结果"])
    assert rows[0][headers["百分制得分"]] == 67.9 and "不了解" not in " ".join(headers)


def test_three_level_scale_has_no_unknown_column(client):
    r, units = tallied_round({"三级区": {1: 20, 2: 5, 3: 5}}, scale="three")
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    assert "不了解" not in html.split('id="ranking-heading"')[1]
    assert "百分制得分" not in html
    page = client.get(reverse("dashboards:unit", args=[r.pk, units["三级区"].pk])).content.decode()
    assert "不了解" not in page.split('data-table="result"')[1].split("</table>")[0]


def test_every_page_states_its_rule(client, boundary):
    r, units = boundary
    client.force_login(factories.leader())
    for url in (
        reverse("dashboards:round", args=[r.pk]),
        reverse("dashboards:unit", args=[r.pk, units["甲区"].pk]),
        reverse("dashboards:trends"),
    ):
        html = unescape(client.get(url).content.decode())
        rules = html.split("data-rules")[1].split("</details>")[0]
        assert "≥ 80%" in rules and "≥ 70% 且 < 80%" in rules and "满意率 > 不满意率" in rules, url
        assert "“不了解”计入有效票" in rules and "不加权" in rules and "较低" in rules, url
        assert "79.95% 显示为 79.9%" in rules and "少于 30" in rules and "先按等次" in rules, url


def test_trends_state_each_rule_where_rounds_differ(client):
    tallied_round({"甲区": {1: 8, 2: 1, 3: 1}}, year=2024, days_ago=730)
    tallied_round({"甲区": {1: 8, 2: 1, 3: 1}}, year=2025, days_ago=365)
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:trends")).content.decode()
    assert html.count("data-rules") == 1 and "各轮相同" in html
    tallied_round({"甲区": {1: 8, 2: 1, 3: 1}}, positive_threshold=85, basic_threshold=75)
    html = unescape(client.get(reverse("dashboards:trends")).content.decode())
    assert html.count("data-rules") == 2 and "各轮评定规则不完全相同" in html
    boxes = html.split("data-rules")[1:]
    assert "≥ 80%" in boxes[0] and "2024年度" in boxes[0] and "2025年度" in boxes[0]
    assert "≥ 85%" in boxes[1] and "2026年度" in boxes[1]


def test_weighted_rounds_show_weights_effective_sample_and_a_note(client):
    crowd, cadres = factories.category("群众"), factories.category("领导干部")
    unit = factories.unit("加权区")
    r = factories.round_([unit], use_weights=True, categories=[(crowd, 9), (cadres, 1)])
    ru = r.round_units.get()
    factories.ballots(ru, [1, 1], category_=crowd)
    factories.ballots(ru, [3] * 98, category_=cadres)
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.PUBLISHED)
    client.force_login(factories.leader())
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    rules = html.split("data-rules")[1].split("</details>")[0]
    assert "群众 ×9" in rules and "领导干部 ×1" in rules and "Kish" in rules
    row = row_of(html, unit)
    assert "data-positive>90.0%</td>" in row
    assert "data-effective>2.4</td>" in row  # 100 / (81/2 + 1/98) = 2.47, not 100 answers
    assert "样本不足" in row  # the flag follows the effective sample
    page = client.get(reverse("dashboards:unit", args=[r.pk, unit.pk])).content.decode()
    assert 'data-note="weights"' in page and "不能直接相除" in page and "群众 ×9" in page
    wb = read_back(build_round_report, r)
    headers, rows = table(wb["干部选拔任用工作满意度"])
    assert rows[0][headers["有效样本量"]] == 2.4 and rows[0][headers["样本不足"]] == "是"
    notes = [row[0] for row in wb["干部选拔任用工作满意度"].iter_rows(values_only=True) if row[0]]
    assert any("不能直接相除" in str(n) for n in notes)


def test_staff_pages_show_the_same_cut_rate(client, boundary):
    r, units = boundary
    client.force_login(factories.staff())
    ru = RoundUnit.objects.get(round=r, unit=units["甲区"])
    page = client.get(reverse("rounds:unit", args=[r.pk, ru.pk])).content.decode()
    assert "79.9%" in page and "80%" not in page and "群众基本满意单位" in page
    listing = client.get(reverse("rounds:investigations", args=[r.pk])).content.decode()
    row = listing.split(units["丙区"].name)[1].split("</tr>")[0]
    assert "69.9%" in row and "70%" not in row
