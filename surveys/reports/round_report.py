"""The round report (测评结果报表): one workbook with every figure of a round.

Every rate, level and rank is read from `selectors.round_results` / `item_results`, which
take them from `scoring`; this module only lays them out.
"""

from django.utils import timezone

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

DIMENSION_SHORT = {ItemKind.SELECTION: "选拔任用", ItemKind.CONDUCT: "防治不正之风"}
CONCLUSION_LABELS = dict(Investigation._meta.get_field("conclusion").choices)
PENDING_CONCLUSION = "待调查"
UNIT_COLUMNS = [Column("分组"), Column("单位代码"), Column("单位名称")]
SHEETS = ["说明", "汇总", *(k.label for k in HEADLINE_KINDS), "指标明细", "分类统计", "意见建议", "回收情况"]


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
        return "命令行导出"
    return user.get_full_name() or user.get_username()


def policy_notes(round_):
    """The scoring policy in words, for the 说明 sheet of every workbook."""
    scale = round_.scale_def
    has_unknown = any(o.grade is Grade.UNKNOWN for o in scale.options)
    if not has_unknown:
        unknown = "本轮答案选项没有“不了解”"
    elif round_.unknown_in_denominator:
        unknown = "计入：有效票含“不了解”（较严格的口径）"
    else:
        unknown = "不计入：“不了解”不算有效票，比率的分母不含它"
    if round_.use_weights:
        weights = "；".join(
            f"{rc.category.name} ×{rc.weight.normalize()}"
            for rc in round_.round_categories.select_related("category")
        )
        weighting = f"按参评人员类别加权（各类别比率的加权平均）：{weights}"
    else:
        weighting = "不加权：各类别的票同等计数"
    return [
        ("答案选项", scale.label),
        ("群众满意单位线", f"满意率 + 基本满意率 ≥ {round_.positive_threshold}%，且满意率 > 不满意率"),
        ("群众基本满意单位线", f"满意率 + 基本满意率 ≥ {round_.basic_threshold}% 且 < {round_.positive_threshold}%，且满意率 > 不满意率"),
        ("“不了解”是否计入有效票", unknown),
        ("空白选项", "视为弃权，不计入有效票"),
        ("权重", weighting),
        ("可靠评定的最少有效票", round_.min_valid_answers, "int"),
        ("总体等次", "取两项总体评价（干部选拔任用工作满意度、防治用人不正之风工作满意度）中较低的等次"),
        ("未达标单位", "经调查了解，用人不正之风问题较为严重的，为群众不满意单位；未作调查结论前为“未达标（待调查）”"),
        ("比率与等次", "等次按精确分数判定（如 7999/10000 未达 80%）；表中比率四舍五入显示到 0.1%，仅供阅读"),
        ("排名", "在单位分组内按满意率与基本满意率之和排名，并列者名次相同；综合排名按两项之和的平均"),
        ("分类统计", f"少于 {MIN_CELL} 票的类别合并为“其他”，合并后仍少于 {MIN_CELL} 票的不显示"),
    ]


def _notes(wb, round_, *, user, groups, now):
    scope = "全部单位" if groups is None else "、".join(g.name for g in groups)
    pairs = [
        ("测评轮次", round_.name),
        ("年度", round_.year, "year"),
        ("状态", round_.get_status_display()),
        ("测评时间", f"{timezone.localtime(round_.opens_at):%Y-%m-%d} 至 {timezone.localtime(round_.closes_at):%Y-%m-%d}"),
        ("生成时间", f"{timezone.localtime(now):%Y-%m-%d %H:%M}"),
        ("生成人", actor_name(user)),
        ("单位范围", scope),
        *policy_notes(round_),
        ("封存摘要", round_.seal_digest or "未封存"),
        ("数据来源", "计票表（每张票提交时同步计数，与逐票重新计数一致）"),
    ]
    notes_sheet(wb, "说明", f"{round_.name} 测评结果报表", pairs, footer=round_.name)


def _summary(wb, round_, results, footer):
    columns = [*UNIT_COLUMNS, Column("网上票数", "int"), Column("纸质票数", "int"), Column("合计票数", "int")]
    for kind in HEADLINE_KINDS:
        short = DIMENSION_SHORT[kind]
        columns += [
            Column(f"{short}满意率", "percent"),
            Column(f"{short}基本满意率", "percent"),
            Column(f"{short}不满意率", "percent"),
            Column(f"{short}满意+基本满意", "percent"),
            Column(f"{short}95%区间下限", "percent"),
            Column(f"{short}95%区间上限", "percent"),
            Column(f"{short}等次", "level"),
            Column(f"{short}组内排名", "int"),
        ]
    columns += [
        Column("总体等次", "level"),
        Column("调查结论（最终类别）", "level"),
        Column("综合组内排名", "int"),
        Column("备注", width=30, wrap=True),
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
                remarks.append(f"{DIMENSION_SHORT[kind]}有效票 {d.valid}，少于 {round_.min_valid_answers}，评定仅供参考")
        row += [r.level, r.final, r.ranks.get("overall"), "；".join(remarks)]
        rows.append(row)
    table_sheet(wb, "汇总", columns, rows, footer=footer)


def _dimension(wb, round_, results, kind, footer):
    scale = round_.scale_def
    has_unknown = any(o.grade is Grade.UNKNOWN for o in scale.options)
    columns = [*UNIT_COLUMNS, *(Column(o.label, "int") for o in scale.options)]
    columns += [Column("作答数", "int"), Column("有效票", "int")]
    columns += [Column("满意率", "percent"), Column("基本满意率", "percent"), Column("不满意率", "percent")]
    if has_unknown:
        columns.append(Column("不了解占作答数", "percent"))
    columns += [
        Column("满意+基本满意", "percent"),
        Column("95%区间下限", "percent"),
        Column("95%区间上限", "percent"),
    ]
    if scale.scored:
        columns.append(Column("百分制得分", "decimal"))
    columns += [
        Column("样本不足"),
        Column("等次", "level"),
        Column("调查结论"),
        Column("类别", "level"),
        Column("组内排名", "int"),
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
            "是" if d.valid and d.below_minimum else "",
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
        *UNIT_COLUMNS, Column("题号", "int"), Column("题目", width=40, wrap=True), Column("类型"),
        *(Column(o.label, "int") for o in scale.options),
        Column("作答数", "int"), Column("有效票", "int"), Column("满意+基本满意", "percent"),
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
    table_sheet(wb, "指标明细", columns, rows, footer=footer)


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
        *UNIT_COLUMNS, Column("测评维度"), Column("参评人员类别", width=28),
        Column("作答数", "int"), Column("满意率", "percent"), Column("基本满意率", "percent"),
        Column("不满意率", "percent"), Column("满意+基本满意", "percent"),
        Column("说明", width=36, wrap=True),
    ]
    rows = []

    def add(prefix, item, by_category):
        for row in category_breakdown(by_category, labels, scale, policy):
            d = row.result
            merged = "合并：" + "、".join(row.merged) if row.merged and not row.hidden else ""
            rows.append([
                *prefix, ItemKind(item.kind).label, row.label,
                None if row.hidden else row.answered,
                *([None] * 4 if d is None or not d.valid else [d.satisfied, d.basic, d.dissatisfied, d.positive]),
                HIDDEN_NOTE if row.hidden else merged,
            ])

    for item in headline:
        add(["全部单位合计", "", "本表范围内全部单位"], item, totals.get(item.pk, {}))
    for ru in round_units:
        for item in headline:
            add(unit_cells(ru), item, detail.by_category[(ru.pk, item.pk)])
    table_sheet(wb, "分类统计", columns, rows, footer=footer)


def _opinions(wb, round_units, footer):
    by_id = {ru.pk: ru for ru in round_units}
    columns = [
        Column("分组", width=14), Column("单位代码", width=12), Column("单位名称", width=24),
        Column("意见建议", width=90, wrap=True),
    ]
    rows = (
        [*unit_cells(by_id[ru_id]), opinion]
        for ru_id, opinion in round_opinions(list(by_id)).iterator(chunk_size=2000)
    )
    table_sheet(wb, "意见建议", columns, rows, footer=footer)


def _turnout(wb, round_units, footer):
    columns = [
        *UNIT_COLUMNS, Column("计划样本量", "int"),
        Column("测评码发出", "int"), Column("测评码已使用", "int"), Column("测评码已作废", "int"),
        Column("测评码未使用", "int"), Column("纸质票发出", "int"), Column("纸质票已录入", "int"),
        Column("网上票数", "int"), Column("合计票数", "int"),
        Column("回收率", "percent"), Column("样本完成率", "percent"),
    ]
    rows = []
    for t in round_turnout(round_units):
        ru = t.round_unit
        rows.append([
            *unit_cells(ru), ru.planned_sample, t.codes_issued, t.codes_used, t.codes_void,
            t.codes_unused, ru.paper_forms_issued, ru.paper_ballots, ru.online_ballots,
            t.received, t.rate, t.completion,
        ])
    note = "回收率 = 合计票数 ÷（测评码发出 − 已作废 + 纸质票发出）；样本完成率 = 合计票数 ÷ 计划样本量"
    table_sheet(wb, "回收情况", columns, rows, footer=footer, note=note)


def build_round_report(round_, out, *, user=None, groups=None, now=None):
    """Write the round report for the units in `groups` (None: all) to a path or file."""
    now = now or timezone.now()
    results = round_results(round_, groups=groups)
    round_units = [r.round_unit for r in results.units]
    detail = item_results(round_, round_units)
    footer = f"{round_.name} · 生成于 {timezone.localtime(now):%Y-%m-%d %H:%M}"
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
    return f"{round_.name}-测评结果报表-{now:%Y%m%d}.xlsx"
