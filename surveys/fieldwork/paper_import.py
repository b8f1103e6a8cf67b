"""Paper ballots from a spreadsheet: the per-round template, and checking a whole file.

The whole file is checked before anything is stored, and every bad cell is reported by
row and column, so staff fix the file once instead of importing it half.
"""

import io
import zipfile
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from surveys.ballots import OPINION_MAX_LENGTH
from surveys.models import ItemKind

UNIT_HEADER = gettext_lazy("单位代码")
CATEGORY_HEADER = gettext_lazy("参评人员类别")
OPINION_HEADER = gettext_lazy("意见建议")
MAX_ERRORS_SHOWN = 200


class ImportRefused(Exception):
    def __init__(self, errors):
        super().__init__("；".join(errors[:3]))
        self.errors = errors


@dataclass
class Row:
    number: int
    round_unit: object
    category: object
    answers: dict
    opinion: str


def columns(round_):
    """[(header, item or a marker)] in template order."""
    cols = [(str(UNIT_HEADER), "unit"), (str(CATEGORY_HEADER), "category")]
    cols += [(item.text, item) for item in round_.items.rated().order_by("order", "pk")]
    if round_.items.filter(kind=ItemKind.OPINION).exists():
        cols.append((str(OPINION_HEADER), "opinion"))
    return cols


def _categories(round_):
    return [rc.category for rc in round_.round_categories.select_related("category")]


def template_workbook(round_):
    """An .xlsx with the header row and a sheet explaining codes, categories and options."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("纸质票")
    for index, (header, _what) in enumerate(columns(round_), start=1):
        sheet.cell(row=1, column=index, value=header).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = 14 if index <= 2 else 18
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(_("填写说明"))
    notes.append([_("%(name)s：每行一张纸质票；空白的分项指标视为弃权，两项总体评价必填。") % {"name": round_.name}])
    notes.append([_("选项（填文字或序号均可）")])
    for option in round_.scale_def.options:
        notes.append([option.value, option.label])
    notes.append([_("参评人员类别（填名称或序号均可）")])
    for number, category in enumerate(_categories(round_), start=1):
        notes.append([number, category.name])
    notes.append([_("单位代码")])
    for ru in round_.round_units.select_related("unit"):
        notes.append([ru.unit.code, ru.unit.name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _open(upload):
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise ImportRefused([_("文件过大（上限 %(count)s KB）。") % {"count": settings.IMPORT_MAX_BYTES // 1024}])
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        raise ImportRefused([_("文件不是有效的 Excel 工作簿（.xlsx），请用下载的模板填写。")])


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse(round_, upload):
    """Check a whole file and return its Rows; raise ImportRefused listing every problem."""
    table = _open(upload)
    while table and not any(_text(v) for v in table[-1]):
        table.pop()
    if not table:
        raise ImportRefused([_("文件是空的：没有表头，也没有纸质票数据。")])
    header = [_text(v) for v in table[0]]
    while header and not header[-1]:
        header.pop()
    cols = columns(round_)
    expected = [name for name, _ in cols]
    missing = [name for name in expected if name not in header]
    extra = [name or _("%(column)s 列（无表头）") % {"column": get_column_letter(i + 1)} for i, name in enumerate(header) if name not in expected]
    duplicated = [name for name, n in Counter(header).items() if n > 1 and name in expected]
    errors = []
    if missing:
        errors.append(_("缺少列：") + "、".join(missing) + _("。请使用本轮的导入模板。"))
    if extra:
        errors.append(_("多出列：") + "、".join(extra) + _("。请使用本轮的导入模板。"))
    if duplicated:
        errors.append(_("重复的列：") + "、".join(duplicated) + "。")
    if errors:
        raise ImportRefused(errors)
    position = {name: header.index(name) for name in expected}
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(_text(v) for v in row)]
    if not body:
        raise ImportRefused([_("文件中没有纸质票数据（只有表头）。")])

    units = {ru.unit.code: ru for ru in round_.round_units.select_related("unit")}
    categories = _categories(round_)
    by_name = {c.name: c for c in categories} | {str(n): c for n, c in enumerate(categories, 1)}
    scale = round_.scale_def
    rows = []
    for number, raw in body:
        def cell(name):
            index = position[name]
            return _text(raw[index]) if index < len(raw) else ""

        def bad(name, message):
            letter = get_column_letter(position[name] + 1)
            errors.append(_("第 %(number)s 行 %(letter)s 列（%(name)s）：%(message)s") % {"number": number, "letter": letter, "name": name, "message": message})

        unit_code = cell(UNIT_HEADER)
        round_unit = units.get(unit_code)
        if round_unit is None:
            bad(UNIT_HEADER, _("“%(unit_code)s”不是本轮参评单位的代码") % {"unit_code": unit_code} if unit_code else _("不能为空"))
        category = by_name.get(cell(CATEGORY_HEADER))
        if category is None:
            value = cell(CATEGORY_HEADER)
            bad(CATEGORY_HEADER, _("“%(value)s”不是本轮的参评人员类别") % {"value": value} if value else _("不能为空"))
        answers = {}
        for name, item in cols[2:]:
            if item == "opinion":
                continue
            value = cell(name)
            if not value:
                if item.required:
                    bad(name, _("必答题，不能为空"))
                answers[item.pk] = None
                continue
            option = scale.parse(value)
            if option is None:
                bad(name, _("“%(value)s”不是有效选项") % {"value": value})
            answers[item.pk] = option
        opinion = cell(OPINION_HEADER) if OPINION_HEADER in position else ""
        if len(opinion) > OPINION_MAX_LENGTH:
            bad(OPINION_HEADER, _("超过 %(limit)s 字") % {"limit": OPINION_MAX_LENGTH})
        rows.append(Row(number, round_unit, category, answers, opinion))

    per_unit = Counter(row.round_unit.pk for row in rows if row.round_unit)
    for round_unit in units.values():
        n = per_unit.get(round_unit.pk, 0)
        if n and round_unit.paper_ballots + n > round_unit.paper_forms_issued:
            errors.append(
                _("%(name)s：文件中有 %(n)s 张，已录入 %(paper_ballots)s 张，合计超过发出票数 %(paper_forms_issued)s（收回数不能超过发出数）。") % {"name": round_unit.unit.name, "n": n, "paper_ballots": round_unit.paper_ballots, "paper_forms_issued": round_unit.paper_forms_issued}
            )
    if errors:
        if len(errors) > MAX_ERRORS_SHOWN:
            errors = errors[:MAX_ERRORS_SHOWN] + [_("……另有 %(count)s 处错误未列出。") % {"count": len(errors) - MAX_ERRORS_SHOWN}]
        raise ImportRefused(errors)
    return rows
