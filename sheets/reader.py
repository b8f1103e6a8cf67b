"""The one way to read an uploaded spreadsheet into typed rows.

    COLUMNS = [Column("单位代码", key="code", max_length=20, unique=True),
               Column("排序", key="order", kind="int", required=False, min_value=0, default=0)]
    try:
        table = read_table(upload, COLUMNS, sheet="被测评单位")
    except SheetRefused as refusal:     # the file as a whole: not an .xlsx, too big, bad header
        ... refusal.messages
    for row in table.rows:              # Row: a dict by key, with .number (the sheet's row)
        if problem: table.error(row, "code", "……")   # the caller's own checks, same format
    if table.errors: ... table.messages()            # grouped, capped, in Chinese

Rules (docs/spreadsheets.md): the sheet named `sheet` if present, else the first; the header
is the first row with a known column name (rows above it are titles); columns matched by
name after normalisation, in any order; missing required and unknown columns refused by name;
empty rows skipped; formulas, error values, merged cells, dates where text is expected and
numbers where whole numbers are expected each have their own message.
"""

import datetime as dt
from django.utils.translation import gettext as _
import logging
import re
import warnings
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from credibility.text import clauses, sentence, series

from . import limits as limits_module
from .archive import SheetRefused, check_archive
from .text import fold, shorten, tidy

__all__ = ["Column", "Row", "Table", "CellError", "SheetRefused", "read_table", "read_upload"]

log = logging.getLogger(__name__)

KINDS = ("text", "int", "bool", "choice")
# Words read as yes / no in any language the files are written in (bool cells say 是/否 or Yes/No).
TRUE_WORDS = {"是", "启用", "有效", "y", "yes", "true", "1", "√", "✓", "对"}
FALSE_WORDS = {"否", "停用", "无效", "n", "no", "false", "0", "×", "✗", "错"}
HEADER_SEARCH_ROWS = 10
_HEADER_NOISE = re.compile(r"[*＊]|[(（]必填[)）]|\(required\)")
_INTEGER = re.compile(r"^[+-]?\d+(?:\.0*)?$")


@dataclass(frozen=True)
class Column:
    """One column an import reads.

    kind: text | int | bool | choice. required: the column must be present and every row
    must fill it; otherwise a missing column or an empty cell gives `default`.
    blank: a required column whose cells may be left empty (`default`), e.g. an item a
    respondent may abstain from: the column must be there, its cells need not be filled.
    choices (kind choice): {label: value}; labels are matched loosely (full/half width,
    spaces, look-alike punctuation, case), and each value also matches itself.
    nfkc (kind text): normalise full-width forms (NFKC); spaces are always collapsed.
    """

    header: str
    key: str | None = None
    kind: str = "text"
    required: bool = True
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: Any = None
    aliases: tuple = ()
    default: Any = None
    unique: bool = False
    nfkc: bool = True
    blank: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if self.key is None:
            object.__setattr__(self, "key", self.header)

    @property
    def names(self):
        return (str(self.header), *map(str, self.aliases))

    def choice_map(self):
        mapping = {}
        for label, value in dict(self.choices or {}).items():
            mapping.setdefault(fold(label), value)
            mapping.setdefault(fold(value), value)
        return mapping

    def choice_labels(self):
        seen, labels = set(), []
        for label, value in dict(self.choices or {}).items():
            if value not in seen:
                seen.add(value)
                labels.append(str(label))  # a lazy label, said in the current language
        return labels


class Row(dict):
    """One data row: values by column key; `number` is its row number in the sheet."""

    def __init__(self, number, values=()):
        super().__init__(values)
        self.number = number


@dataclass
class CellError:
    row: int
    column: str  # letter, "" for a row-level error
    header: str
    value: Any
    message: str

    def location(self):
        where = _(" %(column)s 列") % {"column": self.column} if self.column else ""
        return where + (_("（%(header)s）") % {"header": self.header} if self.header else "")


@dataclass
class Table:
    rows: list
    errors: list = field(default_factory=list)
    sheet: str = ""
    header_row: int = 1
    positions: dict = field(default_factory=dict)  # key -> (letter, header as found)
    limits: Any = None

    @property
    def ok(self):
        return not self.errors

    def error(self, row, key, message, value=None):
        """Add the caller's own problem with a row (`key` None for the row as a whole)."""
        number = row.number if isinstance(row, Row) else int(row)
        letter, header = self.positions.get(key, ("", "")) if key else ("", "")
        self.errors.append(CellError(number, letter, header, value, message))

    def messages(self, limit=None):
        """Errors in sheet order; identical ones grouped ("第 5、7–9 行 D 列（单位类别）：…").

        At most `limit` lines (MAX_MESSAGES by default), then a count of what was left out.
        """
        limit = limit or (self.limits or limits_module.current()).max_messages
        return group_messages(self.errors, limit)


def group_messages(errors, limit):
    groups = {}
    for error in errors:
        groups.setdefault((error.column, error.header, error.message), []).append(error.row)
    ordered = sorted(groups.items(), key=lambda item: (min(item[1]), item[0][0]))
    lines = []
    for (column, header, message), rows in ordered[:limit]:
        where = CellError(0, column, header, None, "").location()
        lines.append(_("第 %(rows)s 行%(where)s：%(message)s") % {"rows": _row_list(rows), "where": where, "message": message})
    if len(ordered) > limit:
        rest = sum(len(rows) for _, rows in ordered[limit:])
        lines.append(_("……另有 %(rest)s 处错误未列出（共 %(errors)s 处）。请先改正以上错误再上传。") % {"rest": format(rest, ","), "errors": format(len(errors), ",")})
    return lines


def _row_list(numbers, shown=12):
    numbers = sorted(set(numbers))
    runs, start, prev = [], numbers[0], numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}–{prev}" if prev > start + 1 else series((start, prev)))
        if n is not None:
            start = prev = n
    if len(runs) > shown:
        return series(runs[:shown]) + _(" 等 %(numbers)s") % {"numbers": format(len(numbers), ",")}
    return series(runs)


def header_key(text):
    """A header as compared: NFKC, no spaces, no required-marks such as * or （必填）."""
    return "".join(_HEADER_NOISE.sub("", tidy(text)).split()).casefold()


def read_upload(upload, limits):
    """The bytes of an upload (bytes, a file object or a Django UploadedFile), size-checked."""
    if isinstance(upload, (bytes, bytearray)):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > limits.max_upload_bytes:
            raise SheetRefused(_too_large(size, limits))
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limits.max_upload_bytes + 1)
    if len(data) > limits.max_upload_bytes:
        raise SheetRefused(_too_large(len(data), limits))
    return data


def _too_large(size, limits):
    return (_("文件过大（%(count)s MB），上限 %(count2)s MB。请删除不需要的工作表、图片和格式，或分成几个文件导入。") % {"count": format(size / (1024 * 1024), ",.1f"), "count2": format(limits.max_upload_bytes / (1024 * 1024), ",.0f")})


def read_table(upload, columns, sheet=None, *, limits=None):
    """Read one sheet of an .xlsx upload into a Table; raise SheetRefused for the file itself."""
    limits = limits or limits_module.current()
    data = read_upload(upload, limits)
    chosen, scan, _parts = check_archive(data, limits, sheet)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
            archive, ws = _open_sheet(data, chosen)
    except SheetRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a malformed part
        log.info("workbook refused by openpyxl: %r", exc)
        raise SheetRefused(_("文件内容有误，无法按 Excel 工作簿读取。请在 Excel 中打开并重新保存后再上传。"))
    try:
        ws.reset_dimensions()  # a lying <dimension> must not make it pad rows to 16,384 columns
        return _SheetReader(ws, columns, scan, limits).read()
    except SheetRefused:
        raise
    except Exception as exc:
        log.info("sheet refused while reading: %r", exc)
        raise SheetRefused(_("文件内容有误，读取到一半无法继续。请在 Excel 中打开并重新保存后再上传。"))
    finally:
        archive.close()


class _ScannedSheet(ReadOnlyWorksheet):
    """openpyxl's streaming sheet, without its size probe.

    When openpyxl opens a book it probes every sheet for its <dimension>, and a sheet
    without one (openpyxl's own write-only files have none) is parsed whole just to find
    out. The scan has already bounded this sheet, and the dimension is not trusted anyway.
    """

    def _get_size(self):
        pass


def _open_sheet(data, chosen):
    """openpyxl's reader, opening only the parts a read-only sheet needs: the workbook,
    the shared strings, the styles (for dates) and the chosen sheet - no other sheet, no
    theme, no charts. (openpyxl is pinned to 3.1 in pyproject.toml for these steps.)"""
    reader = ExcelReader(BytesIO(data), read_only=True, data_only=False, keep_links=False)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
    except Exception:
        reader.archive.close()
        raise
    return reader.archive, _ScannedSheet(reader.wb, chosen.name, chosen.path, reader.shared_strings)


class _SheetReader:
    def __init__(self, ws, columns, scan, limits):
        self.ws, self.columns, self.scan, self.limits = ws, list(columns), scan, limits
        self.title = ws.title
        self.errors = []
        self.consumed = 0

    def read(self):
        rows = self.ws.iter_rows()
        header_row, header_cells = self._find_header(rows)
        self._map_header(header_row, header_cells)
        table = Table(rows=[], errors=self.errors, sheet=self.title, header_row=header_row,
                      positions={c.key: (get_column_letter(i + 1), self.found[c.key])
                                 for i, c in self.position.items()},
                      limits=self.limits)
        self._merged_errors(header_row)
        for number, cells in enumerate(rows, start=self.consumed + 1):
            if number > self.limits.max_rows:
                break  # the scan found nothing with content below the limit
            self._row(table, number, cells)
        if not table.rows and not self.errors:
            raise SheetRefused(_("工作表“%(title)s”只有表头，没有数据行。") % {"title": self.title})
        self._check_unique(table)
        return table

    # -- header --------------------------------------------------------------------------

    def _find_header(self, rows):
        """The first row naming a known column, among the first non-empty rows; rows above
        it are titles. If none names one, the first non-empty row (to report what is missing).
        """
        known = {header_key(name) for c in self.columns for name in c.names}
        first = None
        looked = 0
        for number, cells in enumerate(rows, start=1):
            self.consumed = number
            if number > self.limits.max_rows:
                break
            texts = [header_key(c.value) for c in cells if not _empty(c.value)]
            if not texts:
                continue
            if any(t in known for t in texts):
                return number, cells
            first = first or (number, cells)
            looked += 1
            if looked >= HEADER_SEARCH_ROWS:
                break
        if first is None:
            raise SheetRefused(_("工作表“%(title)s”是空的：没有表头，也没有数据。") % {"title": self.title})
        return first

    def _map_header(self, number, cells):
        for first_col, first_row, last_col, last_row, ref in self.scan.merged:
            if first_row <= number <= last_row:
                raise SheetRefused(_("表头 %(ref)s 是合并单元格。请取消合并，每列一个表头。") % {"ref": ref})
        by_name = {}
        for column in self.columns:
            for name in column.names:
                by_name.setdefault(header_key(name), column)
        self.position = {}  # cell index -> Column
        self.found = {}  # key -> header as written
        seen, extra, duplicated = {}, [], []
        for index, cell in enumerate(cells):
            letter = get_column_letter(index + 1)
            if getattr(cell, "data_type", None) == "f":
                raise SheetRefused(_("表头 %(letter)s%(number)s 是公式，请把表头改为直接输入的文字。") % {"letter": letter, "number": number})
            if _empty(cell.value):
                continue
            text = tidy(cell.value, nfkc=False)  # quoted in messages as the clerk wrote it
            column = by_name.get(header_key(text))
            if column is None:
                extra.append(_("%(letter)s 列“%(name)s”") % {"letter": letter, "name": shorten(text, 20)})
            elif column.key in seen:
                duplicated.append(_("%(seen)s 列和 %(letter)s 列都是“%(header)s”") % {"seen": seen[column.key], "letter": letter, "header": column.header})
            else:
                seen[column.key] = letter
                self.position[index] = column
                self.found[column.key] = text
        missing = [str(c.header) for c in self.columns if c.required and c.key not in seen]
        problems = []
        where = _("（表头在第 %(number)s 行）") % {"number": number} if number != 1 else ""
        if missing:
            problems.append(_("缺少列：%(problems)s%(where)s。") % {"problems": series(missing), "where": where})
        if extra:
            problems.append(_("多出不认识的列：%(problems)s。请删除这些列，或检查列名是否写错。") % {"problems": series(extra)})
        if duplicated:
            problems.append(_("重复的列：%(problems)s。") % {"problems": clauses(duplicated)})
        if problems:
            problems.append(sentence(_("本表可用的列：") + series(
                str(c.header) + ("" if c.required else _("（可省略）")) for c in self.columns)))
            raise SheetRefused(problems)

    def _merged_errors(self, header_row):
        self.covered = set()  # (row, column index) inside a merged range, below the header
        for first_col, first_row, last_col, last_row, ref in self.scan.merged:
            if last_row <= header_row:
                continue
            top = max(first_row, header_row + 1)
            for col in range(first_col, last_col + 1):
                column = self.position.get(col - 1)
                for row in range(top, last_row + 1):
                    self.covered.add((row, col - 1))
                    self.errors.append(CellError(
                        row, get_column_letter(col), column.header if column else "",
                        None, _("合并单元格 %(ref)s：请取消合并，在每一行分别填写。") % {"ref": ref}))

    # -- rows ----------------------------------------------------------------------------

    def _row(self, table, number, cells):
        if not any(not _empty(c.value) for c in cells):
            return
        row = Row(number)
        for index, column in self.position.items():
            cell = cells[index] if index < len(cells) else None
            row[column.key] = self._cell(number, index, column, cell)
        for column in self.columns:
            if column.key not in row:
                row[column.key] = column.default
        for index, cell in enumerate(cells):
            # Named columns that are not ours were refused with the header: this one has none.
            if index not in self.position and not _empty(cell.value):
                self._add(number, index, "", cell.value, _("这一列没有表头，却有内容。请删除它，或补上表头。"))
        table.rows.append(row)

    def _add(self, number, index, header, value, message):
        self.errors.append(CellError(number, get_column_letter(index + 1), header, value, message))

    def _cell(self, number, index, column, cell):
        value = None if cell is None else cell.value
        if (number, index) in self.covered:
            return column.default
        bad = lambda message: self._add(number, index, column.header, value, message)  # noqa: E731
        data_type = getattr(cell, "data_type", None)
        if data_type == "f":
            bad(_("是公式“%(name)s”。请改为直接填写的值（可复制后“选择性粘贴 → 数值”）。") % {"name": shorten(value, 30)})
            return None
        if data_type == "e":
            bad(_("显示错误值 %(value)s。请改为有效的内容。") % {"value": value})
            return None
        if isinstance(value, str):
            value = tidy(value, nfkc=column.nfkc or column.kind != "text")
        if _empty(value):
            if column.required and not column.blank:
                bad(_("不能为空。"))
            return column.default
        converted, message = CONVERTERS[column.kind](column, value)
        if message:
            bad(message)
            return None
        return converted

    def _check_unique(self, table):
        for column in self.columns:
            if not column.unique:
                continue
            first = {}
            for row in table.rows:
                value = row.get(column.key)
                if _empty(value):
                    continue
                if value in first:
                    table.error(row, column.key, _("“%(name)s”与第 %(first)s 行重复。") % {"name": shorten(value), "first": first[value]}, value)
                else:
                    first[value] = row.number


def _empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _is_temporal(value):
    return isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta))


def _shown(value):
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def _to_text(column, value):
    if isinstance(value, bool):
        return None, _("是逻辑值 %(value)s，此列应填文字。") % {"value": 'TRUE' if value else 'FALSE'}
    if _is_temporal(value):
        return None, (_("是日期或时间（%(shown)s），此列应填文字。若确要填写这样的文字，请先把单元格设为“文本”格式再输入。") % {"shown": _shown(value)})
    if isinstance(value, float):
        value = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, int):
        value = str(value)
    if column.max_length and len(value) > column.max_length:
        return None, _("“%(name)s”有 %(value)s 个字，超过 %(max_length)s 个字的上限。") % {"name": shorten(value), "value": len(value), "max_length": column.max_length}
    return value, None


def _to_int(column, value):
    if isinstance(value, bool) or _is_temporal(value):
        if _is_temporal(value):
            return None, _("是日期（%(value)s），此列应填整数。") % {"value": _shown(value)}
        return None, _("是逻辑值（%(value)s），此列应填整数。") % {"value": _shown(value)}
    if isinstance(value, float):
        if not value.is_integer():
            return None, _("“%(value)s”不是整数。") % {"value": format(value, "g")}
        value = int(value)
    elif isinstance(value, str):
        compact = value.replace(",", "").replace(" ", "")
        if not _INTEGER.match(compact):
            return None, _("“%(name)s”不是整数。") % {"name": shorten(value)}
        value = int(compact.split(".")[0])
    if column.min_value is not None and value < column.min_value:
        return None, _("%(value)s 小于下限 %(min_value)s。") % {"value": value, "min_value": column.min_value}
    if column.max_value is not None and value > column.max_value:
        return None, _("%(value)s 大于上限 %(max_value)s。") % {"value": value, "max_value": column.max_value}
    return value, None


def _to_bool(column, value):
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value), None
    word = fold(value) if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        return False, None
    return None, _("“%(name)s”应填“是”或“否”。") % {"name": shorten(_shown(value))}


def _to_choice(column, value):
    if _is_temporal(value) or isinstance(value, bool):
        return None, _("“%(shown)s”不是可选的%(header)s。可填：%(problems)s。") % {"shown": _shown(value), "header": column.header, "problems": series(column.choice_labels())}
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    found = column.choice_map().get(fold(value))
    if found is None:
        return None, _("“%(name)s”不是可选的%(header)s。可填：%(problems)s。") % {"name": shorten(value), "header": column.header, "problems": series(column.choice_labels())}
    return found, None


CONVERTERS = {"text": _to_text, "int": _to_int, "bool": _to_bool, "choice": _to_choice}
