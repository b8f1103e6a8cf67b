"""导出本页 (Excel): a dashboard's tables as they are shown, one sheet each.

The cells hold what the page shows (rates as the page prints them, counts as numbers), so a
leader's copy says the same as the screen. Written by sheets.writer like every export: text is
always text (a unit name or a label starting with = + - @ never becomes a formula), the house
style, and a print layout that never goes below about 70% (wide tables flow over landscape
pages with their first columns repeated).
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from credibility.text import clauses, labelled
from sheets.writer import XLSX_CONTENT_TYPE as XLSX
from sheets.writer import Column, new_workbook, write_table
from sheets.writer import workbook_bytes as book_bytes
from surveys.models import HEADLINE_KINDS


def workbook_bytes(title, sheets):
    """sheets: [(sheet name, [header], [[value]])]; returns the .xlsx as bytes.

    Each sheet: the title on its first line, the header on the second, then the rows; the
    first two columns name a row (group and rank, or the dimension) and are repeated on every
    printed page when the table is wider than one.
    """
    book = new_workbook()
    for name, header, rows in sheets:
        write_table(book, name[:31], [Column(text) for text in header], rows, heading=title, footer=title,
                    key_columns=min(2, len(header)))
    return book_bytes(book)


def xlsx_response(filename, title, sheets):
    response = HttpResponse(workbook_bytes(title, sheets), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def _rate_change(row):
    shown = row.rate_change_text
    if shown is None:
        return "—"
    direction, points = shown
    return _("持平") if direction == "same" else f"{'↑' if direction == 'up' else '↓'}{points}"


def _rank_change(row, overview):
    if row.change is None:
        return _("新参评") if overview.previous and not row.in_previous else "—"
    if row.change == 0:
        return _("持平")
    return f"↑{row.change}" if row.change > 0 else f"↓{-row.change}"


def _rates_header():
    return [_("有效票"), _("满意"), _("基本满意"), _("不满意")]


def overview_sheets(overview, tables, dimension_label):
    rows = []
    for table in tables:
        for row in table.rows:
            s = row.show
            rows.append([
                table.group.name, row.rank, _rank_change(row, overview), _rate_change(row), row.result.unit.code,
                row.result.unit.name, row.dimension.valid, s["satisfied"], s["basic"], s["dissatisfied"],
                s["unknown"], s["positive"], s["interval"], s["level_label"], s["final_label"],
            ])
    city = [
        [label, d.valid, p["satisfied"], p["basic"], p["dissatisfied"], p["positive"], p["interval"],
         clauses(labelled(goal, _("已达到") if ok else _("未达到")) for goal, ok in met)]
        for label, d, p, met in overview.city_rows
    ]
    header = [_("单位分组"), _("组内名次"), _("名次变化"), _("比率变化（百分点）"), _("单位代码"), _("单位"),
              *_rates_header(), _("不了解"), _("满意+基本满意"), _("95%置信区间"), _("本维度等次"), _("综合评定")]
    return [
        ((_("分组排名（%(dimension)s）") % {"dimension": dimension_label})[:31], header, rows),
        (_("总体满意度"), [_("测评维度"), *_rates_header(), _("满意+基本满意"), _("95%置信区间"), _("对照目标")], city),
    ]


def unit_sheets(page):
    result_rows = [
        [label, d.valid, p["satisfied"], p["basic"], p["dissatisfied"], p["unknown"], p["positive"], p["interval"],
         d.level.label, f"{rank or '—'} / {page.group_size}"]
        for label, d, p, rank in page.rows
    ]
    items = [
        [row.item.text, row.item.get_kind_display(), row.result.valid, row.pct["positive"],
         row.means["group_mean"], row.means["city_mean"]]
        for row in page.items
    ]
    trend = [
        [point.round.name, *(p["positive"] for _label, _d, p in point.dims), point.result.final.label]
        for point in page.trend
    ]
    return [
        (_("测评结果"), [_("测评维度"), *_rates_header(), _("不了解"), _("满意+基本满意"), _("95%置信区间"), _("等次"),
                     _("组内名次")], result_rows),
        (_("各项指标"), [_("题目"), _("类型"), _("有效票"), _("本单位满意+基本满意"), _("本组平均"), _("全市平均")], items),
        (_("历次测评"), [_("轮次"), *(kind.label for kind in HEADLINE_KINDS), _("综合评定")], trend),
    ]


def trend_sheets(points, goals):
    header = [_("轮次"), _("单位数")]
    for kind in HEADLINE_KINDS:
        header += [_("%(dimension)s满意+基本满意") % {"dimension": kind.label},
                   _("%(dimension)s95%%置信区间") % {"dimension": kind.label},
                   *(_("%(dimension)s%(goal)s单位数") % {"dimension": kind.label, "goal": label} for _goal, label in goals)]
    header += [_("两项均达到%(goal)s") % {"goal": label} for _goal, label in goals]
    rows = []
    for point in points:
        row = [point.round.name, point.units]
        for _label, _d, p, reaching in point.dims:
            row += [p["positive"], p["interval"], *reaching]
        row += point.both
        rows.append(row)
    return [(_("历年走势"), header, rows)]
