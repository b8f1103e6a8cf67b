"""The one way to write a spreadsheet: every export goes through here.

    book = new_workbook()
    write_table(book, "被测评单位", [Column("单位代码"), Column("排序", "int")], rows,
                footer="被测评单位名册", key_columns=2)
    return xlsx_response(book, download_name("被测评单位名册", timezone.localdate()))

- Text is always a text cell, never a formula, whatever it starts with (=, +, -, @, tab,
  CR): it is written as a string, and text that a spreadsheet would read as a formula when
  retyped also gets the quotePrefix style, so it stays text on editing and shows no apostrophe.
- Numbers, dates and percentages are typed cells with number formats; years and codes use
  "0" (never "2,025").
- House style: bold header on a light fill, frozen, filtered, repeated on every printed page;
  widths fitted to the content (CJK counts double); header row tall enough for its wrapping;
  A4 with a footer "第 &P 页，共 &N 页"; orientation and scale from `print_layout`, which never
  prints below MIN_PRINT_SCALE (docs/spreadsheets.md explains the estimate).
- Built on XlsxWriter in constant-memory mode: each row is flushed to a temporary file as
  the next begins, so memory does not grow with rows, and every cell is written by an
  explicit call (write_string, write_number…), so nothing is ever guessed to be a formula
  or a link.
"""

import datetime as dt
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
import functools
import math
import re
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from itertools import islice
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.utility import xl_col_to_name
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .text import display_width

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

NUMBER_FORMATS = {
    "int": "#,##0",
    "number": "0",  # codes, ids, years: digits only, no thousands separator
    "year": "0",
    "decimal": "0.0",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
KINDS = ("text", "bool", *NUMBER_FORMATS)

FONT_NAME = "宋体"
FONT_SIZE = 11
BORDER_COLOR = "#A6A6A6"
HEADER_FILL = "D9E1F2"

# A spreadsheet reads text starting with these as a formula when it is typed (or, for tab
# and CR, when a CSV is imported).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
EXCEL_MAX_ROWS = 1_048_576
LINE_HEIGHT = 15  # points per line of 11-point text, for row heights of wrapped cells
MAX_ROW_HEIGHT = 409  # Excel's limit, in points
MAX_WIDTH = 60  # wider text wraps instead of widening the column
FIT_SAMPLE = 500  # rows measured to fit the widths of a streamed table
LIST_SHEET = gettext_lazy("下拉选项")

# Printing. Widths are in Excel's character units: a column of width w is w*7+5 pixels at
# 96 dpi with the default 11-point font (ECMA-376 §18.3.1.13).
A4_MM = (210.0, 297.0)
MARGIN_IN = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.75}
FOOTER_MARGIN_IN = 0.3
MIN_PRINT_SCALE = 0.70
PAGE_FOOTER = gettext_lazy("第 &P 页，共 &N 页")
FOOTER_WIDTH = 40  # display width of the footer's left text, so it never runs into the page count
FOOTER_CENTER_WIDTH = 30  # and of its centre text (e.g. a seal's fingerprint), which sits between


@dataclass(frozen=True)
class Column:
    """One column of a written table.

    kind: text, bool (是/否), int (#,##0), number/year ("0"), decimal, percent, date, datetime.
    width: fixed width; otherwise fitted to the header and the first rows.
    choices: a drop-down list (data validation) over the rows and `input_rows` blank ones;
    strict refuses other values, otherwise the list only suggests.
    """

    header: str
    kind: str = "text"
    width: float | None = None
    wrap: bool = False
    number_format: str | None = None
    choices: tuple | list | None = None
    strict: bool = True

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def format(self):
        return self.number_format or NUMBER_FORMATS.get(self.kind)


@dataclass(frozen=True)
class Styled:
    """A value with its own fill (hex colour) or weight, e.g. a level coloured by level."""

    value: object
    fill: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class PrintLayout:
    orientation: str  # "portrait" or "landscape"
    fit_width: bool  # scale down to one page wide
    scale: float  # the estimated print scale (1.0 when not fitted)
    flow: bool  # columns continue on further pages, title columns repeated

    @property
    def landscape(self):
        return self.orientation == "landscape"


def column_mm(width):
    return (width * 7 + 5) * 25.4 / 96


def printable_mm(orientation):
    paper = A4_MM[0] if orientation == "portrait" else A4_MM[1]
    return paper - (MARGIN_IN["left"] + MARGIN_IN["right"]) * 25.4


def print_layout(widths, min_scale=MIN_PRINT_SCALE):
    """How a table of these column widths prints on A4 (docs/spreadsheets.md).

    Portrait if it fits; else landscape at 100% if it fits; else landscape fitted to one
    page wide when that keeps the scale at `min_scale` or more; else landscape at 100%, the
    columns flowing onto further pages with the title rows and columns repeated.
    """
    total = sum(column_mm(w) for w in widths)
    if total <= printable_mm("portrait"):
        return PrintLayout("portrait", False, 1.0, False)
    landscape = printable_mm("landscape")
    if total <= landscape:
        return PrintLayout("landscape", False, 1.0, False)
    scale = landscape / total
    if scale >= min_scale:
        return PrintLayout("landscape", True, scale, False)
    return PrintLayout("landscape", False, 1.0, True)


# --- values --------------------------------------------------------------------------


def clean_text(value):
    """Text a workbook can hold: no XML-illegal control characters, at most 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL_TEXT]


def looks_like_formula(text):
    return text.startswith(FORMULA_START)


def csv_text(value):
    """Text for a CSV cell: a CSV has no cell types, so a leading quote is the only defence
    against formula injection (OWASP). Never use this for .xlsx cells."""
    text = clean_text(value)
    return "'" + text if looks_like_formula(text) else text


def plain(value):
    """The value as stored: numbers stay numbers, dates lose their time zone, text is cleaned."""
    if isinstance(value, Styled):
        value = value.value
    if value is None:
        return None
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Enum):
        value = getattr(value, "label", value.value)
    if isinstance(value, (Fraction, Decimal)):
        return float(value)  # display only: decisions are made on the exact value upstream
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, (int, float, dt.date, dt.time)):
        return value
    return clean_text(value)


# --- widths and heights ------------------------------------------------------------------


def shown_width(value, kind):
    """Roughly how many character units a value takes once formatted."""
    value = plain(value)
    if value is None:
        return 0
    if kind == "percent" and isinstance(value, (int, float)):
        return 7
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, float):
        return len(f"{value:,.1f}")
    if isinstance(value, int):
        return len(f"{value:,}" if kind == "int" else str(value))
    return max((display_width(line) for line in str(value).split("\n")), default=0)


def fit_widths(columns, rows):
    """Column widths from the headers (which may wrap onto two lines) and the given rows."""
    widths = []
    for index, column in enumerate(columns):
        if column.width:
            widths.append(column.width)
            continue
        header = display_width(column.header)
        longest = max(math.ceil(header / 2), min(header, 8))
        for row in rows:
            if index < len(row):
                longest = max(longest, shown_width(row[index], column.kind))
        widths.append(min(max(longest + 2, 6), MAX_WIDTH))
    return widths


def lines_needed(text, width):
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n"))


# --- workbooks ---------------------------------------------------------------------------


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook, able to zip its parts at a lower compression level.

    XlsxWriter zips at zlib's default level (6); a million rows of sheet XML (some 450 MB)
    then take longer to compress than to write. Level 1 is about four times faster for a file
    about 40% larger. XlsxWriter takes no such option: its module's ZipFile is swapped for
    the time of the packaging, under a lock (another workbook closing meanwhile would at
    worst be compressed less).
    """

    compresslevel = None

    def _store_workbook(self):
        if self.compresslevel is None:
            return super()._store_workbook()
        with _ZIP_LOCK:
            original = xlsxwriter.workbook.ZipFile
            xlsxwriter.workbook.ZipFile = functools.partial(original, compresslevel=self.compresslevel)
            try:
                return super()._store_workbook()
            finally:
                xlsxwriter.workbook.ZipFile = original


_ZIP_LOCK = threading.Lock()


class Book:
    """A workbook being written to a temporary file; single use.

    Formats are registered once per combination; sheets are written in constant memory.
    fast: zip at zlib level 1 (for exports of hundreds of thousands of rows).
    """

    def __init__(self, *, fast=False):
        self.file = tempfile.TemporaryFile()
        self.xlsx = _Workbook(self.file, {
            "constant_memory": True,
            # Belt and braces: cells are written with explicit types anyway.
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        self.xlsx.set_properties({"comments": _("公信度测评")})
        if fast:
            self.xlsx.compresslevel = 1
        self._formats = {}
        self._lists = None
        self._list_rows = 0
        self.closed = False

    def format(self, *, number_format=None, bold=False, wrap=False, fill=None, header=False,
               quote_prefix=False, border=True, size=None):
        key = (number_format, bold, wrap, fill, header, quote_prefix, border, size)
        if key not in self._formats:
            spec = {"font_name": FONT_NAME, "font_size": size or FONT_SIZE, "valign": "top"}
            if border:
                spec.update(border=1, border_color=BORDER_COLOR)
            if number_format:
                spec["num_format"] = number_format
            if bold or header:
                spec["bold"] = True
            if fill or header:
                spec.update(pattern=1, bg_color="#" + (fill or HEADER_FILL))
            if header:
                spec.update(align="center", valign="vcenter", text_wrap=True)
            elif wrap:
                spec["text_wrap"] = True
            if quote_prefix:
                spec["quote_prefix"] = True
            self._formats[key] = self.xlsx.add_format(spec)
        return self._formats[key]

    def add_sheet(self, title):
        return self.xlsx.add_worksheet(sheet_title(title))

    def list_range(self, choices):
        """Put a long drop-down list on a hidden sheet; return a reference to it."""
        if self._lists is None:
            self._lists = self.xlsx.add_worksheet(str(LIST_SHEET))
            self._lists.hide()
        start = self._list_rows
        for offset, choice in enumerate(choices):
            self._lists.write_string(start + offset, 0, choice)
        self._list_rows += len(choices)
        return f"='{LIST_SHEET}'!$A${start + 1}:$A${start + len(choices)}"

    def close(self):
        """Finish the file; returns it, positioned at the start."""
        if not self.closed:
            self.xlsx.close()
            self.closed = True
        self.file.seek(0)
        return self.file


def new_workbook(*, fast=False):
    """A workbook written as it goes: rows go to temporary files, not to memory.

    fast: compressed at zlib level 1, about four times faster to zip and 40% larger, for
    exports of hundreds of thousands of rows (the raw ballots).
    """
    return Book(fast=fast)


def write_cell(book, ws, row, col, value, column=None, *, bold=False, header=False):
    """Write one value with an explicit type; text is always a string, never a formula."""
    fill = None
    if isinstance(value, Styled):
        fill, bold = value.fill, value.bold or bold
    stored = plain(value)
    wrap = bool(column and column.wrap)
    if isinstance(stored, str):
        fmt = book.format(bold=bold, wrap=wrap, fill=fill, header=header,
                          quote_prefix=looks_like_formula(stored))
        ws.write_string(row, col, stored, fmt)
    elif stored is None:
        ws.write_blank(row, col, None, book.format(bold=bold, wrap=wrap, fill=fill, header=header))
    elif isinstance(stored, (dt.date, dt.time)):
        number_format = (column.format if column and column.kind in ("date", "datetime") else None) or \
            NUMBER_FORMATS["datetime" if isinstance(stored, dt.datetime) else "date"]
        ws.write_datetime(row, col, stored, book.format(number_format=number_format, bold=bold, fill=fill))
    else:
        number_format = column.format if column else None
        ws.write_number(row, col, stored, book.format(number_format=number_format, bold=bold, fill=fill))


def page_setup(book, ws, layout, *, repeat_rows=(0, 0), key_columns=1, footer=""):
    """A4, the layout's orientation and scale, margins that leave the footer room."""
    ws.set_paper(9)
    if layout.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if layout.fit_width:
        ws.fit_to_pages(1, 0)
    ws.set_margins(**MARGIN_IN)
    if not layout.flow:
        ws.center_horizontally()
    ws.repeat_rows(*repeat_rows)
    if layout.flow and key_columns:
        ws.repeat_columns(0, key_columns - 1)
    left, center = footer if isinstance(footer, tuple) else (footer, "")
    left = f"&L&9{_footer_text(left)}" if left else ""
    center = f"&C&9{_footer_text(center, FOOTER_CENTER_WIDTH)}" if center else ""
    ws.set_footer(f"{left}{center}&R&9{PAGE_FOOTER}", margin=FOOTER_MARGIN_IN)


def _footer_text(text, limit=FOOTER_WIDTH):
    text = " ".join(clean_text(text).split())
    out, width = "", 0
    for ch in text:
        width += display_width(ch)
        if width > limit:
            out = out[:-1] + "…"
            break
        out += ch
    return out.replace("&", "&&")


def write_table(book, title, columns, rows, *, footer="", key_columns=1, note=None,
                input_rows=0, fit_sample=FIT_SAMPLE, bulk=False, heading=None):
    """Write one table sheet: a header row, then the rows; returns the number of data rows.

    rows: any iterable of sequences, one value per column (None for empty); the first
    `fit_sample` rows are measured for the widths and the rest stream in constant memory.
    bulk: the rows are plain values (text, numbers, dates, booleans, None; no Styled) and
    are many: they go straight into the sheet's XML, the same cells in the same house style
    about ten times faster, without per-row heights for wrapped text (`BulkRows`).
    heading: a title line above the header row (the header row is then the sheet's second).
    footer: the footer's left text, or (left, centre) — e.g. the round, and a seal's fingerprint.
    key_columns: the leftmost columns that name a row (e.g. code and name); frozen, and
    repeated on every printed page when the table is too wide for one.
    note: lines (text, or sequences of values) written under the table, outside the filter.
    input_rows: blank rows below the data that the drop-down lists still cover (templates).
    """
    ws = book.add_sheet(title)
    top = 1 if heading else 0  # the header row
    stream = iter(rows)
    sample = list(islice(stream, fit_sample))
    widths = fit_widths(columns, sample)
    layout = print_layout(widths)
    page_setup(book, ws, layout, repeat_rows=(top, top), key_columns=key_columns, footer=footer or title)
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    ws.freeze_panes(top + 1, key_columns if layout.flow else 0)
    if heading:
        ws.set_row(0, 24)
        ws.write_string(0, 0, clean_text(heading), book.format(bold=True, border=False, size=14))
    header_lines = max((lines_needed(c.header, w) for c, w in zip(columns, widths)), default=1)
    ws.set_row(top, LINE_HEIGHT * header_lines + 3)
    for index, column in enumerate(columns):
        write_cell(book, ws, top, index, column.header, header=True)
    wrapped = [(i, w) for i, (c, w) in enumerate(zip(columns, widths)) if c.wrap]
    count = 0
    if bulk:
        count = BulkRows(book, ws, columns).write(_chain(sample, stream), first_row=top + 1)
        stream, sample = (), ()
    for values in _chain(sample, stream):
        count += 1
        row = top + count
        if wrapped:
            lines = max((lines_needed(values[i], w) for i, w in wrapped if i < len(values) and values[i] is not None),
                        default=1)
            if lines > 1:
                ws.set_row(row, min(LINE_HEIGHT * lines + 2, MAX_ROW_HEIGHT))
        for index, (column, value) in enumerate(zip(columns, values)):
            write_cell(book, ws, row, index, value, column)
    ws.autofilter(top, 0, top + count, len(columns) - 1)
    _validations(book, ws, columns, top + 1, top + count + input_rows)
    if note:
        row = top + count + 2
        for line in note if isinstance(note, list) else [note]:
            if isinstance(line, (list, tuple)):
                for index, (column, value) in enumerate(zip(columns, line)):
                    write_cell(book, ws, row, index, value, column, bold=True)
            else:
                ws.write_string(row, 0, clean_text(line), book.format(border=False))
            row += 1
    return count


class BulkRows:
    """Rows written straight into a constant-memory sheet's XML, for tables of many rows.

    XlsxWriter spends some 15 µs on each cell it is given (checks, a tuple, an XML writer
    call); a million ballots of 13 cells took minutes. Here each distinct text of a column
    becomes one shared string and one ready-made piece of XML, so a row is a join of pieces.
    The cells are those `write_cell` would write: text always a string (never a formula; the
    quotePrefix style when it looks like one), numbers, dates and booleans typed, the column's
    number format, the house border. Free text that is long or rare is written inline (the
    shared-string table holds at most TEXT_CACHE entries per sheet), so memory stays bounded.

    Relies on XlsxWriter's constant-memory internals (the row file `row_data_fh`, the row
    counter `previous_row`, `_check_dimensions`, a format's `_get_xf_index`, the workbook's
    shared-string table), pinned in pyproject.toml and checked by the tests, which read the
    same table written both ways.
    """

    TEXT_CACHE = 20_000
    CACHE_TEXT_LENGTH = 64
    ROWS_PER_WRITE = 500
    EPOCH = dt.datetime(1899, 12, 30)

    def __init__(self, book, ws, columns):
        self.book, self.ws, self.columns = book, ws, list(columns)
        self.letters = [xl_col_to_name(i) for i in range(len(self.columns))]
        self.text_xf = [book.format(wrap=c.wrap)._get_xf_index() for c in self.columns]
        self.quoted_xf = [book.format(wrap=c.wrap, quote_prefix=True)._get_xf_index() for c in self.columns]
        self.number_xf = [book.format(number_format=c.format)._get_xf_index() for c in self.columns]
        self.date_xf = [
            book.format(number_format=c.format if c.kind in ("date", "datetime") else NUMBER_FORMATS["date"])._get_xf_index()
            for c in self.columns
        ]
        self.datetime_xf = [
            book.format(number_format=c.format if c.kind in ("date", "datetime") else NUMBER_FORMATS["datetime"])._get_xf_index()
            for c in self.columns
        ]
        self.blank = [f'" s="{xf}"/>' for xf in self.text_xf]
        self.texts = [{} for _ in self.columns]  # per column: text -> its cell's piece
        self.others = [{} for _ in self.columns]  # per column: blank, date, small int -> piece
        self.strings = book.xlsx.str_table

    def write(self, rows, first_row):
        """Write the rows from `first_row` (0-based) on; returns how many were written.

        A row's XML is `number.join(pieces)`: each piece is one cell's XML after its
        reference, followed by the start of the next cell's reference (`<c r="B`), so the
        row number is the only thing put between them. Pieces of repeated values are kept.
        """
        ws = self.ws
        if first_row > ws.previous_row:
            ws._write_single_row(first_row)  # flush the rows above, as the next write would
        width = len(self.columns)
        tails = ['<c r="' + letter for letter in self.letters[1:]] + ["</row>"]
        head = ["<row r=\"", "\"><c r=\"" + self.letters[0]] if width else []
        texts = self.texts
        others = self.others
        cell = self.cell
        out, pending, row, hits = ws.row_data_fh, [], first_row, 0
        for values in rows:
            if len(values) != width:
                values = list(values)[:width] + [None] * (width - len(values))
            parts = head[:]
            append = parts.append
            index = 0
            for value in values:
                if type(value) is str:
                    piece = texts[index].get(value)
                    if piece is None:
                        piece = cell(index, value) + tails[index]
                        if value in texts[index]:
                            texts[index][value] = piece
                    else:
                        hits += 1
                else:
                    piece = others[index].get(value) if type(value) is not bool else None
                    if piece is None:
                        piece = cell(index, value) + tails[index]
                        if type(value) is not bool and value in others[index]:
                            others[index][value] = piece
                append(piece)
                index += 1
            pending.append(str(row + 1).join(parts))
            row += 1
            if len(pending) >= self.ROWS_PER_WRITE:
                out.write("".join(pending))
                pending.clear()
        if pending:
            out.write("".join(pending))
        count = row - first_row
        if count:
            ws._check_dimensions(row - 1, width - 1)
            ws.previous_row = row - 1
        self.strings.count += hits  # the references the <sst count> reports
        return count

    def cell(self, index, value):
        """The XML of one cell after its reference: attributes, value, closing tag.

        Texts, dates, blanks and small whole numbers repeat: their pieces are kept (at most
        TEXT_CACHE per column and kind), so a repeated value costs one dictionary lookup.
        """
        kind = type(value)
        if kind is str:
            return self._text(index, value)
        if value is None:
            piece = self.blank[index]
        elif kind is int or kind is float:
            if kind is float and not math.isfinite(value):
                return self.blank[index]
            piece = f'" s="{self.number_xf[index]}"><v>{value!r}</v></c>'
            if kind is float or not -1000 < value < 100_000:
                return piece
        elif kind is dt.date:
            piece = f'" s="{self.date_xf[index]}"><v>{(value - self.EPOCH.date()).days}</v></c>'
        else:
            return self._other(index, value)
        if len(self.others[index]) < self.TEXT_CACHE:
            self.others[index][value] = piece
        return piece

    def _text(self, index, value):
        text = clean_text(value)
        xf = self.quoted_xf[index] if looks_like_formula(text) else self.text_xf[index]
        if len(text) <= self.CACHE_TEXT_LENGTH and len(self.texts[index]) < self.TEXT_CACHE:
            piece = f'" s="{xf}" t="s"><v>{self.strings._get_shared_string_index(text)}</v></c>'
            self.texts[index][value] = piece
            return piece
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'" s="{xf}" t="inlineStr"><is><t{space}>{xml_escape(text)}</t></is></c>'

    def _other(self, index, value):
        if isinstance(value, Styled):
            raise TypeError("bulk rows take plain values; write Styled cells with write_table(bulk=False)")
        stored = plain(value)
        if stored is None:
            return self.blank[index]
        if isinstance(stored, str):
            return self._text(index, stored)
        if isinstance(stored, dt.datetime):
            serial = (stored - self.EPOCH).total_seconds() / 86400
            return f'" s="{self.datetime_xf[index]}"><v>{serial!r}</v></c>'
        if isinstance(stored, dt.date):
            return f'" s="{self.date_xf[index]}"><v>{(stored - self.EPOCH.date()).days}</v></c>'
        if isinstance(stored, dt.time):
            serial = (stored.hour * 3600 + stored.minute * 60 + stored.second) / 86400
            return f'" s="{self.datetime_xf[index]}"><v>{serial!r}</v></c>'
        return self.cell(index, stored)  # int or float subclasses (bool was made 是/否)


def _chain(first, rest):
    yield from first
    yield from rest


def sheet_title(title):
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "·", clean_text(title)).strip("'")[:31] or "Sheet"


def _validations(book, ws, columns, first_row, last_row):
    if last_row < first_row:
        return
    for index, column in enumerate(columns):
        if not column.choices:
            continue
        choices = [clean_text(c) for c in column.choices]
        inline = ",".join(choices)
        if len(inline) <= 250 and not any("," in c or '"' in c for c in choices):
            source = choices
        else:
            source = book.list_range(choices)
        options = {"validate": "list", "source": source, "ignore_blank": True, "show_error": column.strict}
        if column.strict:
            options.update(error_title=column.header[:32], error_message=_("请从下拉列表中选择%(header)s。") % {"header": column.header})
        else:
            options.update(error_type="information", error_message=_("不在列表中的%(header)s会在导入时列出，请核对。") % {"header": column.header})
        ws.data_validation(first_row, index, last_row, index, options)


def write_notes(book, title, heading, pairs, *, footer=""):
    """A two-column sheet of labelled values (项目 / 内容) under a title line.

    pairs: (label, value) or (label, value, kind) with a writer Column kind.
    """
    ws = book.add_sheet(title)
    widths = [26, 90]
    page_setup(book, ws, print_layout(widths), repeat_rows=(1, 1), footer=footer or title)
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    ws.freeze_panes(2, 0)
    ws.set_row(0, 24)
    ws.write_string(0, 0, clean_text(heading), book.format(bold=True, border=False, size=14))
    write_cell(book, ws, 1, 0, _("项目"), header=True)
    write_cell(book, ws, 1, 1, _("内容"), header=True)
    text_column = Column(_("内容"), wrap=True)
    for row, (label, value, *kind) in enumerate(pairs, start=2):
        column = Column(_("内容"), kind[0], wrap=kind[0] == "text") if kind else text_column
        if isinstance(value, str):
            lines = lines_needed(value, widths[1])
            if lines > 1:
                ws.set_row(row, min(LINE_HEIGHT * lines + 2, MAX_ROW_HEIGHT))
        write_cell(book, ws, row, 0, label, bold=True)
        write_cell(book, ws, row, 1, value, column)
    return ws


def save(book, out):
    """Write the finished workbook to a path or a binary file."""
    with book.close() as source:
        if isinstance(out, (str, bytes)) or hasattr(out, "__fspath__"):
            with open(out, "wb") as target:
                _copy(source, target)
        else:
            _copy(source, out)


def _copy(source, target):
    while chunk := source.read(1024 * 1024):
        target.write(chunk)


def workbook_bytes(book):
    with book.close() as source:
        return source.read()


# --- file names and responses ------------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def download_name(*parts, ext="xlsx", max_length=120):
    """A file name from its parts: "被测评单位名册-主城区-2026-03-01.xlsx".

    Dates become YYYY-MM-DD; empty parts are dropped; characters that a file system or a
    browser refuses become "_"; the name is cut to `max_length` characters before the
    extension.
    """
    words = []
    for part in parts:
        if part is None or part == "":
            continue
        if isinstance(part, dt.datetime):
            part = part.strftime("%Y-%m-%d-%H%M")
        elif isinstance(part, dt.date):
            part = part.isoformat()
        text = unicodedata.normalize("NFC", " ".join(str(part).split()))
        text = _UNSAFE_NAME.sub("_", text).strip(" .")
        if text:
            words.append(text)
    stem = "-".join(words)[:max_length].strip(" .") or "download"
    return f"{stem}.{ext.lstrip('.')}" if ext else stem


def content_disposition(filename, *, attachment=True):
    """Content-Disposition with an ASCII fallback and the real name as RFC 5987 filename*."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_.-")
    stem, dot, ext = filename.rpartition(".")
    if not fallback or fallback == ext or not re.search(r"[A-Za-z0-9]", fallback.rsplit(".", 1)[0]):
        fallback = f"download.{ext}" if dot else "download"
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(content, filename):
    """A download response for a workbook, bytes or an open binary file."""
    from django.http import FileResponse, HttpResponse

    if isinstance(content, Book):
        response = FileResponse(content.close(), content_type=XLSX_CONTENT_TYPE)
    elif isinstance(content, (bytes, bytearray)):
        response = HttpResponse(bytes(content), content_type=XLSX_CONTENT_TYPE)
    else:
        content.seek(0)
        response = FileResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    return response
