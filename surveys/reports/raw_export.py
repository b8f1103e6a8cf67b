"""The raw ballot export (原始票): every ballot of a round, anonymized.

A row holds what the ballot holds and nothing more (unit, respondent category, channel, day,
one answer per item, the opinion); never the ballot's id, so rows cannot be matched with
anything else. The category is the one the round's breakdowns show: a category merged into
其他 there (`breakdowns.suppress`) is 其他 here as well. Rows are in an order that carries no
information: by unit, then by content (category as shown, channel, day, the answers in
questionnaire order, the opinion), never by id, which would follow the order ballots were
counted in. Sorting by content needs a unit's ballots together: they are read unit by unit (two
queries each, through a database cursor), so memory follows the largest unit, not the round.
"""

import csv
from collections import defaultdict
from itertools import islice

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.breakdowns import OTHER_LABEL
from surveys.models import Answer, Ballot, Channel, RespondentCategory
from surveys.selectors import round_suppression

from .workbook import EXCEL_MAX_ROWS, Column, new_workbook, safe_text, table_sheet

CHUNK_SIZE = 2000
SHEET_TITLE = gettext_lazy("原始票")


def _chunk_size(requested):
    # SQLite refuses more than 999 parameters in one query on older builds.
    limit = connection.features.max_query_params or requested
    return max(1, min(requested, limit - 1))


class BallotRows:
    """Headers and rows of a round's ballots within a scope of round units."""

    def __init__(self, round_, round_units, *, chunk_size=CHUNK_SIZE):
        self.round = round_
        self.round_units = {ru.pk: ru for ru in round_units}
        self.items = list(round_.items.rated().order_by("order", "id"))
        self.scale = round_.scale_def
        self.chunk_size = _chunk_size(chunk_size)
        self.categories = dict(RespondentCategory.objects.values_list("pk", "name"))
        # A ballot of a category merged in the round's breakdowns reads 其他 here too:
        # counting rows per category would otherwise give back every suppressed cell.
        self.merged = round_suppression(round_).hidden
        self.channels = {value: str(label) for value, label in Channel.choices}
        self.labels = {o.value: o.label for o in self.scale.options}
        self.written = 0

    @property
    def headers(self):
        items = [f"{n}. {item.text}" for n, item in enumerate(self.items, start=1)]
        return [_("单位代码"), _("单位名称"), _("参评人员类别"), _("渠道"), _("日期"), *items, _("意见建议")]

    @property
    def columns(self):
        widths = [12, 24, 14, 8, 12]
        cols = [Column(h, "date" if h == _("日期") else "text", width=w) for h, w in zip(self.headers, widths)]
        cols += [Column(h, width=16) for h in self.headers[5:-1]]
        cols.append(Column(_("意见建议"), width=60, wrap=False))
        return cols

    def _unit_rows(self, round_unit_id, item_ids):
        """(category as shown, channel, day, options, opinion) of one unit's ballots, by content.

        A category merged into 其他 in the round's breakdowns is 其他 here, and sorts as such.
        """
        answers = defaultdict(dict)
        for ballot_id, item_id, option in (
            Answer.objects.filter(ballot__round_unit_id=round_unit_id)
            .values_list("ballot_id", "item_id", "option")
            .iterator(chunk_size=self.chunk_size)
        ):
            answers[ballot_id][item_id] = option
        rows = []
        for ballot_id, category_id, channel, cast_on, opinion in (
            Ballot.objects.filter(round_unit_id=round_unit_id)
            .values_list("id", "category_id", "channel", "cast_on", "opinion")
            .iterator(chunk_size=self.chunk_size)
        ):
            given = answers.pop(ballot_id, {})
            merged = (round_unit_id, category_id) in self.merged
            rows.append((
                str(OTHER_LABEL) if merged else self.categories.get(category_id, ""), channel, cast_on,
                tuple(given.get(pk, 0) for pk in item_ids), opinion,
            ))
        rows.sort()
        return rows

    def __iter__(self):
        """Rows of plain values, text already made safe: option labels, None when blank."""
        self.written = 0
        item_ids = [item.pk for item in self.items]
        labels = self.labels
        for ru_id, ru in self.round_units.items():
            unit = (safe_text(ru.unit.code), safe_text(ru.unit.name))
            for category, channel, cast_on, options, opinion in self._unit_rows(ru_id, item_ids):
                self.written += 1
                yield [
                    *unit, safe_text(category) if category else None,
                    self.channels.get(channel, channel), cast_on,
                    *(labels.get(option) for option in options),
                    safe_text(opinion) if opinion else None,
                ]


def write_ballots_xlsx(rows, out):
    """Write the rows to a write-only workbook; returns the number of ballots written.

    A sheet holds at most 1,048,575 rows under its header; further rows continue on
    原始票（续1）, 原始票（续2）…
    """
    wb = new_workbook()
    per_sheet = EXCEL_MAX_ROWS - 1
    stream = iter(rows)
    total, part = 0, 0
    while True:
        first = next(stream, None)
        if first is None and part:
            break
        title = SHEET_TITLE if not part else _("%(sheet)s（续%(part)s）") % {"sheet": SHEET_TITLE, "part": part}
        batch = [] if first is None else _prepend(first, islice(stream, per_sheet - 1))
        written = table_sheet(
            wb, title, rows.columns, batch, footer=rows.round.name, fit=False, styled=False
        )
        total += written
        part += 1
        if written < per_sheet:
            break
    wb.save(out)
    return total


def _prepend(first, rest):
    yield first
    yield from rest


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer."""

    def write(self, value):
        return value


def _csv_row(row):
    # Text is already neutralized by BallotRows; dates go out as ISO days.
    return [value.isoformat() if hasattr(value, "isoformat") else value for value in row]


def iter_ballots_csv(rows, lines_per_piece=500):
    """CSV text in pieces, UTF-8 with a BOM so that Excel shows the Chinese correctly.

    Free text is neutralized as in the workbooks: CSV is where formula injection bites.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(rows.headers)
    lines = []
    for row in rows:
        lines.append(writer.writerow(_csv_row(row)))
        if len(lines) >= lines_per_piece:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def write_ballots_csv(rows, path):
    """Write the same bytes as the CSV download to a path; returns the ballot count."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for piece in iter_ballots_csv(rows):
            fh.write(piece)
    return rows.written


def ballots_filename(round_, ext):
    return _("%(name)s-原始票（匿名）.%(ext)s") % {"name": round_.name, "ext": ext}
