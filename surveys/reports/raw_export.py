"""The raw ballot export (原始票): every ballot of a round, anonymized.

A row holds what the ballot holds and nothing more (unit, respondent category, channel, day,
one answer per item, the opinion); never the ballot's id, so rows cannot be matched with
anything else. The category is the one the round's breakdowns show: a category merged into
其他 there (`breakdowns.suppress`) is 其他 here as well.

Rows come unit by unit and, inside a unit, sorted by what they show (category as shown,
channel, day, the answers in questionnaire order, the opinion), never by id or by the order
ballots arrived in: the order tells nothing that the row does not.

One query reads them all: each ballot with its answers pivoted into columns
(`MAX(CASE WHEN item_id = … THEN option END)` grouped by ballot), through a database cursor
(server-side on PostgreSQL), so memory follows the largest unit (sorted in Python), not the
round. The .xlsx is written by sheets.writer's bulk path; a million ballots take well under
a minute (docs/performance.md).
"""

import csv
from datetime import date
from itertools import groupby, islice
from operator import itemgetter

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sheets.text import display_width
from sheets.writer import EXCEL_MAX_ROWS, Column, clean_text, csv_text, download_name, new_workbook, save, write_table
from surveys.breakdowns import OTHER_LABEL
from surveys.models import Answer, Ballot, Channel, RespondentCategory
from surveys.selectors import round_suppression

CHUNK_SIZE = 5000
PROGRESS_EVERY = 20_000
SHEET_TITLE = gettext_lazy("原始票")


class BallotRows:
    """Headers and rows of a round's ballots within a scope of round units (in that order)."""

    def __init__(self, round_, round_units, *, chunk_size=CHUNK_SIZE, progress=None):
        self.round = round_
        self.progress = progress  # progress(done, total, message), every PROGRESS_EVERY rows
        self.round_units = {ru.pk: ru for ru in round_units}
        self.items = list(round_.items.rated().order_by("order", "id"))
        self.scale = round_.scale_def
        self.chunk_size = chunk_size
        self.categories = dict(RespondentCategory.objects.values_list("pk", "name"))
        # A ballot of a category merged in the round's breakdowns reads 其他 here too:
        # counting rows per category would otherwise give back every suppressed cell.
        self.merged = round_suppression(round_).hidden
        self.channels = {value: str(label) for value, label in Channel.choices}
        self.labels = {o.value: o.label for o in self.scale.options}
        self.written = 0

    def __len__(self):
        """How many ballots the rows hold (from the units' counters, without reading them)."""
        return sum(ru.ballots for ru in self.round_units.values())

    @property
    def headers(self):
        items = [f"{n}. {item.text}" for n, item in enumerate(self.items, start=1)]
        return [_("单位代码"), _("单位名称"), _("参评人员类别"), _("渠道"), _("日期"), *items, _("意见建议")]

    @property
    def columns(self):
        # Fixed widths (rows stream, nothing is sampled): the unit columns fit the scope's codes and names.
        codes = max((display_width(ru.unit.code) for ru in self.round_units.values()), default=8)
        names = max((display_width(ru.unit.name) for ru in self.round_units.values()), default=16)
        widths = [min(max(codes + 2, 10), 30), min(max(names + 2, 12), 40), 14, 8, 12]
        cols = [Column(h, "date" if h == _("日期") else "text", width=w) for h, w in zip(self.headers, widths)]
        cols += [Column(h, width=16) for h in self.headers[5:-1]]
        cols.append(Column(_("意见建议"), width=60))
        return cols

    def sql(self):
        """(round unit, category, channel, day, opinion, option per item…), unit by unit in the
        scope's order: each ballot's answers pivoted into columns, grouped by ballot.

        Written as SQL (the same on PostgreSQL and SQLite) so that the grouping is by ballot
        alone and the ordering comes after it: PostgreSQL then merges ballots with their
        answers along both primary-key indexes and sorts only the result, one row per ballot
        (the ORM groups by the ordering expression too, which sorts every answer row: 2.5×
        slower at 100,000 ballots). Every number is an id from the database, written with
        int(): there is nothing to quote.
        """
        q = connection.ops.quote_name
        ballot, answer = q(Ballot._meta.db_table), q(Answer._meta.db_table)
        ids = [int(pk) for pk in self.round_units]
        pivot = "".join(  # 0 for a blank (abstention): sorts first, shows empty
            f", COALESCE(MAX(CASE WHEN a.item_id = {int(item.pk)} THEN a.option END), 0) AS a{n}"
            for n, item in enumerate(self.items)
        )
        options = "".join(f", p.a{n}" for n in range(len(self.items)))
        # The round's items: lets the planner read this round's answers by item (an index)
        # instead of every answer of every round.
        items = ", ".join(str(int(item.pk)) for item in self.items) or "NULL"
        rank = " ".join(f"WHEN {pk} THEN {n}" for n, pk in enumerate(ids)) or "WHEN 0 THEN 0"
        return (
            f"SELECT p.round_unit_id, p.category_id, p.channel, p.cast_on, p.opinion{options} FROM ("
            f"SELECT b.id, b.round_unit_id, b.category_id, b.channel, b.cast_on, b.opinion{pivot} "
            f"FROM {ballot} b LEFT JOIN {answer} a ON a.ballot_id = b.id AND a.item_id IN ({items}) "
            f"WHERE b.round_unit_id IN ({', '.join(map(str, ids)) or 'NULL'}) "
            "GROUP BY b.id, b.round_unit_id, b.category_id, b.channel, b.cast_on, b.opinion) p "
            f"ORDER BY CASE p.round_unit_id {rank} END"
        )

    def fetch(self):
        """The rows straight from a database cursor (server-side on PostgreSQL), in chunks:
        Django's per-row converters would cost more than the query itself here."""
        days = {}
        # In a transaction: PostgreSQL's cursor then streams (outside one, Django declares it
        # WITH HOLD and the whole result is stored before the first row comes), and the
        # query's JIT compilation (most of a second, for nothing here) can be switched off.
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as settings_cursor:
                    settings_cursor.execute("SET LOCAL jit = off")
            yield from self._rows(days)

    def _rows(self, days):
        with connection.chunked_cursor() as cursor:
            cursor.execute(self.sql())
            while chunk := cursor.fetchmany(self.chunk_size):
                for row in chunk:
                    cast_on = row[3]
                    if isinstance(cast_on, str):  # SQLite hands dates back as text
                        row = list(row)
                        row[3] = days.get(cast_on) or days.setdefault(cast_on, date.fromisoformat(cast_on))
                    yield row

    def __iter__(self):
        """Rows of plain values: option labels, None when blank; text is cleaned, not quoted
        (the writer keeps text text; the CSV adds its own defence)."""
        self.written = 0
        categories = {pk: clean_text(name) for pk, name in self.categories.items()}
        merged = self.merged
        other = str(OTHER_LABEL)  # a lazy label, said once in the current language
        channels = self.channels
        labels = self.labels
        cursor = self.fetch()
        total = len(self) if self.progress else 0
        if self.progress:
            self.progress(0, total, "")
        for ru_id, ballots in groupby(cursor, key=itemgetter(0)):
            ru = self.round_units[ru_id]
            unit = [clean_text(ru.unit.code), clean_text(ru.unit.name)]
            shown = [
                (other if (ru_id, row[1]) in merged else categories.get(row[1], ""),
                 channels.get(row[2], row[2]), row[3], *row[5:], row[4])
                for row in ballots
            ]
            shown.sort()  # by what the row shows (answers as option values, 0 when blank), never by id
            for category, channel, cast_on, *options, opinion in shown:
                self.written += 1
                if self.progress and self.written % PROGRESS_EVERY == 0:
                    self.progress(self.written, total, f"{self.written:,} / {total:,}")
                yield [*unit, category, channel, cast_on, *map(labels.get, options),
                       clean_text(opinion) if opinion else None]
            shown.clear()
        if self.progress:
            self.progress(self.written, total, f"{self.written:,} / {total:,}")


def write_ballots_xlsx(rows, out):
    """Write the rows to a workbook (path or file); returns the number of ballots written.

    A sheet holds at most 1,048,575 rows under its header; further rows continue on
    原始票（续1）, 原始票（续2）…
    """
    wb = new_workbook(fast=True)
    per_sheet = EXCEL_MAX_ROWS - 1
    stream = iter(rows)
    total, part = 0, 0
    while True:
        first = next(stream, None)
        if first is None and part:
            break
        title = str(SHEET_TITLE) if not part else _("%(sheet)s（续%(part)s）") % {"sheet": SHEET_TITLE, "part": part}
        batch = [] if first is None else _prepend(first, islice(stream, per_sheet - 1))
        written = write_table(wb, title, rows.columns, batch, footer=rows.round.name, key_columns=2,
                              fit_sample=0, bulk=True)
        total += written
        part += 1
        if written < per_sheet:
            break
    save(wb, out)
    return total


def _prepend(first, rest):
    yield first
    yield from rest


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer."""

    def write(self, value):
        return value


class _CsvCells:
    """Cell text for the CSV: a CSV has no cell types, so text that a spreadsheet would run
    gets a leading quote (csv_text); days as ISO dates. Repeated texts are done once."""

    CACHE = 20_000

    def __init__(self):
        self.done = {}

    def __call__(self, row):
        out = []
        for value in row:
            if isinstance(value, str):
                text = self.done.get(value)
                if text is None:
                    text = csv_text(value)
                    if len(self.done) < self.CACHE and len(value) <= 64:
                        self.done[value] = text
                out.append(text)
            elif value is None:
                out.append("")
            elif hasattr(value, "isoformat"):
                out.append(value.isoformat())
            else:
                out.append(value)
        return out


def iter_ballots_csv(rows, lines_per_piece=500):
    """CSV text in pieces, UTF-8 with a BOM so that Excel shows the Chinese correctly.

    Free text is neutralized as in the workbooks: CSV is where formula injection bites.
    """
    writer = csv.writer(_Echo())
    cells = _CsvCells()
    yield "\ufeff" + writer.writerow([csv_text(h) for h in rows.headers])
    lines = []
    for row in rows:
        lines.append(writer.writerow(cells(row)))
        if len(lines) >= lines_per_piece:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def write_ballots_csv(rows, out):
    """Write the same bytes as the CSV download to a path or binary file; returns the count."""
    if isinstance(out, (str, bytes)) or hasattr(out, "__fspath__"):
        with open(out, "wb") as fh:
            return write_ballots_csv(rows, fh)
    for piece in iter_ballots_csv(rows):
        out.write(piece.encode("utf-8"))
    return rows.written


def ballots_filename(round_, ext):
    return download_name(round_.name, _("原始票（匿名）"), ext=ext)
