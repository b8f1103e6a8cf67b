"""Leader dashboards (测评结果): find the round, check the scope, call a selector, render.

Leaders see published rounds; staff also closed ones, and open ones on the live turnout
screen only (no answer or rate is shown while a round is open). A leader limited to some
unit groups sees only those units: other units' pages are 404, as if they did not exist.
"""

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import results_required, visible_groups
from audit.services import audit_record
from credibility.text import series
from surveys import scoring
from surveys.models import HEADLINE_KINDS, ItemKind, RoundUnit
from units.models import UnitKind

from . import charts, dashboards, export

LIVE_REFRESH_SECONDS = 10


class RankingFilterForm(forms.Form):
    """The ranking table's GET parameters; anything invalid falls back to the default."""

    dim = forms.ChoiceField(label=gettext_lazy("测评维度"), choices=[(k.value, k.label) for k in HEADLINE_KINDS], required=False)
    kind = forms.ChoiceField(label=gettext_lazy("单位类别"), choices=[("", gettext_lazy("全部类别")), *UnitKind.choices], required=False)
    group = forms.TypedChoiceField(label=gettext_lazy("单位分组"), coerce=int, required=False, empty_value=None)
    level = forms.ChoiceField(
        label=gettext_lazy("评定结果"),
        choices=[("", gettext_lazy("全部等次")), *((f.value, gettext_lazy(scoring.FINAL_LABELS[f])) for f in dashboards.FINAL_ORDER)],
        required=False,
    )
    sort = forms.ChoiceField(choices=[(k, k) for k in dashboards.SORTS], required=False)
    dir = forms.ChoiceField(choices=[("asc", "asc"), ("desc", "desc")], required=False)

    def __init__(self, data, groups):
        super().__init__(data)
        self.fields["group"].choices = [("", _("全部分组")), *((g.pk, g.name) for g in groups)]

    def choices(self, options):
        """[(name, label, [(value, text, selected)])] for the filter selects."""
        current = {
            "dim": options["dimension"], "kind": options["unit_kind"] or "",
            "group": options["group_id"] or "", "level": options["final"] or "",
        }
        return [
            (name, self.fields[name].label, [(v, t, str(v) == str(current[name])) for v, t in self.fields[name].choices])
            for name in current
        ]

    def options(self):
        data = {}
        if self.is_valid():
            data = self.cleaned_data
        else:  # keep the valid parameters, drop the others
            data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        sort = data.get("sort") or "rank"
        direction = data.get("dir") or ("desc" if sort in dashboards.DESCENDING_FIRST else "asc")
        return {
            "dimension": data.get("dim") or ItemKind.SELECTION.value,
            "unit_kind": data.get("kind") or None,
            "group_id": data.get("group"),
            "final": data.get("level") or None,
            "sort": sort,
            "descending": direction == "desc",
        }


def _result_round(request, pk):
    return get_object_or_404(dashboards.result_rounds(request.user), pk=pk)


def _wants_export(request):
    return request.GET.get("export") == "xlsx"


def _export(request, *, page, filename, title, sheets, round_=None):
    """Send a page's tables as .xlsx; recorded like every report download (全程记实)."""
    groups = visible_groups(request.user)
    audit_record(
        actor=request.user, action="download report", obj=round_, source="web",
        changes={"file": f"dashboard_{page}", "filename": filename,
                 "scope": _("全部单位") if groups is None else [g.name for g in groups]},
    )
    return export.xlsx_response(filename, title, sheets)


@results_required
def index(request):
    return render(
        request,
        "surveys/dashboards/index.html",
        {
            "rounds": dashboards.dashboard_rounds(request.user),
            "result_ids": set(dashboards.result_rounds(request.user).values_list("pk", flat=True)),
        },
    )


@results_required
def round_overview(request, pk):
    round_ = _result_round(request, pk)
    groups = visible_groups(request.user)
    overview = dashboards.round_overview(
        round_, groups=groups,
        previous=dashboards.previous_round(round_, dashboards.result_rounds(request.user)),
    )
    form = RankingFilterForm(request.GET, overview.groups)
    options = form.options()
    tables = dashboards.ranking_tables(overview, **options)
    if _wants_export(request):
        label = ItemKind(options["dimension"]).label
        return _export(request, page="round", round_=round_,
                       filename=_("%(round)s-结果总览.xlsx") % {"round": round_.name},
                       title=_("%(round)s 结果总览（%(dimension)s）") % {"round": round_.name, "dimension": label},
                       sheets=export.overview_sheets(overview, tables, label))
    return render(
        request,
        "surveys/dashboards/round.html",
        {
            "round": round_,
            "overview": overview,
            "filters": form.choices(options),
            "options": options,
            "dimension_label": ItemKind(options["dimension"]).label,
            "tables": tables,
            "scoped": groups is not None,
            "level_chart": charts.level_bars(
                [(f.label, n, f"level-{f.value}") for f, n in overview.finals], title=_("各评定结果的单位数")
            ),
            "rate_chart": charts.rate_bars(
                [
                    (
                        row.result.unit.short_name,
                        row.dimension.positive if row.dimension.valid else None,
                        row.dimension.interval,
                        f"level-{row.dimension.level.value}",
                        "*" if row.dimension.below_minimum and row.dimension.valid else "",
                    )
                    for table in tables
                    for row in table.rows
                ],
                title=_("各单位%(label)s（满意+基本满意）") % {"label": ItemKind(options['dimension']).label},
                goals=[(goal, label) for goal, label in dashboards.GOALS],
            ),
        },
    )


@results_required
def unit_detail(request, pk, unit_pk):
    round_ = _result_round(request, pk)
    groups = visible_groups(request.user)
    round_unit = get_object_or_404(RoundUnit.objects.select_related("unit__group"), round=round_, unit_id=unit_pk)
    unit = round_unit.unit
    if groups is not None and unit.group_id not in {g.pk for g in groups}:
        raise Http404
    q = request.GET.get("q", "").strip()[:50]
    page = dashboards.unit_page(round_, unit, trend_rounds=dashboards.result_rounds(request.user), q=q)
    if _wants_export(request):
        return _export(request, page="unit", round_=round_, filename=f"{round_.name}-{unit.name}.xlsx",
                       title=f"{unit.name} · {round_.name}", sheets=export.unit_sheets(page))
    trend_labels = [str(p.round.year) for p in page.trend]
    trend_chart = charts.line_chart(
        trend_labels,
        [
            (
                kind.label, f"series-{kind.value}",
                [p.result.dimensions[kind].positive if p.result.dimensions[kind].valid else None for p in page.trend],
                [p.result.dimensions[kind].interval for p in page.trend],
            )
            for kind in HEADLINE_KINDS
        ],
        title=_("%(name)s历次测评（满意+基本满意，阴影为95%%置信区间）") % {"name": unit.name},
        goals=dashboards.GOALS,
        y_min=_floor(page.trend),
    )
    return render(
        request,
        "surveys/dashboards/unit.html",
        {
            "round": round_,
            "unit": unit,
            "page": page,
            "q": q,
            "trend_chart": trend_chart,
            "item_charts": [
                (row, charts.stacked_bar(row.segments, title=_("%(text)s：各选项票数") % {"text": row.item.text})) for row in page.items
            ],
            "headline_kinds": HEADLINE_KINDS,
        },
    )


def _floor(trend):
    """Lowest tenth under every rate and interval shown, at most 50%, so the goals show."""
    lows = [
        p.result.dimensions[k].interval[0]
        for p in trend
        for k in HEADLINE_KINDS
        if p.result.dimensions[k].interval
    ]
    return min([0.5, *(int(v * 10) / 10 for v in lows)])


@results_required
def trends(request):
    groups = visible_groups(request.user)
    points = dashboards.city_trends(dashboards.result_rounds(request.user), groups=groups)
    if _wants_export(request):
        return _export(request, page="trends", filename=_("历年走势.xlsx"),
                       title=_("全市历年走势") if groups is None else _("查看范围内历年走势"),
                       sheets=export.trend_sheets(points, dashboards.GOALS))
    # A round not comparable with the others (other rules, too little data) is marked ※.
    labels = [f"{p.round.year}※" if p.flagged else str(p.round.year) for p in points]
    rate_chart = charts.line_chart(
        labels,
        [
            (
                kind.label, f"series-{kind.value}",
                [p.city[kind].positive if p.city[kind].valid else None for p in points],
                [p.city[kind].interval for p in points],
            )
            for kind in HEADLINE_KINDS
        ],
        title=_("全市满意+基本满意比率（汇总全部有效票）"),
        goals=dashboards.GOALS,
        y_min=0.5,
    )
    rule_sets = dashboards.rules_by_round(points)
    rule_boxes = [
        (
            rules,
            _("评定规则（各轮相同）") if len(rule_sets) == 1
            else _("评定规则：") + series(r.name for r in rounds),
        )
        for rules, rounds in rule_sets
    ]
    most = max((p.units for p in points), default=0)
    count_chart = charts.line_chart(
        labels,
        [
            (_("两项均达 %(goal)s") % {"goal": label.split()[-1]}, f"series-goal{i}", [p.reaching["both"][goal] for p in points], None)
            for i, (goal, label) in enumerate(dashboards.GOALS)
        ],
        title=_("两项满意度均达到目标线的单位数"),
        goals=[(most, _("全部 %(most)s 个单位") % {"most": most})] if most else (),
        y_min=0,
        y_max=max(most, 1),
        percent=False,
        height=260,
    )
    return render(
        request,
        "surveys/dashboards/trends.html",
        {
            "points": points,
            "flagged": [p for p in points if p.flagged],
            "goals": dashboards.GOALS,
            "headline_kinds": HEADLINE_KINDS,
            "rate_chart": rate_chart,
            "count_chart": count_chart,
            "scoped": groups is not None,
            "scope_names": [g.name for g in groups] if groups is not None else [],
            "rule_boxes": rule_boxes,
        },
    )


@results_required
def live(request, pk):
    """The wall screen: pages of units that turn by themselves (JavaScript), or, without it,
    `?page=N` with links and a refresh that moves on to the next page."""
    round_ = get_object_or_404(dashboards.live_rounds(request.user), pk=pk)
    scope = visible_groups(request.user)
    groups = dashboards.live_turnout(round_, groups=scope)
    turnouts = [t for g in groups for t in g.turnouts]
    pages = dashboards.live_pages(groups)
    try:
        current = min(max(int(request.GET.get("page", 1)), 1), len(pages))
    except ValueError:
        current = 1
    return render(
        request,
        "surveys/dashboards/live.html",
        {
            "round": round_,
            "pages": pages,
            "current": current,
            "next_page": current % len(pages) + 1,
            "units": len(turnouts),
            "received": sum(t.received for t in turnouts),
            "issued": sum(t.issued for t in turnouts),
            "planned": sum(t.round_unit.planned_sample for t in turnouts),
            "refresh": LIVE_REFRESH_SECONDS,
            "scoped": scope is not None,
        },
    )
