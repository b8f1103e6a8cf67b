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
import math
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from itertools import islice
from urllib.parse import quote

import xlsxwriter
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


class Book:
    """A workbook being written to a temporary file; single use.

    Formats are registered once per combination; sheets are written in constant memory.
    """

    def __init__(self):
        self.file = tempfile.TemporaryFile()
        self.xlsx = xlsxwriter.Workbook(self.file, {
            "constant_memory": True,
            # Belt and braces: cells are written with explicit types anyway.
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        self.xlsx.set_properties({"comments": _("公信度测评")})
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


def new_workbook():
    """A workbook written as it goes: rows go to temporary files, not to memory."""
    return Book()


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
    left = f"&L&9{_footer_text(footer)}" if footer else ""
    ws.set_footer(f"{left}&R&9{PAGE_FOOTER}", margin=FOOTER_MARGIN_IN)


def _footer_text(text):
    text = " ".join(clean_text(text).split())
    out, width = "", 0
    for ch in text:
        width += display_width(ch)
        if width > FOOTER_WIDTH:
            out = out[:-1] + "…"
            break
        out += ch
    return out.replace("&", "&&")


def write_table(book, title, columns, rows, *, footer="", key_columns=1, note=None,
                input_rows=0, fit_sample=FIT_SAMPLE):
    """Write one table sheet: a header row, then the rows; returns the number of data rows.

    rows: any iterable of sequences, one value per column (None for empty); the first
    `fit_sample` rows are measured for the widths and the rest stream in constant memory.
    key_columns: the leftmost columns that name a row (e.g. code and name); frozen, and
    repeated on every printed page when the table is too wide for one.
    note: lines (text, or sequences of values) written under the table, outside the filter.
    input_rows: blank rows below the data that the drop-down lists still cover (templates).
    """
    ws = book.add_sheet(title)
    stream = iter(rows)
    sample = list(islice(stream, fit_sample))
    widths = fit_widths(columns, sample)
    layout = print_layout(widths)
    page_setup(book, ws, layout, key_columns=key_columns, footer=footer or title)
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    ws.freeze_panes(1, key_columns if layout.flow else 0)
    header_lines = max((lines_needed(c.header, w) for c, w in zip(columns, widths)), default=1)
    ws.set_row(0, LINE_HEIGHT * header_lines + 3)
    for index, column in enumerate(columns):
        write_cell(book, ws, 0, index, column.header, header=True)
    wrapped = [(i, w) for i, (c, w) in enumerate(zip(columns, widths)) if c.wrap]
    count = 0
    for values in _chain(sample, stream):
        count += 1
        if wrapped:
            lines = max((lines_needed(values[i], w) for i, w in wrapped if i < len(values) and values[i] is not None),
                        default=1)
            if lines > 1:
                ws.set_row(count, min(LINE_HEIGHT * lines + 2, MAX_ROW_HEIGHT))
        for index, (column, value) in enumerate(zip(columns, values)):
            write_cell(book, ws, count, index, value, column)
    ws.autofilter(0, 0, count, len(columns) - 1)
    _validations(book, ws, columns, count + input_rows)
    if note:
        row = count + 2
        for line in note if isinstance(note, list) else [note]:
            if isinstance(line, (list, tuple)):
                for index, (column, value) in enumerate(zip(columns, line)):
                    write_cell(book, ws, row, index, value, column, bold=True)
            else:
                ws.write_string(row, 0, clean_text(line), book.format(border=False))
            row += 1
    return count


def _chain(first, rest):
    yield from first
    yield from rest


def sheet_title(title):
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "·", clean_text(title)).strip("'")[:31] or "Sheet"


def _validations(book, ws, columns, last_row):
    if last_row < 1:
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
        ws.data_validation(1, index, last_row, index, options)


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
