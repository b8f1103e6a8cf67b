"""House style for every workbook we write: one place for fonts, formats and print set-up.

Workbooks are written in openpyxl's write-only mode, so a sheet of a million rows costs no
more memory than a sheet of ten. That mode has two rules this module hides: column widths
and frozen panes must be set before the first row, and styles travel on each cell.
"""

import unicodedata
from copy import copy
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from surveys import scoring

PERCENT = "0.0%"
INTEGER = "#,##0"
DECIMAL = "0.0"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"

FONT_NAME = "宋体"  # a font name, not text: the same in every language
_thin = Side(style="thin", color="A6A6A6")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
HEADER_FONT = Font(name=FONT_NAME, bold=True, size=11)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
TITLE_FONT = Font(name=FONT_NAME, bold=True, size=14)
BODY_FONT = Font(name=FONT_NAME, size=11)
WRAP = Alignment(vertical="top", wrap_text=True)

# Light tints of the dashboard colours (static/css/app.css), readable in black and on paper.
LEVEL_FILLS = {
    "satisfied": "C6EFCE",
    "basic": "DDEBF7",
    "below": "FFEB9C",
    "pending": "FFEB9C",
    "unsatisfied": "FFC7CE",
    "no_data": "D9D9D9",
}

# A spreadsheet treats these leading characters as the start of a formula (or, for tab and
# CR, as a way to smuggle one past a CSV import). OWASP's advice: prefix a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32767  # Excel's limit for one cell
EXCEL_MAX_ROWS = 1_048_576


def safe_text(value):
    """Return text that no spreadsheet will run as a formula or reject as invalid XML."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text[:MAX_CELL_TEXT]


def display_width(text):
    """Width of text in Excel's character units: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


@dataclass(frozen=True)
class Column:
    """One column of a table sheet. kind: text, int, year (no thousands separator), percent,
    decimal, date, level."""

    header: str
    kind: str = "text"
    width: float | None = None  # fixed width; otherwise fitted to the rows
    wrap: bool = False


NUMBER_FORMATS = {"int": INTEGER, "year": "0", "percent": PERCENT, "decimal": DECIMAL, "date": DATE}
# Decimals kept of a percent (0.001 = 0.1%) and of a decimal (the 0-100 score): what the
# formats above show, so the stored value is exactly what is read.
CUT_PLACES = {"percent": 3, "decimal": 1}


def _plain(value, kind):
    """The value as stored in the cell: numbers stay numbers, enums become their label."""
    if isinstance(value, Promise):  # a lazy translation: its text in the active language
        value = str(value)
    if value is None:
        return None
    if isinstance(value, (scoring.Level, scoring.FinalClass)):
        return value.label
    if isinstance(value, Enum):
        return str(value.value)
    if kind in CUT_PLACES and isinstance(value, (Fraction, float, int)):
        # Display only, and cut toward zero before Excel sees it: 79.95% is stored as 0.799,
        # so neither our value nor Excel's own rounding of "0.0%" can show 80.0% beside a
        # level decided on the exact Fraction (scoring.truncate, as on the dashboards).
        return float(scoring.truncate(value, CUT_PLACES[kind]))
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, str):
        return safe_text(value)
    return value


def cell(ws, value, kind="text", *, bold=False, wrap=False, fill=None, border=True):
    """A styled write-only cell. Level and FinalClass values get their level's fill."""
    stored = _plain(value, kind)
    c = WriteOnlyCell(ws, value=stored)
    if isinstance(stored, str):
        c.data_type = "s"  # never a formula, even if safe_text was bypassed upstream
    number_format = (
        NUMBER_FORMATS[kind]
        if kind in NUMBER_FORMATS and stored is not None and not isinstance(stored, str)
        else None
    )
    key = (number_format, bold, wrap, fill or _level_fill(value), border, kind == "level")
    c._style = copy(_style_array(ws, key))
    return c


def _style_array(ws, key):
    """The style of one combination, registered once per workbook and then copied.

    Setting font/fill/border on each cell hashes the style objects every time; on a million
    rows that is most of the run. Copying the registered style array costs nothing.
    """
    cache = ws.parent.__dict__.setdefault("_report_styles", {})
    if key not in cache:
        number_format, bold, wrap, fill, border, centred = key
        proto = WriteOnlyCell(ws)
        proto.font = HEADER_FONT if bold else BODY_FONT
        if number_format:
            proto.number_format = number_format
        if fill:
            proto.fill = PatternFill("solid", fgColor=fill)
        if wrap:
            proto.alignment = WRAP
        elif centred:
            proto.alignment = Alignment(horizontal="center")
        if border:
            proto.border = BORDER
        cache[key] = proto._style
    return cache[key]


def _level_fill(value):
    if isinstance(value, (scoring.Level, scoring.FinalClass)):
        return LEVEL_FILLS.get(value.value)
    return None


def _header_cell(ws, text):
    c = WriteOnlyCell(ws, value=str(text))
    c.font, c.fill, c.alignment, c.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGN, BORDER
    return c


def new_workbook():
    return Workbook(write_only=True)


def _fit_widths(columns, rows):
    widths = []
    for index, column in enumerate(columns):
        if column.width:
            widths.append(column.width)
            continue
        longest = display_width(column.header)
        for row in rows:
            value = _plain(row[index], column.kind) if index < len(row) else None
            if value is None:
                continue
            if column.kind == "percent":
                shown = 7
            elif isinstance(value, float):
                shown = len(f"{value:,.1f}")
            elif isinstance(value, int):
                shown = len(f"{value:,}")
            else:
                shown = display_width(value)
            longest = max(longest, shown)
        # Room for the autofilter arrow; long text wraps instead of widening forever.
        widths.append(min(max(longest + 3, 6), 60))
    return widths


def print_setup(ws, *, title_rows="1:1", footer=""):
    """A4 landscape, header rows repeated on every page, fitted to the page width."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    if footer:
        ws.HeaderFooter.oddFooter.left.text = safe_text(footer).replace("&", "&&")
    ws.HeaderFooter.oddFooter.right.text = _("第 &P 页，共 &N 页")


def table_sheet(wb, title, columns, rows, *, footer="", note=None, fit=True, styled=True):
    """Write a table: one header row (frozen, filtered, repeated when printed), then rows.

    rows: an iterable of sequences, one value per column. A list is measured to fit the
    column widths; a generator streams with the columns' fixed widths, in constant memory.
    A trailing `note` (e.g. a total or a suppression remark) sits below the filtered range.
    `styled=False` writes the values as they are, for bulk data already made safe with
    `safe_text` (styling each cell triples the cost of a million-row sheet).
    Returns the number of data rows written.
    """
    title = str(title)
    ws = wb.create_sheet(title=title[:31])
    print_setup(ws, footer=footer or title)  # before any row: write-only mode writes sheetPr first
    materialised = isinstance(rows, (list, tuple))
    widths = (
        _fit_widths(columns, rows) if materialised and fit
        else [c.width or max(display_width(c.header) + 3, 10) for c in columns]
    )
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, c.header) for c in columns])
    count = 0
    for row in rows:
        ws.append([cell(ws, v, c.kind, wrap=c.wrap) for c, v in zip(columns, row)] if styled else row)
        count += 1
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{count + 1}"
    if note:
        ws.append([])
        for line in note if isinstance(note, list) else [note]:
            if isinstance(line, (list, tuple)):
                ws.append([cell(ws, v, c.kind, bold=True) for c, v in zip(columns, line)])
            else:
                ws.append([cell(ws, line, border=False)])
    return count


def notes_sheet(wb, title, heading, pairs, *, footer=""):
    """A two-column sheet of labelled values (项目 / 内容), with a title line on top."""
    title = str(title)
    ws = wb.create_sheet(title=title[:31])
    print_setup(ws, title_rows="1:2", footer=footer or title)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90
    title_cell = cell(ws, heading, border=False)
    title_cell.font = TITLE_FONT
    ws.append([title_cell])
    ws.append([_header_cell(ws, _("项目")), _header_cell(ws, _("内容"))])
    ws.freeze_panes = "A3"
    for label, value, *kind in pairs:
        ws.append([
            cell(ws, label, bold=True),
            cell(ws, value, kind[0] if kind else "text", wrap=isinstance(value, (str, Promise))),
        ])
    return ws
