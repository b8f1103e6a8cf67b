"""The unit registry as a spreadsheet, keyed by unit code.

Import is two steps and all or nothing: `units_plan` reads and checks the whole file
(sheets.reader: columns by name in any order, every problem by row and column) and says what
would be created, updated and left alone, which new groups would appear, and what looks like
a mistake (possible duplicates, look-alike names); `units_import` saves that plan in one
transaction, refusing if the registry changed since the plan was shown. Rows equal to what
is stored change nothing, so importing the registry's own export changes nothing.

Names are stored tidied (NFKC, spaces collapsed); a stored name that differs from the file
only by such tidying counts as unchanged.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record, diff
from credibility.text import aside, clauses, series
from sheets.reader import Column, SheetRefused, read_table
from sheets.text import fold, shorten, tidy
from sheets.writer import Column as Out
from sheets.writer import new_workbook, write_notes, write_table

from .models import Unit, UnitGroup, UnitKind
from .services import UNIT_FIELDS, _values

SHEET = gettext_lazy("被测评单位")
NOTES_SHEET = gettext_lazy("填写说明")
KIND_LABELS = dict(UnitKind.choices)
# Every way clerks write the two kinds; matched loosely (full/half-width brackets, spaces).
KIND_CHOICES = [
    # The two labels in the language of the page that reads or writes the file, then the
    # Chinese words clerks use (accepted in every language).
    (UnitKind.DISTRICT.label, UnitKind.DISTRICT), (UnitKind.DEPARTMENT.label, UnitKind.DEPARTMENT),
    *((word, UnitKind.DISTRICT) for word in ("区县(自治县)", "区县", "区", "县", "自治县", "区县(含自治县)")),
    *((word, UnitKind.DEPARTMENT) for word in ("市级部门(人民团体)", "市级部门", "人民团体", "部门", "市直部门",
                                                "市级部门(含人民团体)")),
]


def _max_length(model, name):
    return model._meta.get_field(name).max_length


COLUMNS = [
    Column(gettext_lazy("单位代码"), key="code", max_length=_max_length(Unit, "code"), unique=True, aliases=("单位代码", "代码",)),
    Column(gettext_lazy("单位名称"), key="name", max_length=_max_length(Unit, "name"), aliases=("单位名称", "名称",)),
    Column(gettext_lazy("简称"), key="short_name", required=False, default="", max_length=_max_length(Unit, "short_name"),
           aliases=("简称", "单位简称",)),
    Column(gettext_lazy("单位类别"), key="kind", kind="choice", choices=KIND_CHOICES, aliases=("单位类别", "类别",)),
    Column(gettext_lazy("分组"), key="group", max_length=_max_length(UnitGroup, "name"), aliases=("分组", "分组名称", "单位分组")),
    Column(gettext_lazy("排序"), key="order", kind="int", required=False, default=0, min_value=0, max_value=999_999,
           aliases=("排序", "序号",)),
    Column(gettext_lazy("启用"), key="is_active", kind="bool", required=False, default=True, aliases=("启用", "是否启用", "状态")),
]
with translation.override("zh-hans"):  # the Chinese source headers; files use the page's language
    HEADERS = [str(c.header) for c in COLUMNS]
FIELD_LABELS = {c.key: c.header for c in COLUMNS}

# "重庆市渝中区" and "渝中区" name one unit: compare names without a leading city name.
_CITY_PREFIX = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}市|市)(?![委政级直属场民])(?=..)")


def name_key(name):
    """Names with the same key are flagged as possible duplicates."""
    return fold(_CITY_PREFIX.sub("", tidy(name)))


# --- export and template -----------------------------------------------------------------


def _export_columns(groups):
    return [
        Out(_("单位代码"), width=12),
        Out(_("单位名称")),
        Out(_("简称")),
        Out(_("单位类别"), choices=[str(label) for _value, label in UnitKind.choices]),
        Out(_("分组"), choices=[g.name for g in groups] or None, strict=False),
        Out(_("排序"), "number", width=8),
        Out(_("启用"), choices=[_("是"), _("否")], width=8),
    ]


def units_workbook(queryset=None, *, title=None):
    """The registry as a workbook the import reads back unchanged; an empty queryset makes
    the blank template. Drop-down lists for kind, group and 启用; a 填写说明 sheet."""
    title = title or _("被测评单位名册")
    groups = list(UnitGroup.objects.order_by("kind", "order", "name"))
    units = (queryset if queryset is not None else Unit.objects.all()).select_related("group")
    rows = (
        [u.code, u.name, u.short_name, u.get_kind_display(), u.group.name, u.order, _("是") if u.is_active else _("否")]
        for u in units.order_by("kind", "group__order", "order", "code").iterator(chunk_size=2000)
    )
    book = new_workbook()
    write_table(book, SHEET, _export_columns(groups), rows, footer=title, key_columns=2, input_rows=500)
    write_notes(book, NOTES_SHEET, _("%(title)s：填写说明") % {"title": title}, _notes(groups), footer=title)
    return book


def _notes(groups):
    kinds = series(label for _value, label in UnitKind.choices)
    pairs = [
        (_("用法"), _("在“%(sheet)s”工作表中每行填写一个单位；表头不可改名，列的顺序可以调整，不需要的可省略列为“简称”“排序”“启用”。") % {"sheet": SHEET}),
        (_("单位代码"), _("必填，只能包含字母、数字、下划线和连字符，最多 20 个字符。按代码匹配：已有的单位更新，没有的新建。")),
        (_("单位名称"), _("必填，最多 100 个字。全角字母数字、多余空格会自动规整。")),
        (_("简称"), _("可空（取单位名称的前 30 个字），最多 30 个字。")),
        (_("单位类别"), _("必填。可填：%(kinds)s。") % {"kinds": kinds}),
        (_("分组"), _("必填，最多 50 个字。填已有分组的名称；填新名称会新建分组，导入前会列出所有新分组请您确认。")),
        (_("排序"), _("可空（为 0），非负整数，同一分组内从小到大排列。")),
        (_("启用"), _("可空（为“是”）。填“是”或“否”；停用的单位保留历史记录，但不再列入新的测评。")),
        (_("导入"), _("上传后先显示将新增、更新、保持不变的单位和新分组，确认后才保存；任何一行有错误，整个文件都不导入。")),
    ]
    if groups:
        pairs.append((_("已有分组"), clauses(g.name + aside(KIND_LABELS[g.kind]) for g in groups)))
    return pairs


def units_export(queryset=None):
    """The registry workbook as bytes."""
    from sheets.writer import workbook_bytes

    return workbook_bytes(units_workbook(queryset))


# --- import: the plan --------------------------------------------------------------------


@dataclass
class PlannedUnit:
    number: int  # row in the sheet
    values: dict  # code, name, short_name, kind, order, is_active, group_name
    unit: Unit | None = None  # the stored unit it updates
    changes: dict = field(default_factory=dict)  # field -> (before, after), for display

    @property
    def change_list(self):
        """[(column header, before, after)] as shown to the user."""
        def shown(value):
            return {True: _("是"), False: _("否")}.get(value, value) if isinstance(value, bool) else value

        return [(FIELD_LABELS[name], shown(a), shown(b)) for name, (a, b) in self.changes.items()]


@dataclass
class ImportPlan:
    created: list = field(default_factory=list)  # [PlannedUnit]
    updated: list = field(default_factory=list)  # [PlannedUnit]
    unchanged: int = 0
    new_groups: dict = field(default_factory=dict)  # name -> kind
    warnings: list = field(default_factory=list)

    @property
    def has_changes(self):
        return bool(self.created or self.updated or self.new_groups)

    @property
    def new_group_list(self):
        counts = {}
        for planned in self.created + self.updated:
            counts[planned.values["group_name"]] = counts.get(planned.values["group_name"], 0) + 1
        return [(name, KIND_LABELS[kind], counts.get(name, 0)) for name, kind in self.new_groups.items()]

    @property
    def digest(self):
        """A fingerprint of what would be saved, to check nothing moved before saving it."""
        body = {
            "created": [p.values for p in self.created],
            "updated": [[p.unit.pk, p.values] for p in self.updated],
            "groups": sorted(self.new_groups.items()),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class PlanChanged(Exception):
    """The registry changed between the preview and the confirmation; here is the new plan."""

    def __init__(self, plan):
        super().__init__("the unit registry changed since the preview")
        self.plan = plan


class _Groups:
    """Resolve the group names of a file against the stored groups and each other."""

    def __init__(self, table, plan):
        self.table, self.plan = table, plan
        self.stored = list(UnitGroup.objects.all())
        self.exact = {g.name: g for g in self.stored}
        self.tidied = {tidy(g.name): g for g in self.stored}
        self.folded = {}
        for g in self.stored:
            self.folded.setdefault(fold(g.name), g)
        self.new_folded = {}  # fold -> first spelling of a new group in the file
        self.aliased = {}  # spelling in the file -> stored group, once warned

    def resolve(self, row):
        """The stored group, or the name of a new one; None after reporting an error."""
        name, kind = row["group"], row["kind"]
        group = self.exact.get(name) or self.tidied.get(name)
        if group is None and fold(name) in self.folded:
            group = self.folded[fold(name)]
            if name not in self.aliased:
                self.aliased[name] = group
                self.plan.warnings.append(
                    _("第 %(number)s 行起，分组“%(name)s”与已有分组“%(name2)s”只差标点、空格或全角/半角，按已有分组“%(name2)s”导入，不新建分组。") % {"number": row.number, "name": name, "name2": group.name}
                )
        if group is not None:
            if group.kind != kind:
                self.table.error(row, "group", _("分组“%(name)s”属于%(kind_labels)s，与本行的单位类别（%(kind_labels2)s）不符。") % {"name": shorten(group.name), "kind_labels": KIND_LABELS[group.kind], "kind_labels2": KIND_LABELS[kind]}, name)
                return None
            return group
        first = self.new_folded.setdefault(fold(name), name)
        if first != name:
            self.table.error(row, "group", _("新分组“%(name)s”与本文件中的“%(other)s”只差标点、空格或全角/半角，请统一写法。") % {"name": shorten(name), "other": shorten(first)}, name)
            return None
        known = self.plan.new_groups.setdefault(name, kind)
        if known != kind:
            self.table.error(row, "group", _("新分组“%(name)s”在本文件中既有区县又有市级部门；一个分组只能有一类单位。") % {"name": shorten(name)}, name)
            return None
        return name


def units_plan(upload):
    """Read and check a registry file; return what importing it would do.

    Raises SheetRefused with every problem (file, header, rows) when anything is wrong.
    """
    table = read_table(upload, COLUMNS, sheet=SHEET)
    plan = ImportPlan()
    groups = _Groups(table, plan)
    stored = {u.code: u for u in Unit.objects.select_related("group")}
    code_field = Unit._meta.get_field("code")
    resolved = []
    for row in table.rows:
        if row["code"]:
            try:
                code_field.run_validators(row["code"])
            except ValidationError as exc:
                table.error(row, "code", "".join(exc.messages), row["code"])
        resolved.append((row, groups.resolve(row) if row["group"] and row["kind"] else None))
    if table.errors:
        raise SheetRefused(table.messages())

    planned_rows = []
    for row, group in resolved:
        values = {
            "code": row["code"], "name": row["name"], "short_name": row["short_name"] or row["name"][:30],
            "kind": str(row["kind"]), "order": row["order"], "is_active": row["is_active"],
            "group_name": group if isinstance(group, str) else group.name,
        }
        planned_rows.append((row, PlannedUnit(row.number, values, stored.get(row["code"])), group))
    for row, planned, group in planned_rows:
        unit = planned.unit
        if unit is None:
            plan.created.append(planned)
            continue
        planned.changes = _changes(unit, planned.values, group)
        if planned.changes:
            plan.updated.append(planned)
        else:
            plan.unchanged += 1
    _flag_duplicates(plan, stored, planned_rows)
    return plan


def _changes(unit, values, group):
    changes = {}
    for name in ("name", "short_name"):
        if tidy(getattr(unit, name)) != values[name]:
            changes[name] = (getattr(unit, name), values[name])
    if unit.kind != values["kind"]:
        changes["kind"] = (KIND_LABELS.get(unit.kind, unit.kind), KIND_LABELS[values["kind"]])
    if isinstance(group, str) or group.pk != unit.group_id:
        changes["group"] = (unit.group.name, values["group_name"])
    for name in ("order", "is_active"):
        if getattr(unit, name) != values[name]:
            changes[name] = (getattr(unit, name), values[name])
    return changes


def _flag_duplicates(plan, stored, planned_rows):
    """Warn where a new or renamed unit's name looks like another unit's (city prefix,
    punctuation, spaces, width): likely the same unit under a second code."""
    by_key = {}
    for unit in stored.values():
        by_key.setdefault(name_key(unit.name), []).append(unit)
    by_case = {code.casefold(): code for code in stored}
    seen = {}
    for row, planned, _unused in planned_rows:
        values = planned.values
        key = name_key(values["name"])
        fresh = planned.unit is None or "name" in planned.changes
        warned = set()
        if fresh:
            for other in by_key.get(key, []):
                if other.code != values["code"]:
                    warned.add(other.code)
                    plan.warnings.append(
                        _("第 %(number)s 行“%(name)s”（%(code)s）可能与已有单位“%(other)s”（%(code2)s）是同一单位：名称只差市名前缀、标点、空格或全角/半角。") % {"number": row.number, "name": shorten(values['name']), "code": values['code'], "other": shorten(other.name), "code2": other.code}
                    )
        earlier = seen.get(key)
        if earlier and (fresh or earlier[2]) and earlier[1]["code"] not in (values["code"], *warned):
            plan.warnings.append(
                _("第 %(number)s 行“%(name)s”（%(code)s）与第 %(earlier)s 行“%(other)s”（%(code2)s）可能是同一单位：名称只差市名前缀、标点、空格或全角/半角。") % {"number": row.number, "name": shorten(values['name']), "code": values['code'], "earlier": earlier[0], "other": shorten(earlier[1]['name']), "code2": earlier[1]['code']}
            )
        seen.setdefault(key, (row.number, values, fresh))
        code = by_case.get(values["code"].casefold())
        if planned.unit is None and code and code != values["code"]:
            plan.warnings.append(
                _("第 %(number)s 行的单位代码“%(code)s”与已有单位的“%(code2)s”只差大小写，将作为新单位新增。") % {"number": row.number, "code": values['code'], "code2": code}
            )


# --- import: saving ----------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    updated: dict = field(default_factory=dict)  # code -> {field: [before, after]}
    unchanged: int = 0
    groups_created: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


@transaction.atomic
def units_import(*, data, actor, source="", expect=None, file_name=""):
    """Create or update units from an .xlsx file (bytes); all or nothing, audited.

    `expect`: the digest of the plan shown to the user; if the plan is now different (the
    registry changed meanwhile), nothing is saved and PlanChanged carries the new plan.
    """
    plan = units_plan(data)
    if expect is not None and plan.digest != expect:
        raise PlanChanged(plan)
    result = ImportResult(unchanged=plan.unchanged, warnings=plan.warnings)
    groups = {g.name: g for g in UnitGroup.objects.all()}
    for name, kind in plan.new_groups.items():
        last = UnitGroup.objects.filter(kind=kind).aggregate(m=Max("order"))["m"] or 0
        group = UnitGroup(name=name, kind=kind, order=last + 1)
        group.full_clean()
        group.save()
        groups[name] = group
        result.groups_created.append(name)
    for planned in plan.created + plan.updated:
        values = dict(planned.values)
        values["group"] = groups[values.pop("group_name")]
        unit = planned.unit
        before = _values(unit, UNIT_FIELDS) if unit else None
        if unit is None:
            unit = Unit(**values)
        else:
            for key, value in values.items():
                if key in ("name", "short_name") and key not in planned.changes:
                    continue  # differs only by tidying: left as stored
                setattr(unit, key, value)
        unit.full_clean()
        unit.save()
        if before:
            result.updated[unit.code] = diff(before, _values(unit, UNIT_FIELDS))
        else:
            result.created.append(unit.code)
    if plan.has_changes:
        audit_record(
            actor=actor, action="unit.import", source=source, object_repr="单位名册导入",
            changes={"created": result.created, "updated": result.updated,
                     "groups_created": result.groups_created, "unchanged": result.unchanged,
                     "warnings": len(plan.warnings), "file": file_name[:100]},
        )
    return result
