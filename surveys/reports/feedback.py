"""Feedback to units (反馈): one workbook per unit, or all of them in a .zip.

What is shared by every unit of a round (the results, the earlier rounds, investigations,
rectifications) is read once into a `FeedbackContext`; each workbook then costs one query
(its opinions).
"""

import zipfile
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sheets.writer import download_name, new_workbook, save, workbook_bytes, write_notes, write_table
from surveys.models import HEADLINE_KINDS, Investigation, ItemKind, Rectification
from surveys.selectors import mean_positive, round_opinions, round_results, unit_history

from .round_report import (
    CONCLUSION_LABELS,
    PENDING_CONCLUSION,
    WEIGHTED_NOTE,
    actor_name,
    conclusion_text,
    policy_notes,
    seal_footer,
    seal_notes,
)
from .workbook import Column, level, rate, score

FEEDBACK_RANKING_NOTE = (
    gettext_lazy("组内排名先按等次（群众满意单位、群众基本满意单位、未达标），同一等次再按满意+基本满意比率排列，"
    "无有效票不排名；比率截尾到 0.1%（不四舍五入）。评定规则详见“说明”")
)


@dataclass
class FeedbackContext:
    round: object
    results: object  # RoundResults within the scope
    units: list  # [UnitResult] to give feedback to: the scope, or one unit of it
    city: object  # RoundResults of the whole round: the 全市平均 is over every unit
    history: list  # [(Round, {unit_id: UnitResult})], oldest first
    investigations: dict  # round_unit_id -> [Investigation]
    rectifications: dict  # unit_id -> [Rectification] of this and earlier rounds
    user: object
    now: object
    policy: list  # the policy in words, read once for every workbook

    def group_members(self, result):
        return [r for r in self.city.units if r.group.pk == result.group.pk]


def feedback_context(round_, *, user=None, groups=None, unit=None, published_only=False, now=None):
    """Everything the feedback workbooks of a round share, read once.

    `groups` is the reader's scope (None: all); `unit` narrows to one unit of it. Ranks and
    averages are always those of the whole group and the whole city.
    """
    results = round_results(round_, groups=groups)
    city = results if groups is None else round_results(round_)
    chosen = [r for r in results.units if unit is None or r.unit.pk == unit.pk]
    units = [r.unit for r in chosen]
    ids = [r.round_unit.pk for r in chosen]
    investigations = defaultdict(list)
    for inv in Investigation.objects.filter(round_unit_id__in=ids).select_related("item"):
        investigations[inv.round_unit_id].append(inv)
    rectifications = defaultdict(list)
    for rect in (
        Rectification.objects.filter(
            round_unit__unit__in=units, round_unit__round__opens_at__lte=round_.opens_at
        )
        .select_related("round_unit__round")
        .order_by("round_unit__round__opens_at", "deadline", "id")
    ):
        rectifications[rect.round_unit.unit_id].append(rect)
    return FeedbackContext(
        round=round_,
        results=results,
        units=chosen,
        city=city,
        history=unit_history(round_, units, published_only=published_only),
        investigations=investigations,
        rectifications=rectifications,
        user=user,
        now=now or timezone.now(),
        policy=policy_notes(round_),
    )


def _results_sheet(wb, ctx, result, footer):
    members = ctx.group_members(result)
    # The rules as sealed (a closed round's row could be edited since; the seal could not).
    scored, weighted = ctx.results.scale.scored, ctx.results.rules.use_weights
    columns = [
        Column(_("测评维度"), width=30), Column(_("作答数"), "int"), Column(_("有效票"), "int"),
        *([Column(_("有效样本量"), "decimal")] if weighted else []),
        Column(_("满意率"), "percent"), Column(_("基本满意率"), "percent"), Column(_("不满意率"), "percent"),
        Column(_("满意+基本满意"), "percent"),
        *([Column(_("百分制得分"), "decimal")] if scored else []),
        Column(_("95%区间下限"), "percent"),
        Column(_("95%区间上限"), "percent"), Column(_("样本不足")), Column(_("等次")), Column(_("调查结论")),
        Column(_("类别")), Column(_("组内排名"), "int"), Column(_("组内单位数"), "int"),
        Column(_("本组平均（满意+基本满意）"), "percent"), Column(_("全市平均（满意+基本满意）"), "percent"),
    ]
    rows = []
    for kind in HEADLINE_KINDS:
        d = result.dimensions[kind]
        low, high = d.interval or (None, None)
        rows.append([
            kind.label, d.answered, d.valid,
            *([score(d.effective) if d.valid else None] if weighted else []),
            *(rate(x) if d.valid else None for x in (d.satisfied, d.basic, d.dissatisfied, d.positive)),
            *([score(d.score) if d.valid else None] if scored else []),
            rate(low), rate(high), _("是") if d.below_minimum else "", level(d.level), conclusion_text(result, kind),
            level(result.dimension_finals[kind]), result.ranks.get(kind), len(members),
            rate(mean_positive(members, kind)), rate(mean_positive(ctx.city.units, kind)),
        ])
    tail = [level(result.level), "", level(result.final), result.ranks.get("overall"), len(members), None, None]
    rows.append([_("总体（两项中较低者）"), *[None] * (len(columns) - 1 - len(tail)), *tail])
    note = [FEEDBACK_RANKING_NOTE] + ([WEIGHTED_NOTE] if weighted else [])
    write_table(wb, _("测评结果"), columns, rows, footer=footer, note=note)


def _trend_sheet(wb, ctx, result, footer):
    columns = [Column(_("测评轮次"), width=30), Column(_("年度"), "year")]
    for kind in HEADLINE_KINDS:
        columns += [Column(_("%(label)s（满意+基本满意）") % {"label": kind.label}, "percent", width=22), Column(_("%(label)s等次") % {"label": kind.label}, width=22)]
    columns += [Column(_("总体等次")), Column(_("类别")), Column(_("综合组内排名"), "int")]
    past = [(r, by_unit.get(result.unit.pk)) for r, by_unit in ctx.history]
    rows = []
    for round_, r in [*past, (ctx.round, result)]:
        if r is None:
            continue  # the unit was not surveyed in that round
        row = [round_.name, round_.year]
        for kind in HEADLINE_KINDS:
            d = r.dimensions[kind]
            row += [rate(d.positive) if d.valid else None, level(d.level)]
        row += [level(r.level), level(r.final), r.ranks.get("overall")]
        rows.append(row)
    write_table(wb, _("历次测评"), columns, rows, footer=footer, key_columns=2)


def _opinions_sheet(wb, result, footer):
    columns = [Column(_("序号"), "int", width=8), Column(_("意见建议"), width=100, wrap=True)]
    rows = (
        [n, opinion]
        for n, (_, opinion) in enumerate(
            round_opinions([result.round_unit.pk]).iterator(chunk_size=2000), start=1
        )
    )
    write_table(wb, _("意见建议"), columns, rows, footer=footer, fit_sample=0, bulk=True)


def _follow_up_sheet(wb, ctx, result, footer):
    columns = [
        Column(_("事项"), width=10), Column(_("测评轮次"), width=26), Column(_("测评维度/期限"), width=28),
        Column(_("结论/状态"), width=30), Column(_("情况/措施"), width=70, wrap=True),
    ]
    rows = []
    for inv in ctx.investigations.get(result.round_unit.pk, []):
        rows.append([
            _("调查"), ctx.round.name, ItemKind(inv.item.kind).label,
            CONCLUSION_LABELS.get(inv.conclusion, inv.conclusion), inv.findings,
        ])
    for kind in HEADLINE_KINDS:
        if conclusion_text(result, kind) == PENDING_CONCLUSION:
            rows.append([_("调查"), ctx.round.name, kind.label, _("待调查"), ""])
    for rect in ctx.rectifications.get(result.unit.pk, []):
        rows.append([
            _("整改"), rect.round_unit.round.name, f"{rect.deadline:%Y-%m-%d}",
            rect.get_status_display(), rect.measures,
        ])
    write_table(wb, _("调查与整改"), columns, rows, footer=footer)


def unit_feedback_workbook(ctx, result):
    """One unit's feedback workbook (sheets.writer Book, not yet closed)."""
    unit = result.unit
    footer = (_("%(unit)s · %(round)s 结果反馈") % {"unit": unit.name, "round": ctx.round.name},
              seal_footer(ctx.results))
    wb = new_workbook()
    pairs = [
        (_("单位"), unit.name),
        (_("单位代码"), unit.code),
        (_("分组"), unit.group.name),
        (_("测评轮次"), ctx.round.name),
        (_("网上票数"), result.round_unit.online_ballots, "int"),
        (_("纸质票数"), result.round_unit.paper_ballots, "int"),
        (_("总体等次"), level(result.level)),
        (_("类别"), level(result.final)),
        (_("综合组内排名"), result.ranks.get("overall"), "int"),
        (_("生成时间"), f"{timezone.localtime(ctx.now):%Y-%m-%d %H:%M}"),
        (_("生成人"), actor_name(ctx.user)),
        *ctx.policy,
        *seal_notes(ctx.results),
    ]
    write_notes(wb, _("说明"), _("%(unit)s %(round)s 测评结果反馈") % {"unit": unit.name, "round": ctx.round.name},
                pairs, footer=footer)
    _results_sheet(wb, ctx, result, footer)
    _trend_sheet(wb, ctx, result, footer)
    _opinions_sheet(wb, result, footer)
    _follow_up_sheet(wb, ctx, result, footer)
    return wb


def build_unit_feedback(ctx, result, out):
    """Write one unit's feedback workbook to a path or file."""
    save(unit_feedback_workbook(ctx, result), out)


def feedback_filename(round_, unit):
    return download_name(round_.name, unit.code, unit.name, _("结果反馈"))


def feedback_zip_filename(round_):
    return download_name(round_.name, _("各单位结果反馈"), ext="zip")


def build_feedback_zip(ctx, out, progress=None):
    """Write every unit's feedback workbook in the context's scope into one .zip."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, result in enumerate(ctx.units, start=1):
            # One unit's workbook is small; it is built in memory and dropped at once.
            data = workbook_bytes(unit_feedback_workbook(ctx, result))
            archive.writestr(feedback_filename(ctx.round, result.unit), data)
            if progress:
                progress(done, len(ctx.units), result.unit.name)
