"""Paper ballots from a spreadsheet: the per-round template, and checking a whole file.

The file is read by `sheets.reader` (the one safe reader: any file, bounded time and memory),
sheet 纸质票 by name or else the first, headers by name in any order, extra columns refused
by name. Every bad cell is reported by row, column letter, header and value, identical
problems grouped, so staff fix the file once instead of importing it half.

A checked file becomes a `PaperFile`: its ballots as plain values, and a digest of its
content that does not depend on the bytes of the file (a sheet saved again, re-sorted, or
typed with option numbers instead of labels has the same digest), so the same stack of
ballots cannot be counted twice by mistake (docs/spreadsheets.md, "Paper ballots").
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from credibility.text import series
from sheets.reader import Column, SheetRefused, read_table
from sheets.text import fold, shorten
from sheets.writer import Column as Out
from sheets.writer import new_workbook, write_notes, write_table
from surveys.ballots import OPINION_MAX_LENGTH
from surveys.models import ItemKind

# The Chinese names are what the reader always accepts; a template downloaded in another
# language writes the translated names, which are accepted too (see RoundSheet.columns).
SHEET = gettext_noop("纸质票")
NOTES_SHEET = gettext_noop("填写说明")
UNITS_SHEET = gettext_noop("参评单位")
UNIT_HEADER = gettext_noop("单位代码")
CATEGORY_HEADER = gettext_noop("参评人员类别")
OPINION_HEADER = gettext_noop("意见建议")


def _names(chinese, *aliases):
    """The header as written now (translated) and every other name it may have."""
    shown = _(chinese)
    return shown, tuple(dict.fromkeys(n for n in (chinese, *aliases) if n != shown))
TEMPLATE_INPUT_ROWS = 2000  # blank rows of the template that the drop-down lists cover


class ImportRefused(SheetRefused):
    """The file cannot be imported; `messages` says why, every problem of it."""

    @property
    def errors(self):
        return self.messages


@dataclass(frozen=True)
class Ballot:
    """One row of a checked file: a paper ballot as plain values."""

    round_unit: int  # RoundUnit pk
    category: int  # RespondentCategory pk
    answers: tuple  # ((item pk, option value), ...) by item pk; blanks left out
    opinion: str

    def key(self):
        return [self.round_unit, self.category, [list(a) for a in self.answers], self.opinion]

    @classmethod
    def from_key(cls, key):
        round_unit, category, answers, opinion = key
        return cls(round_unit, category, tuple(tuple(a) for a in answers), opinion)


@dataclass
class PaperFile:
    ballots: list  # [Ballot], sorted by content (the file's order is not kept)
    digest: str  # SHA-256 of the content, see content_digest
    per_unit: dict  # RoundUnit pk -> number of ballots

    def __len__(self):
        return len(self.ballots)


def content_digest(ballots, unit_codes):
    """SHA-256 over the ballots as values, sorted: the same for the same stack of ballots.

    Units by code and options by value, so a file saved again, sorted differently, or typed
    with option numbers instead of labels has the same digest; the bytes of the file do not
    matter.
    """
    lines = sorted(
        json.dumps([unit_codes[b.round_unit], b.category, [list(a) for a in b.answers], b.opinion],
                   ensure_ascii=False, separators=(",", ":"))
        for b in ballots
    )
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


# --- what the round asks -----------------------------------------------------------------


class RoundSheet:
    """The columns of a round's paper sheet and how to read each cell."""

    def __init__(self, round_):
        self.round = round_
        self.items = list(round_.items.rated().order_by("order", "pk"))
        self.has_opinion = round_.items.filter(kind=ItemKind.OPINION).exists()
        self.round_units = list(round_.round_units.select_related("unit", "unit__group").order_by(
            "unit__group__order", "unit__order", "unit__code"))
        self.categories = [rc.category for rc in round_.round_categories.select_related("category")
                           .order_by("category__order", "category__name")]
        self.scale = round_.scale_def
        self.units = {ru.unit.code: ru for ru in self.round_units}
        self.units_folded = {}
        for ru in self.round_units:
            self.units_folded.setdefault(fold(ru.unit.code), ru)
        self.category_map = {}
        for number, category in enumerate(self.categories, start=1):
            self.category_map.setdefault(fold(category.name), category)
            self.category_map.setdefault(str(number), category)
        self.option_map = {}
        for option in self.scale.options:
            self.option_map.setdefault(fold(option.label), option.value)
            self.option_map.setdefault(str(option.value), option.value)

    def columns(self):
        """The reader's columns. Every item column must be there; a blank cell is an abstention
        (a required item's blank is reported by `check`, with its own message)."""
        unit, unit_aliases = _names(UNIT_HEADER, "代码")
        category, category_aliases = _names(CATEGORY_HEADER, "类别", "人员类别")
        cols = [
            Column(unit, key="unit", aliases=unit_aliases),
            Column(category, key="category", aliases=category_aliases),
            *(Column(item.text, key=f"item{item.pk}", blank=True) for item in self.items),
        ]
        if self.has_opinion:
            opinion, opinion_aliases = _names(OPINION_HEADER, "意见", "意见和建议")
            cols.append(Column(opinion, key="opinion", required=False, default="", nfkc=False,
                               max_length=OPINION_MAX_LENGTH, aliases=opinion_aliases))
        return cols

    def options_hint(self):
        return _("可填：%(labels)s，或序号 1–%(n)s。") % {
            "labels": series(o.label for o in self.scale.options), "n": len(self.scale.options)}

    def categories_hint(self):
        return _("可填：%(names)s（名称或序号）。") % {
            "names": series(f"{n} {c.name}" for n, c in enumerate(self.categories, 1))}

    def unit(self, code):
        return self.units.get(code) or self.units_folded.get(fold(code))


def columns(round_):
    """[(header, item or a marker)] in template order."""
    sheet = RoundSheet(round_)
    cols = [(_(UNIT_HEADER), "unit"), (_(CATEGORY_HEADER), "category")]
    cols += [(item.text, item) for item in sheet.items]
    if sheet.has_opinion:
        cols.append((_(OPINION_HEADER), "opinion"))
    return cols


# --- the template ------------------------------------------------------------------------


def template_workbook(round_):
    """The round's import template: sheet 纸质票 (header, drop-down lists), 填写说明, 参评单位.

    Everything users typed (round, unit and category names, item texts) is written as text
    that no spreadsheet runs as a formula (sheets.writer), the notes included.
    """
    sheet = RoundSheet(round_)
    labels = [o.label for o in sheet.scale.options]
    out = [
        Out(_(UNIT_HEADER), width=12, choices=[ru.unit.code for ru in sheet.round_units] or None, strict=False),
        Out(_(CATEGORY_HEADER), width=14, choices=[c.name for c in sheet.categories] or None, strict=False),
        *(Out(item.text, choices=labels, strict=False) for item in sheet.items),
    ]
    if sheet.has_opinion:
        out.append(Out(_(OPINION_HEADER), width=40, wrap=True))
    book = new_workbook()
    footer = _("%(round)s 纸质票") % {"round": round_.name}
    write_table(book, _(SHEET), out, [], footer=footer, key_columns=2, input_rows=TEMPLATE_INPUT_ROWS)
    write_notes(book, _(NOTES_SHEET), _("%(round)s：纸质票导入说明") % {"round": round_.name},
                _notes(sheet), footer=footer)
    write_table(
        book, _(UNITS_SHEET), [Out(_("单位代码"), width=12), Out(_("单位名称")), Out(_("分组"))],
        ([ru.unit.code, ru.unit.name, ru.unit.group.name] for ru in sheet.round_units),
        footer=footer, key_columns=1,
    )
    return book


def _notes(sheet):
    required = series(i.text for i in sheet.items if i.required)
    pairs = [
        (_("用法"), _("在“%(sheet)s”工作表中每行录入一张纸质票。表头按名称识别，列的顺序可以调整，"
                    "但不能增删列。") % {"sheet": _(SHEET)}),
        (_(UNIT_HEADER), _("必填。本轮参评单位的代码，见“%(sheet)s”工作表。") % {"sheet": _(UNITS_SHEET)}),
        (_(CATEGORY_HEADER), _("必填。") + sheet.categories_hint()),
        (_("选项"), sheet.options_hint()),
        (_("必答题"), _("%(items)s：不能空白。") % {"items": required} if required else _("无。")),
        (_("空白"), _("其余各题空白视为弃权，不计入该题的有效票。")),
    ]
    if sheet.has_opinion:
        pairs.append((_(OPINION_HEADER), _("可空，最多 %(n)s 字。") % {"n": OPINION_MAX_LENGTH}))
    pairs += [
        (_("发出票数"), _("导入前先在各单位页面登记发出票数：每个单位收回的纸质票不能超过发出的。")),
        (_("全部或不导入"), _("系统先检查整个文件；只要有一处错误，就一张也不导入，并列出每个出错的单元格。")),
        (_("不重复计票"), _("内容相同的文件（即使重新保存或换了行的顺序）不能再次导入，除非工作人员写明理由后确认。")),
    ]
    return pairs


# --- checking a file ---------------------------------------------------------------------


def parse(round_, upload):
    """Check a whole file; return its PaperFile, or raise ImportRefused listing every problem.

    Cell by cell: the reader's own checks (formulas, dates, merged cells, lengths), then the
    round's: the unit code, the category (name or number), each option (label or number),
    the required items. 收回 ≤ 发出 is checked apart (`over_issued`), after the duplicate check.
    """
    sheet = RoundSheet(round_)
    try:
        table = read_table(upload, sheet.columns(), sheet=SHEET)
    except SheetRefused as refusal:
        raise ImportRefused(refusal.messages) from None
    ballots = []
    required = {f"item{i.pk}" for i in sheet.items if i.required}
    letters = {key: where[0] for key, where in table.positions.items()}
    # Cells the reader already reported (a formula, a date, a merged cell): not "blank" again.
    reported = {(e.row, e.column) for e in table.errors}
    for row in table.rows:
        round_unit = None
        code = row.get("unit")
        if code:
            round_unit = sheet.unit(code)
            if round_unit is None:
                table.error(row, "unit", _("“%(value)s”不是本轮参评单位的代码。本轮各单位的代码见模板的"
                                           "“%(sheet)s”工作表。") % {"value": shorten(code), "sheet": _(UNITS_SHEET)},
                            code)
        category = None
        name = row.get("category")
        if name:
            category = sheet.category_map.get(fold(name))
            if category is None:
                table.error(row, "category", _("“%(value)s”不是本轮的参评人员类别。") % {"value": shorten(name)}
                            + sheet.categories_hint(), name)
        answers, bad = [], False
        for item in sheet.items:
            key = f"item{item.pk}"
            value = row.get(key)
            if value is None or value == "":
                if key in required and (row.number, letters.get(key)) not in reported:
                    table.error(row, key, _("必答题，不能为空。"))
                continue
            option = sheet.option_map.get(fold(value))
            if option is None:
                table.error(row, key, _("“%(value)s”不是有效选项。") % {"value": shorten(value)}
                            + sheet.options_hint(), value)
                bad = True
                continue
            answers.append((item.pk, option))
        if round_unit is None or category is None or bad:
            continue
        ballots.append(Ballot(round_unit.pk, category.pk, tuple(sorted(answers)), row.get("opinion") or ""))
    if table.errors:
        raise ImportRefused(table.messages())
    codes = {ru.pk: ru.unit.code for ru in sheet.round_units}
    ballots.sort(key=Ballot.key)
    return PaperFile(ballots, content_digest(ballots, codes), dict(Counter(b.round_unit for b in ballots)))


def over_issued(round_, paper):
    """收回 ≤ 发出: one line per unit whose ballots in the file would pass its forms handed out.

    Read now, for the message; `ballot_submit` checks it again, under lock, for each ballot.
    """
    problems = []
    for round_unit in round_.round_units.select_related("unit").order_by("unit__code"):
        n = paper.per_unit.get(round_unit.pk, 0)
        if n and round_unit.paper_ballots + n > round_unit.paper_forms_issued:
            problems.append(_(
                "%(unit)s（%(code)s）：文件中有 %(n)s 张，已录入 %(keyed)s 张，合计超过发出票数 "
                "%(issued)s（收回数不能超过发出数）。请先在该单位页面登记发出票数。"
            ) % {"unit": round_unit.unit.name, "code": round_unit.unit.code, "n": f"{n:,}",
                 "keyed": f"{round_unit.paper_ballots:,}", "issued": f"{round_unit.paper_forms_issued:,}"})
    return problems
