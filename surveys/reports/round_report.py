"""The round report (测评结果报表): one workbook with every figure of a round.

Every rate, level and rank is read from `selectors.round_results` / `item_results`, which
take them from `scoring`; this module only lays them out.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credibility.text import clauses, series
from surveys import scoring
from surveys.breakdowns import ALL_MERGED_NOTE, HIDDEN_NOTE, MIN_CELL, category_breakdown
from surveys.models import HEADLINE_KINDS, Investigation, ItemKind
from surveys.scales import Grade
from surveys.selectors import (
    category_totals,
    item_results,
    round_opinions,
    round_results,
    round_rules,
    round_suppression,
    round_turnout,
)

from sheets.writer import download_name, new_workbook, save, write_notes, write_table

from .workbook import UNIT_KEY_COLUMNS, Column, level, rate, score

DIMENSION_SHORT = {ItemKind.SELECTION: gettext_lazy("选拔任用"), ItemKind.CONDUCT: gettext_lazy("防治不正之风")}
CONCLUSION_LABELS = dict(Investigation._meta.get_field("conclusion").choices)
PENDING_CONCLUSION = gettext_lazy("待调查")
UNIT_COLUMNS = [Column(gettext_lazy("分组")), Column(gettext_lazy("单位代码")), Column(gettext_lazy("单位名称"))]
WEIGHTED_NOTE = (
    gettext_lazy("本轮按参评人员类别加权：比率为各类别比率的加权平均，票数为实际票数，两者不能直接相除；"
    "有效样本量按 Kish 公式计算，置信区间和“样本不足”按它判断")
)


def minimum_remark(rules, d, short=""):
    """The remark on a rating below the minimum sample, or "" (no valid answers is 无数据).

    `rules`: the round whose policy applied (`RoundResults.rules`: as sealed when sealed)."""
    if not d.below_minimum:
        return ""
    if d.weighted:
        return _("%(short)s有效样本量 %(effective)s，少于 %(minimum)s，评定仅供参考") % {"short": short, "effective": scoring.decimal(d.effective), "minimum": rules.min_valid_answers}
    return _("%(short)s有效票 %(valid)s，少于 %(minimum)s，评定仅供参考") % {"short": short, "valid": d.valid, "minimum": rules.min_valid_answers}
SHEETS = [gettext_lazy("说明"), gettext_lazy("汇总"), *(k.label for k in HEADLINE_KINDS), gettext_lazy("指标明细"), gettext_lazy("分类统计"), gettext_lazy("意见建议"), gettext_lazy("回收情况")]


def unit_cells(round_unit):
    unit = round_unit.unit
    return [unit.group.name, unit.code, unit.name]


def conclusion_text(result, kind):
    """The investigation conclusion of one dimension, or 待调查 while a below one lacks it."""
    conclusion = result.conclusions.get(kind)
    if conclusion:
        return CONCLUSION_LABELS.get(conclusion, conclusion)
    if result.dimensions[kind].level is scoring.Level.BELOW:
        return PENDING_CONCLUSION
    return ""


def actor_name(user):
    if user is None:
        return _("命令行导出")
    return user.get_full_name() or user.get_username()


def policy_notes(round_):
    """The scoring policy in words, for the 说明 sheet of every workbook.

    The same description the dashboards state (`selectors.round_rules`), plus what only the
    workbooks need.
    """
    return [
        *((label, text) for _, label, text in round_rules(round_)),
        (_("分类统计合计"), _("“全部单位合计”行为本轮全部单位的合计，不随下载范围变化，各报表相同")),
    ]


def seal_notes(results):
    """The seal's lines for a 说明 sheet: the fingerprint a printed copy is checked by."""
    if results.snapshot is None:
        return [
            (_("封存指纹"), _("未封存")),
            (_("数据来源"), _("计票表（每张票提交时同步计数；本轮尚未封存）")),
        ]
    return [
        (_("封存指纹"), results.fingerprint),
        (_("封存时间"), f"{timezone.localtime(results.snapshot.sealed_at):%Y-%m-%d %H:%M}"),
        (_("数据来源"), _("结束测评时封存的结果快照：逐票重新计数与计票表一致后封存，单位名称为封存时的名称；"
                 "可用 verify_round 或测评页面的“核验封存”核对")),
    ]


def seal_footer(results):
    return _("封存指纹 %(fingerprint)s") % {"fingerprint": results.fingerprint} if results.snapshot is not None else _("未封存")


def _notes(wb, round_, *, user, groups, now, results):
    scope = _("全部单位") if groups is None else series(g.name for g in groups)
    pairs = [
        (_("测评轮次"), round_.name),
        (_("年度"), round_.year, "year"),
        (_("状态"), round_.get_status_display()),
        (_("测评时间"), _("%(start)s 至 %(end)s") % {
            "start": f"{timezone.localtime(round_.opens_at):%Y-%m-%d}",
            "end": f"{timezone.localtime(round_.closes_at):%Y-%m-%d}"}),
        (_("生成时间"), f"{timezone.localtime(now):%Y-%m-%d %H:%M}"),
        (_("生成人"), actor_name(user)),
        (_("单位范围"), scope),
        *policy_notes(round_),
        *seal_notes(results),
    ]
    write_notes(wb, _("说明"), _("%(name)s 测评结果报表") % {"name": round_.name}, pairs,
                footer=(round_.name, seal_footer(results)))


def _summary(wb, results, footer):
    # Rules, scale and weights as the results were rated: sealed values for a sealed round.
    scored = results.scale.scored
    columns = [*UNIT_COLUMNS, Column(_("网上票数"), "int"), Column(_("纸质票数"), "int"), Column(_("合计票数"), "int")]
    for kind in HEADLINE_KINDS:
        short = DIMENSION_SHORT[kind]
        columns += [
            Column(_("%(short)s满意率") % {"short": short}, "percent"),
            Column(_("%(short)s基本满意率") % {"short": short}, "percent"),
            Column(_("%(short)s不满意率") % {"short": short}, "percent"),
            Column(_("%(short)s满意+基本满意") % {"short": short}, "percent"),
            *([Column(_("%(short)s百分制得分") % {"short": short}, "decimal")] if scored else []),
            Column(_("%(short)s95%%区间下限") % {"short": short}, "percent"),
            Column(_("%(short)s95%%区间上限") % {"short": short}, "percent"),
            Column(_("%(short)s等次") % {"short": short}),
            Column(_("%(short)s组内排名") % {"short": short}, "int"),
        ]
    columns += [
        Column(_("总体等次")),
        Column(_("调查结论（最终类别）")),
        Column(_("综合组内排名"), "int"),
        Column(_("备注"), width=30, wrap=True),
    ]
    rows = []
    for r in results.units:
        ru = r.round_unit
        row = [*unit_cells(ru), ru.online_ballots, ru.paper_ballots, ru.ballots]
        remarks = []
        for kind in HEADLINE_KINDS:
            d = r.dimensions[kind]
            low, high = d.interval or (None, None)
            row += [
                *(rate(x) if d.valid else None for x in (d.satisfied, d.basic, d.dissatisfied, d.positive)),
                *([score(d.score) if d.valid else None] if scored else []),
                rate(low), rate(high), level(d.level), r.ranks.get(kind),
            ]
            if remark := minimum_remark(results.rules, d, DIMENSION_SHORT[kind]):
                remarks.append(remark)
        row += [level(r.level), level(r.final), r.ranks.get("overall"), clauses(remarks)]
        rows.append(row)
    write_table(wb, _("汇总"), columns, rows, footer=footer, key_columns=UNIT_KEY_COLUMNS)


def _dimension(wb, results, kind, footer):
    scale = results.scale
    weighted = results.rules.use_weights
    has_unknown = any(o.grade is Grade.UNKNOWN for o in scale.options)
    columns = [*UNIT_COLUMNS, *(Column(o.label, "int") for o in scale.options)]
    columns += [Column(_("作答数"), "int"), Column(_("有效票"), "int")]
    if weighted:
        columns.append(Column(_("有效样本量"), "decimal"))
    columns += [Column(_("满意率"), "percent"), Column(_("基本满意率"), "percent"), Column(_("不满意率"), "percent")]
    if has_unknown:
        columns.append(Column(_("不了解占作答数"), "percent"))
    columns += [
        Column(_("满意+基本满意"), "percent"),
        Column(_("95%区间下限"), "percent"),
        Column(_("95%区间上限"), "percent"),
    ]
    if scale.scored:
        columns.append(Column(_("百分制得分"), "decimal"))
    columns += [
        Column(_("样本不足")),
        Column(_("等次")),
        Column(_("调查结论")),
        Column(_("类别")),
        Column(_("组内排名"), "int"),
    ]
    rows = []
    for r in results.units:
        d = r.dimensions[kind]
        low, high = d.interval or (None, None)
        row = [*unit_cells(r.round_unit), *(d.counts.get(o.value, 0) for o in scale.options)]
        row += [d.answered, d.valid]
        if weighted:
            row.append(score(d.effective) if d.valid else None)
        row += [rate(x) if d.valid else None for x in (d.satisfied, d.basic, d.dissatisfied)]
        if has_unknown:
            row.append(rate(d.unknown) if d.answered else None)  # a share of answers, not of valid
        row += [rate(d.positive) if d.valid else None, rate(low), rate(high)]
        if scale.scored:
            row.append(score(d.score) if d.valid else None)
        row += [
            _("是") if d.below_minimum else "",
            level(d.level),
            conclusion_text(r, kind),
            level(r.dimension_finals[kind]),
            r.ranks.get(kind),
        ]
        rows.append(row)
    # Weighted rates beside raw counts: say so under the table, where the reader divides.
    write_table(wb, kind.label, columns, rows, footer=footer, key_columns=UNIT_KEY_COLUMNS,
                note=WEIGHTED_NOTE if weighted else None)


def _items(wb, results, round_units, detail, footer):
    scale = results.scale
    kinds = dict(ItemKind.choices)
    columns = [
        *UNIT_COLUMNS, Column(_("题号"), "int"), Column(_("题目"), width=40, wrap=True), Column(_("类型")),
        *(Column(o.label, "int") for o in scale.options),
        Column(_("作答数"), "int"), Column(_("有效票"), "int"), Column(_("满意+基本满意"), "percent"),
    ]
    rows = []
    for ru in round_units:
        for number, item in enumerate(detail.items, start=1):
            d = detail.results[(ru.pk, item.pk)]
            rows.append([
                *unit_cells(ru), number, item.text, kinds[item.kind],
                *(d.counts.get(o.value, 0) for o in scale.options),
                d.answered, d.valid, rate(d.positive) if d.valid else None,
            ])
    # Plain values (no level fills), one row per unit and item: the bulk path.
    write_table(wb, _("指标明细"), columns, rows, footer=footer, key_columns=UNIT_KEY_COLUMNS, bulk=True)


def _categories(wb, results, round_units, detail, footer):
    """分类统计: each unit's categories, and the whole round's, with the round's pattern.

    The 全部单位合计 rows are over every unit of the round whatever the reader's scope, and
    every table merges the cells `round_suppression` merges: so no subtraction between this
    sheet, the unit pages and the files of other scopes singles out a small category.
    """
    round_, scale, policy, labels = results.round, results.scale, results.policy, results.labels
    headline = [i for i in detail.items if i.kind in HEADLINE_KINDS]
    everyone = list(round_.round_units.values_list("pk", flat=True))
    totals = category_totals(round_, everyone, [i.pk for i in headline])
    pattern = round_suppression(round_, source=results.source)
    columns = [
        *UNIT_COLUMNS, Column(_("测评维度")), Column(_("参评人员类别"), width=28),
        Column(_("作答数"), "int"), Column(_("满意率"), "percent"), Column(_("基本满意率"), "percent"),
        Column(_("不满意率"), "percent"), Column(_("满意+基本满意"), "percent"),
        Column(_("说明"), width=36, wrap=True),
    ]
    rows = []

    def add(prefix, item, by_category, merged):
        for row in category_breakdown(by_category, labels, scale, policy, merged=merged):
            d = row.result
            note = _("合并：") + series(row.merged) if row.merged and not row.hidden else ""
            rows.append([
                *prefix, ItemKind(item.kind).label, row.label,
                None if row.hidden else row.answered,
                *([None] * 4 if d is None or not d.valid else
                  [rate(d.satisfied), rate(d.basic), rate(d.dissatisfied), rate(d.positive)]),
                HIDDEN_NOTE if row.hidden and row.label != ALL_MERGED_NOTE else note,
            ])

    for item in headline:
        add([_("全部单位合计"), "", _("本轮全部单位")], item, totals.get(item.pk, {}), pattern.hidden_totals)
    for ru in round_units:
        for item in headline:
            add(unit_cells(ru), item, detail.by_category[(ru.pk, item.pk)], pattern.merged(ru.pk))
    note = _(
        "少于 %(min_cell)s 人的类别合并为“其他”；为防止用合计相减推算出被合并的类别，必要时另有较大的类别"
        "一并合并（互补隐藏），全市各页面、各报表的合并方式相同。“全部单位合计”为本轮全部单位，不随下载范围变化"
    ) % {"min_cell": MIN_CELL}
    write_table(wb, _("分类统计"), columns, rows, footer=footer, key_columns=UNIT_KEY_COLUMNS, note=note, bulk=True)


def _opinions(wb, round_units, footer):
    by_id = {ru.pk: ru for ru in round_units}
    columns = [
        Column(_("分组"), width=14), Column(_("单位代码"), width=12), Column(_("单位名称"), width=24),
        Column(_("意见建议"), width=90, wrap=True),
    ]
    rows = (
        [*unit_cells(by_id[ru_id]), opinion]
        for ru_id, opinion in round_opinions(list(by_id)).iterator(chunk_size=2000)
    )
    # Tens of thousands of free texts: the bulk path (no per-row heights; the spreadsheet wraps them).
    write_table(wb, _("意见建议"), columns, rows, footer=footer, key_columns=UNIT_KEY_COLUMNS, fit_sample=0, bulk=True)


def _turnout(wb, round_units, footer):
    columns = [
        *UNIT_COLUMNS, Column(_("计划样本量"), "int"),
        Column(_("测评码发出"), "int"), Column(_("测评码已使用"), "int"), Column(_("测评码已作废"), "int"),
        Column(_("测评码未使用"), "int"), Column(_("纸质票发出"), "int"), Column(_("纸质票已录入"), "int"),
        Column(_("网上票数"), "int"), Column(_("合计票数"), "int"),
        Column(_("回收率"), "percent"), Column(_("样本完成率"), "percent"),
    ]
    rows = []
    for t in round_turnout(round_units):
        ru = t.round_unit
        rows.append([
            *unit_cells(ru), ru.planned_sample, t.codes_issued, t.codes_used, t.codes_void,
            t.codes_unused, ru.paper_forms_issued, ru.paper_ballots, ru.online_ballots,
            t.received, rate(t.rate), rate(t.completion),
        ])
    note = _("回收率 = 合计票数 ÷（测评码发出 − 已作废 + 纸质票发出）；样本完成率 = 合计票数 ÷ 计划样本量")
    write_table(wb, _("回收情况"), columns, rows, footer=footer, key_columns=UNIT_KEY_COLUMNS, note=note)


def build_round_report(round_, out, *, user=None, groups=None, now=None, progress=None):
    """Write the round report for the units in `groups` (None: all) to a path or file.

    progress(done, total, sheet) after each sheet, for a background job's page.
    """
    now = now or timezone.now()
    results = round_results(round_, groups=groups)
    round_units = [r.round_unit for r in results.units]
    detail = item_results(round_, round_units)
    # The seal's fingerprint (or 未封存) in the middle of every page's footer: a printed page
    # can be matched with the seal it came from.
    footer = (_("%(round)s · 生成于 %(when)s") % {"round": round_.name, "when": f"{timezone.localtime(now):%Y-%m-%d %H:%M}"},
              seal_footer(results))
    wb = new_workbook()
    steps = [
        (_("说明"), lambda: _notes(wb, round_, user=user, groups=groups, now=now, results=results)),
        (_("汇总"), lambda: _summary(wb, results, footer)),
        *((kind.label, lambda kind=kind: _dimension(wb, results, kind, footer)) for kind in HEADLINE_KINDS),
        (_("指标明细"), lambda: _items(wb, results, round_units, detail, footer)),
        (_("分类统计"), lambda: _categories(wb, results, round_units, detail, footer)),
        (_("意见建议"), lambda: _opinions(wb, round_units, footer)),
        (_("回收情况"), lambda: _turnout(wb, round_units, footer)),
    ]
    for done, (sheet, write) in enumerate(steps, start=1):
        write()
        if progress:
            progress(done, len(steps) + 1, sheet)
    save(wb, out)


def round_report_filename(round_, now=None):
    now = timezone.localtime(now or timezone.now())
    return download_name(round_.name, _("测评结果报表"), now.date())
