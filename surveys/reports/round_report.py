"""The round report (测评结果报表): one workbook with every figure of a round.

Every rate, level and rank is read from `selectors.round_results` / `item_results`, which
take them from `scoring`; this module only lays them out.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys import scoring
from surveys.breakdowns import HIDDEN_NOTE, MIN_CELL, category_breakdown
from surveys.models import HEADLINE_KINDS, Investigation, ItemKind
from surveys.scales import Grade
from surveys.selectors import (
    category_totals,
    item_results,
    round_opinions,
    round_results,
    round_turnout,
)

from .workbook import Column, new_workbook, notes_sheet, table_sheet

DIMENSION_SHORT = {ItemKind.SELECTION: gettext_lazy("选拔任用"), ItemKind.CONDUCT: gettext_lazy("防治不正之风")}
CONCLUSION_LABELS = dict(Investigation._meta.get_field("conclusion").choices)
PENDING_CONCLUSION = gettext_lazy("待调查")
UNIT_COLUMNS = [Column(gettext_lazy("分组")), Column(gettext_lazy("单位代码")), Column(gettext_lazy("单位名称"))]
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
    """The scoring policy in words, for the 说明 sheet of every workbook."""
    scale = round_.scale_def
    has_unknown = any(o.grade is Grade.UNKNOWN for o in scale.options)
    if not has_unknown:
        unknown = _("本轮答案选项没有“不了解”")
    elif round_.unknown_in_denominator:
        unknown = _("计入：有效票含“不了解”（较严格的口径）")
    else:
        unknown = _("不计入：“不了解”不算有效票，比率的分母不含它")
    if round_.use_weights:
        weights = "；".join(
            f"{rc.category.name} ×{rc.weight.normalize()}"
            for rc in round_.round_categories.select_related("category")
        )
        weighting = _("按参评人员类别加权（各类别比率的加权平均）：%(weights)s") % {"weights": weights}
    else:
        weighting = _("不加权：各类别的票同等计数")
    return [
        (_("答案选项"), scale.label),
        (_("群众满意单位线"), _("满意率 + 基本满意率 ≥ %(positive_threshold)s%%，且满意率 > 不满意率") % {"positive_threshold": round_.positive_threshold}),
        (_("群众基本满意单位线"), _("满意率 + 基本满意率 ≥ %(basic_threshold)s%% 且 < %(positive_threshold)s%%，且满意率 > 不满意率") % {"basic_threshold": round_.basic_threshold, "positive_threshold": round_.positive_threshold}),
        (_("“不了解”是否计入有效票"), unknown),
        (_("空白选项"), _("视为弃权，不计入有效票")),
        (_("权重"), weighting),
        (_("可靠评定的最少有效票"), round_.min_valid_answers, "int"),
        (_("总体等次"), _("取两项总体评价（干部选拔任用工作满意度、防治用人不正之风工作满意度）中较低的等次")),
        (_("未达标单位"), _("经调查了解，用人不正之风问题较为严重的，为群众不满意单位；未作调查结论前为“未达标（待调查）”")),
        (_("比率与等次"), _("等次按精确分数判定（如 7999/10000 未达 80%）；表中比率四舍五入显示到 0.1%，仅供阅读")),
        (_("排名"), _("在单位分组内按满意率与基本满意率之和排名，并列者名次相同；综合排名按两项之和的平均")),
        (_("分类统计"), _("少于 %(min_cell)s 票的类别合并为“其他”，合并后仍少于 %(min_cell)s 票的不显示") % {"min_cell": MIN_CELL}),
    ]


def _notes(wb, round_, *, user, groups, now):
    scope = _("全部单位") if groups is None else "、".join(g.name for g in groups)
    pairs = [
        (_("测评轮次"), round_.name),
        (_("年度"), round_.year, "int"),
        (_("状态"), round_.get_status_display()),
        (_("测评时间"), _("%(start)s 至 %(end)s") % {
            "start": f"{timezone.localtime(round_.opens_at):%Y-%m-%d}",
            "end": f"{timezone.localtime(round_.closes_at):%Y-%m-%d}"}),
        (_("生成时间"), f"{timezone.localtime(now):%Y-%m-%d %H:%M}"),
        (_("生成人"), actor_name(user)),
        (_("单位范围"), scope),
        *policy_notes(round_),
        (_("封存摘要"), round_.seal_digest or _("未封存")),
        (_("数据来源"), _("计票表（每张票提交时同步计数，与逐票重新计数一致）")),
    ]
    notes_sheet(wb, _("说明"), _("%(name)s 测评结果报表") % {"name": round_.name}, pairs, footer=round_.name)


def _summary(wb, round_, results, footer):
    columns = [*UNIT_COLUMNS, Column(_("网上票数"), "int"), Column(_("纸质票数"), "int"), Column(_("合计票数"), "int")]
    for kind in HEADLINE_KINDS:
        short = DIMENSION_SHORT[kind]
        columns += [
            Column(_("%(short)s满意率") % {"short": short}, "percent"),
            Column(_("%(short)s基本满意率") % {"short": short}, "percent"),
            Column(_("%(short)s不满意率") % {"short": short}, "percent"),
            Column(_("%(short)s满意+基本满意") % {"short": short}, "percent"),
            Column(_("%(short)s95%%区间下限") % {"short": short}, "percent"),
            Column(_("%(short)s95%%区间上限") % {"short": short}, "percent"),
            Column(_("%(short)s等次") % {"short": short}, "level"),
            Column(_("%(short)s组内排名") % {"short": short}, "int"),
        ]
    columns += [
        Column(_("总体等次"), "level"),
        Column(_("调查结论（最终类别）"), "level"),
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
                d.satisfied if d.valid else None,
                d.basic if d.valid else None,
                d.dissatisfied if d.valid else None,
                d.positive if d.valid else None,
                low, high, d.level, r.ranks.get(kind),
            ]
            if d.valid and d.below_minimum:
                remarks.append(_("%(dimension)s有效票 %(valid)s，少于 %(minimum)s，评定仅供参考") % {"dimension": DIMENSION_SHORT[kind], "valid": d.valid, "minimum": round_.min_valid_answers})
        row += [r.level, r.final, r.ranks.get("overall"), "；".join(remarks)]
        rows.append(row)
    table_sheet(wb, _("汇总"), columns, rows, footer=footer)


def _dimension(wb, round_, results, kind, footer):
    scale = round_.scale_def
    has_unknown = any(o.grade is Grade.UNKNOWN for o in scale.options)
    columns = [*UNIT_COLUMNS, *(Column(o.label, "int") for o in scale.options)]
    columns += [Column(_("作答数"), "int"), Column(_("有效票"), "int")]
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
        Column(_("等次"), "level"),
        Column(_("调查结论")),
        Column(_("类别"), "level"),
        Column(_("组内排名"), "int"),
    ]
    rows = []
    for r in results.units:
        d = r.dimensions[kind]
        low, high = d.interval or (None, None)
        row = [*unit_cells(r.round_unit), *(d.counts.get(o.value, 0) for o in scale.options)]
        row += [d.answered, d.valid]
        row += [x if d.valid else None for x in (d.satisfied, d.basic, d.dissatisfied)]
        if has_unknown:
            row.append(d.unknown if d.answered else None)  # a share of answers, not of valid
        row += [d.positive if d.valid else None, low, high]
        if scale.scored:
            row.append(d.score)
        row += [
            _("是") if d.valid and d.below_minimum else "",
            d.level,
            conclusion_text(r, kind),
            r.dimension_finals[kind],
            r.ranks.get(kind),
        ]
        rows.append(row)
    table_sheet(wb, kind.label, columns, rows, footer=footer)


def _items(wb, round_, round_units, detail, footer):
    scale = round_.scale_def
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
                d.answered, d.valid, d.positive if d.valid else None,
            ])
    table_sheet(wb, _("指标明细"), columns, rows, footer=footer)


def _categories(wb, round_, round_units, detail, footer):
    scale = round_.scale_def
    policy = round_.policy()
    labels = {
        rc.category_id: rc.category.name
        for rc in round_.round_categories.select_related("category")
    }
    headline = [i for i in detail.items if i.kind in HEADLINE_KINDS]
    totals = category_totals(round_, [ru.pk for ru in round_units], [i.pk for i in headline])
    columns = [
        *UNIT_COLUMNS, Column(_("测评维度")), Column(_("参评人员类别"), width=28),
        Column(_("作答数"), "int"), Column(_("满意率"), "percent"), Column(_("基本满意率"), "percent"),
        Column(_("不满意率"), "percent"), Column(_("满意+基本满意"), "percent"),
        Column(_("说明"), width=36, wrap=True),
    ]
    rows = []

    def add(prefix, item, by_category):
        for row in category_breakdown(by_category, labels, scale, policy):
            d = row.result
            merged = _("合并：") + "、".join(row.merged) if row.merged and not row.hidden else ""
            rows.append([
                *prefix, ItemKind(item.kind).label, row.label,
                None if row.hidden else row.answered,
                *([None] * 4 if d is None or not d.valid else [d.satisfied, d.basic, d.dissatisfied, d.positive]),
                HIDDEN_NOTE if row.hidden else merged,
            ])

    for item in headline:
        add([_("全部单位合计"), "", _("本表范围内全部单位")], item, totals.get(item.pk, {}))
    for ru in round_units:
        for item in headline:
            add(unit_cells(ru), item, detail.by_category[(ru.pk, item.pk)])
    table_sheet(wb, _("分类统计"), columns, rows, footer=footer)


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
    table_sheet(wb, _("意见建议"), columns, rows, footer=footer)


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
            t.received, t.rate, t.completion,
        ])
    note = _("回收率 = 合计票数 ÷（测评码发出 − 已作废 + 纸质票发出）；样本完成率 = 合计票数 ÷ 计划样本量")
    table_sheet(wb, _("回收情况"), columns, rows, footer=footer, note=note)


def build_round_report(round_, out, *, user=None, groups=None, now=None):
    """Write the round report for the units in `groups` (None: all) to a path or file."""
    now = now or timezone.now()
    results = round_results(round_, groups=groups)
    round_units = [r.round_unit for r in results.units]
    detail = item_results(round_, round_units)
    footer = _("%(round)s · 生成于 %(when)s") % {
        "round": round_.name, "when": f"{timezone.localtime(now):%Y-%m-%d %H:%M}"}
    wb = new_workbook()
    _notes(wb, round_, user=user, groups=groups, now=now)
    _summary(wb, round_, results, footer)
    for kind in HEADLINE_KINDS:
        _dimension(wb, round_, results, kind, footer)
    _items(wb, round_, round_units, detail, footer)
    _categories(wb, round_, round_units, detail, footer)
    _opinions(wb, round_units, footer)
    _turnout(wb, round_units, footer)
    wb.save(out)


def round_report_filename(round_, now=None):
    now = timezone.localtime(now or timezone.now())
    return _("%(round)s-测评结果报表-%(day)s.xlsx") % {"round": round_.name, "day": f"{now:%Y%m%d}"}
