"""Feedback workbooks: one unit's results, rank, averages, trend, opinions and follow-up."""

import io
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest

from surveys import scoring
from surveys.models import HEADLINE_KINDS, Rectification, Round, RoundStatus
from surveys.reports.feedback import (
    build_feedback_zip,
    build_unit_feedback,
    feedback_context,
    feedback_filename,
)
from surveys.selectors import mean_positive, round_results
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return factories.reported_city()


def shown(rate):
    """The value a workbook stores for a rate: cut toward zero at 0.1%."""
    return float(scoring.truncate(rate, 3))


def read(ctx, result):
    out = io.BytesIO()
    build_unit_feedback(ctx, result, out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def test_results_sheet_matches_round_results_with_group_and_city_averages(data):
    r = data["round"]
    unit = data["units"][1]  # 主城2区
    ctx = feedback_context(r, unit=unit)
    [result] = ctx.units
    wb = read(ctx, result)
    assert wb.sheetnames == ["说明", "测评结果", "历次测评", "意见建议", "调查与整改"]
    rows = list(wb["测评结果"].iter_rows(values_only=True))
    headers = {h: i for i, h in enumerate(rows[0])}
    everyone = round_results(r).units
    group = [x for x in everyone if x.group == result.group]
    for row, kind in zip(rows[1:], HEADLINE_KINDS):
        d = result.dimensions[kind]
        assert row[headers["测评维度"]] == kind.label
        assert row[headers["满意+基本满意"]] == shown(d.positive)
        assert row[headers["等次"]] == d.level.label
        assert row[headers["组内排名"]] == result.ranks[kind]
        assert row[headers["组内单位数"]] == 3
        assert row[headers["本组平均（满意+基本满意）"]] == shown(mean_positive(group, kind))
        assert row[headers["全市平均（满意+基本满意）"]] == shown(mean_positive(everyone, kind))
    overall = rows[3]
    assert overall[headers["等次"]] == result.level.label
    assert overall[headers["类别"]] == result.final.label


def test_a_limited_scope_still_compares_with_the_whole_city(data):
    r = data["round"]
    ctx = feedback_context(r, groups=[data["groups"][0]])
    assert {x.group.name for x in ctx.units} == {"主城区"}
    assert len(ctx.city.units) == 7


def test_trend_lists_earlier_rounds_of_the_same_unit(data):
    unit = data["units"][0]
    earlier = factories.round_([unit], year=2025)
    factories.ballots(earlier.round_units.get(), [1, 1, 3])  # while it is open
    Round.objects.filter(pk=earlier.pk).update(
        opens_at=data["round"].opens_at - timedelta(days=365), status=RoundStatus.PUBLISHED
    )
    unpublished = factories.round_([unit], year=2024, status=RoundStatus.CLOSED)
    Round.objects.filter(pk=unpublished.pk).update(opens_at=data["round"].opens_at - timedelta(days=700))

    for published_only, expected in ((False, 3), (True, 2)):
        ctx = feedback_context(data["round"], unit=unit, published_only=published_only)
        rows = list(read(ctx, ctx.units[0])["历次测评"].iter_rows(values_only=True))[1:]
        assert len(rows) == expected
        assert rows[-1][0] == data["round"].name
    earlier_row = rows[0]
    assert earlier_row[0] == earlier.name
    assert earlier_row[2] == 0.666  # 2 of 3, cut toward zero at 0.1%


def test_opinions_and_follow_up_of_that_unit_only(data):
    r = data["round"]
    first, third = data["units"][0], data["units"][2]
    ru = data["round_units"]["主城3区"]
    Rectification.objects.create(
        round_unit=ru, measures="=整改措施", deadline=date(2026, 12, 31), created_by=factories.staff(),
    )
    ctx = feedback_context(r)
    by_unit = {x.unit: x for x in ctx.units}
    opinions = [row[1] for row in read(ctx, by_unit[first])["意见建议"].iter_rows(min_row=2, values_only=True)]
    assert len(opinions) == 4 and "-1+2" in opinions  # text as written, never a formula
    assert list(read(ctx, by_unit[third])["意见建议"].iter_rows(min_row=2, values_only=True)) == []
    follow = list(read(ctx, by_unit[third])["调查与整改"].iter_rows(min_row=2, values_only=True))
    kinds = [row[0] for row in follow]
    assert kinds.count("调查") == 2  # the serious finding and the conduct one still pending
    assert ("整改", r.name, "2026-12-31", "未开始", "=整改措施") in follow


def test_zip_holds_one_workbook_per_unit(data, django_assert_max_num_queries):
    ctx = feedback_context(data["round"])
    out = io.BytesIO()
    with django_assert_max_num_queries(len(ctx.units) + 2):
        build_feedback_zip(ctx, out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert names == [feedback_filename(data["round"], x.unit) for x in ctx.units]
        wb = openpyxl.load_workbook(io.BytesIO(archive.read(names[0])))
        assert wb["说明"]["B3"].value == ctx.units[0].unit.name


def test_feedback_prints_the_seal_fingerprint_and_the_names_of_the_close(data):
    from surveys.rounds.services import round_close
    from units.models import Unit

    r = data["round"]
    unit = data["units"][1]
    round_close(round_=r, actor=factories.staff())
    r.refresh_from_db()
    Unit.objects.filter(pk=unit.pk).update(name="封存后改名")
    ctx = feedback_context(r, unit=unit)
    [result] = ctx.units
    wb = read(ctx, result)
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=3, values_only=True)}
    assert notes["封存指纹"] == r.snapshot.fingerprint and notes["单位"] == "主城2区"
    # In the middle of every page's footer (the left holds the unit and round, cut to fit).
    assert all(r.snapshot.fingerprint in ws.HeaderFooter.oddFooter.center.text for ws in wb)
def test_the_trend_sheet_shows_years_without_a_thousands_separator(data):
    r, unit = data["round"], data["units"][0]
    ctx = feedback_context(r, unit=unit)
    wb = read(ctx, ctx.units[0])
    ws = wb["历次测评"]
    column = [c.value for c in ws[1]].index("年度")
    years = [row[column] for row in ws.iter_rows(min_row=2) if row[column].value is not None]
    assert years and all(c.value == r.year and c.number_format == "0" for c in years)
