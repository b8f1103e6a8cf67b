"""The unit registry as a spreadsheet, keyed by unit code.

Import is all or nothing: every row is checked first and every problem is reported by row
number in Chinese; only a clean file is written. Rows equal to what is stored change nothing,
so importing the same file twice is harmless.
"""

from dataclasses import dataclass, field
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook, load_workbook

from audit.services import audit_record, diff

from .models import Unit, UnitGroup, UnitKind
from .services import UNIT_FIELDS, _values

# The Chinese source texts; written and read in the language of the page (_headers).
HEADERS = [gettext_noop("单位代码"), gettext_noop("单位名称"), gettext_noop("简称"), gettext_noop("单位类别"),
           gettext_noop("分组"), gettext_noop("排序"), gettext_noop("启用")]
YES_WORDS, NO_WORDS = [gettext_noop("是"), gettext_noop("启用")], [gettext_noop("否"), gettext_noop("停用")]
YES_CODES, NO_CODES = {"1", "true", "True", "TRUE", "Y", "y"}, {"0", "false", "False", "FALSE", "N", "n"}


def _every_language(make):
    """make() in each offered language: the file is written in the language of the page
    that downloads it, and read back from a page in any language."""
    out = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.append(make())
    return out


def _headers():
    return [_(h) for h in HEADERS]


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    updated: dict = field(default_factory=dict)  # code -> {field: [before, after]}
    unchanged: int = 0
    groups_created: list = field(default_factory=list)


def units_export(queryset=None):
    """An .xlsx workbook (bytes) of the units, in the format the import reads."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("被测评单位")
    sheet.append(_headers())
    for unit in (queryset if queryset is not None else Unit.objects.all()).select_related("group"):
        sheet.append([unit.code, unit.name, unit.short_name, str(unit.get_kind_display()),
                      unit.group.name, unit.order, _("是") if unit.is_active else _("否")])
    for column, width in zip("ABCDEFG", (12, 30, 14, 20, 14, 8, 8)):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(data):
    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a file that is not .xlsx
        raise ValidationError([_("无法读取文件，请上传 .xlsx 格式的表格。")], code="unreadable") from exc
    rows = list(book.active.iter_rows(values_only=True))
    if not rows or [_text(c) for c in rows[0][: len(HEADERS)]] not in _every_language(_headers):
        raise ValidationError(
            [_("第 1 行应为表头：%(headers)s。") % {"headers": "、".join(_headers())}], code="bad_header"
        )
    return [(number, [_text(c) for c in (row + (None,) * len(HEADERS))[: len(HEADERS)]])
            for number, row in enumerate(rows[1:], start=2) if any(_text(c) for c in row)]


def _parse(rows):
    """Check every row; return (parsed rows, new groups) or raise with all messages."""
    errors, parsed, seen = [], [], {}
    kind_by_label = {}
    for labels in _every_language(lambda: {str(label): value for value, label in UnitKind.choices}):
        kind_by_label |= labels
    yes = YES_CODES | {w for words in _every_language(lambda: [_(w) for w in YES_WORDS]) for w in words}
    no = NO_CODES | {w for words in _every_language(lambda: [_(w) for w in NO_WORDS]) for w in words}
    groups = {g.name: g for g in UnitGroup.objects.all()}
    new_groups = {}
    for number, (code, name, short_name, kind_label, group_name, order, active) in rows:
        problems = []
        kind = kind_by_label.get(kind_label) or (kind_label if kind_label in UnitKind.values else None)
        if not code:
            problems.append(_("缺少单位代码"))
        elif code in seen:
            problems.append(_("单位代码 %(code)s 与第 %(seen)s 行重复") % {"code": code, "seen": seen[code]})
        if not name:
            problems.append(_("缺少单位名称"))
        if kind is None:
            problems.append(_("单位类别“%(kind_label)s”无效，应为“区县(自治县)”或“市级部门(人民团体)”") % {"kind_label": kind_label})
        if not group_name:
            problems.append(_("缺少分组"))
        elif kind:
            group_kind = groups[group_name].kind if group_name in groups else new_groups.get(group_name, kind)
            if group_kind != kind:
                problems.append(_("分组“%(group_name)s”属于另一类单位") % {"group_name": group_name})
            elif group_name not in groups:
                new_groups[group_name] = kind
        try:
            order_value = int(order or 0)
            if order_value < 0:
                raise ValueError
        except ValueError:
            problems.append(_("排序“%(order)s”应为非负整数") % {"order": order})
            order_value = 0
        if active and active not in yes | no:
            problems.append(_("启用“%(active)s”应为“是”或“否”") % {"active": active})
        if code:
            seen.setdefault(code, number)
        values = {"code": code, "name": name, "short_name": short_name or name[:30], "kind": kind,
                  "group_name": group_name, "order": order_value, "is_active": active not in no}
        if not problems:
            unit = Unit(**{k: v for k, v in values.items() if k != "group_name"},
                        group=groups.get(group_name) or UnitGroup(name=group_name, kind=kind))
            try:
                # The group may not exist yet; uniqueness is by design an update, not an error.
                unit.full_clean(exclude=["group"], validate_unique=False)
            except ValidationError as exc:
                problems += exc.messages
        if problems:
            errors.append(_("第 %(number)s 行：") % {"number": number} + "；".join(p.rstrip("。") for p in problems) + "。")
        else:
            parsed.append(values)
    if errors:
        raise ValidationError(errors, code="bad_rows")
    return parsed, new_groups


@transaction.atomic
def units_import(*, data, actor, source=""):
    """Create or update units from an .xlsx file (bytes); all or nothing."""
    parsed, new_groups = _parse(_read_rows(data))
    result = ImportResult()
    groups = {g.name: g for g in UnitGroup.objects.all()}
    for name, kind in new_groups.items():
        groups[name] = UnitGroup.objects.create(name=name, kind=kind)
        result.groups_created.append(name)
    existing = {u.code: u for u in Unit.objects.select_related("group")}
    for values in parsed:
        values["group"] = groups[values.pop("group_name")]
        unit = existing.get(values["code"])
        before = _values(unit, UNIT_FIELDS) if unit else None
        if unit is None:
            unit = Unit(**values)
        elif all(before[k] == v for k, v in values.items()):
            result.unchanged += 1
            continue
        else:
            for key, value in values.items():
                setattr(unit, key, value)
        unit.full_clean()
        unit.save()
        if before:
            result.updated[unit.code] = diff(before, _values(unit, UNIT_FIELDS))
        else:
            result.created.append(unit.code)
    if result.created or result.updated or result.groups_created:
        audit_record(
            actor=actor, action="unit.import", source=source, object_repr="单位名册导入",
            changes={"created": result.created, "updated": result.updated,
                     "groups_created": result.groups_created, "unchanged": result.unchanged},
        )
    return result
