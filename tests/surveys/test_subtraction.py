"""Suppressed category cells stay suppressed: every subtraction tried, across every page and file.

A cell is one respondent category in one unit (its answers per option, per headline
dimension). A cell with fewer than 5 answers is never shown on its own; these tests check
that no arithmetic on what is shown brings one back:

- the subtractions a reader would try: a unit's totals less its shown category rows, a
  category's all-units total less the units' shown cells, and chains of them (a cell found
  by one subtraction used in the next), with the real figures read back from the pages and
  the files;
- every linear combination of the published sums (a cell is determined exactly when its
  indicator vector lies in the row space of the published sums, checked by exact Gaussian
  elimination).

The reader is assumed to know which cells are non-empty (the worst case: the labels of the
其他 rows tell part of it). A unit whose answers all come from one category has only that
cell, equal to its own totals: there is nothing to hide, and it is left out of the check.

The same checks run with the old rule (small cells merged, nothing else) to show they find
cells when suppression does not hold.
"""

import io
import math
import random
import re
import zipfile
from collections import defaultdict
from fractions import Fraction

import openpyxl
import pytest
from django.urls import reverse

from surveys import breakdowns
from surveys.ballots import ballot_submit, ballots_mix
from surveys.breakdowns import MIN_CELL, OTHER_LABEL, suppress
from surveys.models import HEADLINE_KINDS, Channel, ItemKind, RespondentCategory, Round, RoundStatus
from surveys.reports.feedback import build_feedback_zip, feedback_context
from surveys.reports.raw_export import BallotRows, write_ballots_xlsx
from surveys.reports.round_report import build_round_report
from tests import factories

# --- the auditor: which hidden cells follow from the published sums -------------------------


def determined(variables, sums):
    """Variables (hidden cells) fixed by the published sums, by exact Gaussian elimination.

    `sums` is a list of sets of variables whose total is published (known cells already
    subtracted). A variable is determined when its indicator vector is a combination of the
    sums' indicator vectors.
    """
    index = {v: i for i, v in enumerate(sorted(variables, key=repr))}
    pivots = {}  # pivot column -> reduced row (dict column -> Fraction)
    for cells in sums:
        row = {index[c]: Fraction(1) for c in cells if c in index}
        for col in sorted(pivots):
            if col in row:
                factor = row[col]
                for k, v in pivots[col].items():
                    row[k] = row.get(k, 0) - factor * v
                row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        col = min(row)
        lead = row[col]
        row = {k: v / lead for k, v in row.items()}
        for other in pivots.values():  # keep the basis fully reduced
            if col in other:
                factor = other[col]
                for k, v in row.items():
                    other[k] = other.get(k, 0) - factor * v
                for k in [k for k, v in other.items() if not v]:
                    del other[k]
        pivots[col] = row
    found = set()
    for v, i in index.items():
        target = {i: Fraction(1)}
        for col in sorted(pivots):
            if col in target:
                factor = target[col]
                for k, val in pivots[col].items():
                    target[k] = target.get(k, 0) - factor * val
                target = {k: val for k, val in target.items() if val}
        if not target:
            found.add(v)
    return found


def peel(known, sums):
    """The subtractions a reader tries, chained: a published sum less its known cells that
    leaves one unknown cell gives that cell; repeat until nothing new. `sums` is a list of
    (cells, value); `known` maps cell -> value. Returns {cell: value} newly found."""
    known = dict(known)
    found = {}
    progress = True
    while progress:
        progress = False
        for cells, value in sums:
            unknown = [c for c in cells if c not in known]
            if len(unknown) == 1:
                cell = unknown[0]
                rest = [known[c] for c in cells if c in known]
                known[cell] = found[cell] = tuple(
                    v - sum(r[i] for r in rest) for i, v in enumerate(value)
                )
                progress = True
    return found


def structural_leaks(cells, pattern):
    """Hidden cells determined by the sums a round with `pattern` publishes (pure check)."""
    by_unit = defaultdict(set)
    for unit, category in cells:
        by_unit[unit].add(category)
    hidden = {cell for cell in pattern.hidden if len(by_unit[cell[0]]) > 1}
    sums = [{(unit, c) for c in categories} & hidden for unit, categories in by_unit.items()]
    for category in {c for _, c in cells} - set(pattern.hidden_totals):
        sums.append({(u, c) for u, c in hidden if c == category})
    sums.append({(u, c) for u, c in hidden if c in pattern.hidden_totals})
    return determined(hidden, [s for s in sums if s])


def old_rule(cells, *, min_cell=MIN_CELL):
    """What the product did before: merge the small cells and nothing else."""
    small = {key for key, n in cells.items() if any(0 < x < min_cell for x in breakdowns._sizes(n))}
    totals = defaultdict(int)
    for (_, category), n in cells.items():
        totals[category] += max(breakdowns._sizes(n))
    return breakdowns.Suppression(
        frozenset(small), frozenset(c for c, n in totals.items() if 0 < n < min_cell),
        frozenset(u for u, _ in cells),
    )


def random_cells(seed, units=24, categories=7, groups=4):
    rng = random.Random(seed)
    sizes = [0, 0, 1, 2, 3, 4, 5, 7, 9, 14, 25]
    cells = {}
    for u in range(units):
        for c in range(categories):
            n = rng.choice(sizes)
            if n:
                # A headline item now and then left blank on paper: the dimensions differ.
                cells[(u, c)] = (n, max(0, n - rng.choice([0, 0, 0, 1])))
    return cells


# --- the pattern alone ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_no_merged_cell_follows_from_the_published_sums(seed):
    cells = random_cells(seed)
    pattern = suppress(cells)
    assert structural_leaks(cells, pattern) == set()
    small = {key for key, n in cells.items() if any(0 < x < MIN_CELL for x in n)}
    assert small <= pattern.hidden
    for unit in {u for u, _ in cells}:
        merged = pattern.merged(unit)
        present = {c for u, c in cells if u == unit}
        if merged and merged != present:  # a 其他 row is shown: two categories, 5 answers each
            assert len(merged) >= 2
            for i in range(2):
                total = sum(cells[(unit, c)][i] for c in merged)
                assert total == 0 or total >= MIN_CELL


def test_the_old_rule_leaks_and_the_audit_finds_it():
    leaking = [seed for seed in range(12) if structural_leaks(random_cells(seed), old_rule(random_cells(seed)))]
    assert len(leaking) >= 8, leaking


def test_a_category_small_in_the_whole_round_is_merged_with_a_complement():
    cells = {(1, "党代表"): 3, (1, "群众"): 20, (2, "群众"): 30, (2, "领导干部"): 12, (1, "领导干部"): 9}
    pattern = suppress(cells)
    assert "党代表" in pattern.hidden_totals and len(pattern.hidden_totals) >= 2
    assert structural_leaks(cells, pattern) == set()


def test_one_unit_in_a_category_cannot_be_left_alone_in_its_column():
    # 党代表 is small in unit 1 only; unit 1's 其他 = {党代表, 领导干部}. The 领导干部 total less
    # unit 2's shown 领导干部 cell would give unit 1's, and 其他 less that gives 党代表: so
    # unit 2 must merge 领导干部 too (with a complement of its own).
    cells = {
        (1, "党代表"): 2, (1, "领导干部"): 8, (1, "群众"): 30,
        (2, "领导干部"): 9, (2, "群众"): 40, (2, "党代表"): 6,
    }
    pattern = suppress(cells)
    assert structural_leaks(cells, pattern) == set()
    assert (2, "领导干部") in pattern.hidden or "领导干部" in pattern.hidden_totals
    assert structural_leaks(cells, old_rule(cells))


def test_the_same_cells_give_the_same_pattern():
    cells = random_cells(3)
    assert suppress(cells) == suppress(dict(reversed(list(cells.items()))))


def test_the_subtractions_with_figures_recover_what_the_old_rule_hid():
    cells = {(1, "党代表"): (2,), (1, "群众"): (30,), (2, "群众"): (12,)}
    old = old_rule(cells)
    known = {c: v for c, v in cells.items() if c not in old.hidden}
    unit_totals = [({(1, "党代表"), (1, "群众")}, (32,))]
    assert peel(known, unit_totals) == {(1, "党代表"): (2,)}


# --- a round, its pages and its files ---------------------------------------------------------

GROUPS = {"主城区": 5, "远郊区": 4, "党群部门": 4}
SIZES = [0, 0, 1, 2, 3, 4, 6, 9, 12, 20]


@pytest.fixture
def season(db):
    """A published round like the demo's, with many small categories, cast through ballot_submit."""
    from units.models import UnitKind

    rng = random.Random(2025)
    units = []
    for order, (name, size) in enumerate(GROUPS.items(), start=1):
        kind = UnitKind.DEPARTMENT if name == "党群部门" else UnitKind.DISTRICT
        group = factories.group(name, kind, order)
        units += [factories.unit(f"{name}{i}", group) for i in range(1, size + 1)]
    r = factories.round_(units, year=2025)
    categories = list(RespondentCategory.objects.order_by("order"))
    items = {kind: factories.headline(r, kind) for kind in HEADLINE_KINDS}
    sub = r.items.filter(kind=ItemKind.SUB).first()
    for ru in r.round_units.all():
        for category in categories:
            for _ in range(rng.choice(SIZES)):
                answers = {item.pk: rng.choice([1, 1, 1, 2, 2, 3, 4]) for item in items.values()}
                if sub is not None:
                    answers[sub.pk] = rng.choice([1, 2, 3, None])
                ballot_submit(round_unit=ru, category=category, channel=Channel.ONLINE, answers=answers)
    ballots_mix(round_=r, minimum=1)  # counted, as the close would
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.PUBLISHED)
    r.refresh_from_db()
    return r


def truth(r):
    """{(unit code, category name): {dimension: (answered, n1, n2, n3, n4)}} from the tallies."""
    from surveys.models import Tally

    cells = defaultdict(lambda: {kind: [0] * 5 for kind in HEADLINE_KINDS})
    for code, name, kind, option, n in Tally.objects.filter(
        round_unit__round=r, item__kind__in=HEADLINE_KINDS, count__gt=0,
    ).values_list("round_unit__unit__code", "category__name", "item__kind", "option", "count"):
        vector = cells[(code, name)][kind]
        vector[0] += n
        vector[option] += n
    return {cell: {k: tuple(v) for k, v in by_kind.items()} for cell, by_kind in cells.items()}


def counts_from_rates(answered, thousandths):
    """Counts per option from an answer count and rates cut at 0.1% (exact for n <= 1000)."""
    s, b, d = (math.ceil(Fraction(t * answered, 1000)) for t in thousandths)
    return (answered, s, b, d, answered - s - b - d)


class Published:
    """Everything shown about the cells, as (cells, dimension, vector) sums."""

    def __init__(self, codes, names):
        self.codes, self.names = codes, names
        self.sums = []
        self.sources = defaultdict(int)  # where the sums came from, to check each was read
        self.source = ""

    def add(self, cells, kind, vector):
        self.sums.append((frozenset(cells), kind, tuple(vector)))
        self.sources[(self.source, len(cells) == 1)] += 1

    def unit_cells(self, code):
        return {(code, name) for name in self.names}

    def category_cells(self, names):
        return {(code, name) for code in self.codes for name in names}


def read_unit_page(published, html, code):
    section = html.split('id="category-heading"')[1].split("</section>")[0]
    for kind, part in zip(HEADLINE_KINDS, section.split('<h3 class="h6">')[1:]):
        assert part.startswith(str(kind.label))
        for members, body in re.findall(r'<tr data-category="([^"]*)">(.*?)</tr>', part, re.S):
            answered = int(re.search(r"data-answered>(\d+)<", body).group(1))
            rates = [int(x.replace(".", "")) for x in re.findall(r">(\d+\.\d)%<", body)][:3]
            published.add({(code, m) for m in members.split("、")}, kind, counts_from_rates(answered, rates))


def read_report(published, wb, names):
    rows = list(wb["分类统计"].iter_rows(values_only=True))
    h = {name: i for i, name in enumerate(rows[0])}
    kinds = {k.label: k for k in HEADLINE_KINDS}
    for row in rows[1:]:
        if row[h["作答数"]] is None:
            continue  # hidden rows, the blank line and the note under the table
        kind = kinds[row[h["测评维度"]]]
        label, note = row[h["参评人员类别"]], row[h["说明"]] or ""
        members = note.removeprefix("合并：").split("、") if label == OTHER_LABEL else [label]
        rates = [round(row[h[c]] * 1000) for c in ("满意率", "基本满意率", "不满意率")]
        vector = counts_from_rates(row[h["作答数"]], rates)
        if row[h["分组"]] == "全部单位合计":
            published.add(published.category_cells(members), kind, vector)
        else:
            published.add({(row[h["单位代码"]], m) for m in members}, kind, vector)
    for kind in HEADLINE_KINDS:  # the units' totals per option
        rows = list(wb[kind.label].iter_rows(values_only=True))
        h = {name: i for i, name in enumerate(rows[0])}
        for row in rows[1:]:
            if row[h["单位代码"]] is None:
                break
            counts = [row[h[o]] for o in ("满意", "基本满意", "不满意", "不了解")]
            published.add(published.unit_cells(row[h["单位代码"]]), kind, [row[h["作答数"]], *counts])


def read_feedback(published, archive, codes_by_name):
    for name in archive.namelist():
        wb = openpyxl.load_workbook(io.BytesIO(archive.read(name)))
        code = wb["说明"]["B4"].value
        rows = list(wb["测评结果"].iter_rows(values_only=True))
        h = {label: i for i, label in enumerate(rows[0])}
        for row, kind in zip(rows[1:], HEADLINE_KINDS):
            assert row[h["测评维度"]] == kind.label
            rates = [round(row[h[c]] * 1000) for c in ("满意率", "基本满意率", "不满意率")]
            published.add(published.unit_cells(code), kind, counts_from_rates(row[h["作答数"]], rates))


def read_raw(published, wb, headline_texts):
    rows = list(wb["原始票"].iter_rows(values_only=True))
    h = {label: i for i, label in enumerate(rows[0])}
    columns = {kind: next(i for label, i in h.items() if label.endswith(text)) for kind, text in headline_texts.items()}
    groups = defaultdict(lambda: {kind: [0] * 5 for kind in HEADLINE_KINDS})
    labels = {"满意": 1, "基本满意": 2, "不满意": 3, "不了解": 4}
    for row in rows[1:]:
        for kind, col in columns.items():
            if row[col] is not None:
                vector = groups[(row[h["单位代码"]], row[h["参评人员类别"]])][kind]
                vector[0] += 1
                vector[labels[row[col]]] += 1
    named = defaultdict(set)
    for code, label in groups:
        if label != OTHER_LABEL:
            named[code].add(label)
    for (code, label), by_kind in groups.items():
        # 其他 in the raw rows: every category of the unit not named in them.
        cells = {(code, label)} if label != OTHER_LABEL else published.unit_cells(code) - {(code, n) for n in named[code]}
        for kind, vector in by_kind.items():
            published.add(cells, kind, vector)


def publish_everything(r, client):
    """Read back every page and file of the round that shows answers by category or in total."""
    codes = list(r.round_units.order_by("unit__code").values_list("unit__code", flat=True))
    names = list(RespondentCategory.objects.values_list("name", flat=True))
    published = Published(codes, names)
    client.force_login(factories.leader())
    published.source = "unit page"
    for ru in r.round_units.select_related("unit"):
        html = client.get(reverse("dashboards:unit", args=[r.pk, ru.unit.pk])).content.decode()
        read_unit_page(published, html, ru.unit.code)
    for groups in (None, [r.round_units.first().unit.group]):
        published.source = "round report" if groups is None else "round report, one group"
        out = io.BytesIO()
        build_round_report(r, out, groups=groups)
        out.seek(0)
        read_report(published, openpyxl.load_workbook(out), names)
    published.source = "feedback"
    out = io.BytesIO()
    build_feedback_zip(feedback_context(r), out)
    with zipfile.ZipFile(out) as archive:
        read_feedback(published, archive, None)
    published.source = "raw ballots"
    out = io.BytesIO()
    round_units = list(r.round_units.select_related("unit"))
    write_ballots_xlsx(BallotRows(r, round_units), out)
    out.seek(0)
    texts = {kind: factories.headline(r, kind).text for kind in HEADLINE_KINDS}
    read_raw(published, openpyxl.load_workbook(out), texts)
    return published


def attack(r, published):
    """(cells recovered by chained subtraction, cells determined by any combination, hidden)."""
    cells = truth(r)
    by_unit = defaultdict(set)
    for code, name in cells:
        by_unit[code].add(name)
    # What the reader has for each cell shown on its own, and which are hidden.
    shown = {}
    for cell_set, kind, vector in published.sums:
        live = [c for c in cell_set if c in cells]
        if len(live) == 1 and len(cell_set) == 1:
            shown.setdefault(live[0], {})[kind] = vector
    hidden = {c for c in cells if c not in shown and len(by_unit[c[0]]) > 1}
    # Every figure shown for a cell on its own is the truth (the reading is right).
    for cell, by_kind in shown.items():
        for kind, vector in by_kind.items():
            assert vector[: len(cells[cell][kind])] == cells[cell][kind][: len(vector)], cell
    recovered = {}
    for kind in HEADLINE_KINDS:
        known = {c: cells[c][kind] for c in cells if c not in hidden}
        sums = [
            ([c for c in cell_set if c in cells], vector)
            for cell_set, k, vector in published.sums
            if k == kind
        ]
        for cell, value in peel(known, sums).items():
            assert value == cells[cell][kind][: len(value)]  # the subtraction is right
            recovered[cell] = value
    variables = hidden
    structural = [{c for c in cell_set if c in variables} for cell_set, _, _ in published.sums]
    return recovered, determined(variables, [s for s in structural if s]), hidden


@pytest.mark.django_db
def test_no_subtraction_across_pages_and_files_gives_back_a_hidden_cell(season, client):
    published = publish_everything(season, client)
    recovered, determined_cells, hidden = attack(season, published)
    cells = truth(season)
    small = {c for c, by_kind in cells.items() if any(0 < v[0] < MIN_CELL for v in by_kind.values())}
    by_unit = defaultdict(set)
    for code, name in cells:
        by_unit[code].add(name)
    assert len([c for c in small if len(by_unit[c[0]]) > 1]) >= 10  # the round has many small cells
    assert small - {c for c in small if len(by_unit[c[0]]) == 1} <= hidden
    sources = published.sources
    for source in ("unit page", "round report", "round report, one group", "raw ballots"):
        assert sources[(source, True)] and sources[(source, False)], source  # cells and sums read
    assert sources[("feedback", False)] == 2 * len(published.codes)
    assert recovered == {}
    assert determined_cells == set()


@pytest.mark.django_db
def test_the_same_attack_breaks_the_old_rule(season, client, monkeypatch):
    monkeypatch.setattr(breakdowns, "suppress", old_rule)
    published = publish_everything(season, client)
    recovered, determined_cells, hidden = attack(season, published)
    assert recovered and set(recovered) <= determined_cells <= hidden
