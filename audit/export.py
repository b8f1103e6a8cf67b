"""The audit trail as an .xlsx workbook, for archiving (全程记实).

Written through sheets.writer: times are real date-time cells, object numbers are numbers,
and whatever text an entry holds (a unit renamed "=1+1") stays text.
"""

import json

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sheets.writer import Column, download_name, new_workbook, write_table

TITLE = _("全程记实")
COLUMNS = [
    Column(_("时间"), "datetime"),
    Column(_("操作人")),
    Column(_("操作")),
    Column(_("对象类型")),
    Column(_("对象编号"), "number"),
    Column(_("对象"), width=30, wrap=True),
    Column(_("来源")),
    Column(_("变更内容"), width=60, wrap=True),
]
HEADERS = [c.header for c in COLUMNS]


def _rows(queryset):
    for entry in queryset.iterator(chunk_size=2000):
        object_id = entry.object_id
        yield [
            timezone.localtime(entry.at).replace(tzinfo=None), entry.actor_name, entry.action,
            entry.object_type, int(object_id) if object_id.isdigit() and len(object_id) < 16 else object_id or None,
            entry.object_repr, entry.source,
            json.dumps(entry.changes, ensure_ascii=False) if entry.changes else None,
        ]


def audit_workbook(queryset, *, title=TITLE):
    """A write-only workbook of the entries, in the house style; memory stays flat."""
    book = new_workbook()
    write_table(book, TITLE, COLUMNS, _rows(queryset), footer=title, key_columns=1)
    return book


def audit_filename(since=None, until=None):
    """全程记实-2026-01-01至2026-03-31.xlsx, or with the day of export when unfiltered."""
    if since or until:
        span = _("%(start)s至%(end)s") % {"start": since.isoformat() if since else '', "end": until.isoformat() if until else timezone.localdate().isoformat()}
        return download_name(TITLE, span)
    return download_name(TITLE, timezone.localdate())


def audit_export(queryset):
    """The workbook as bytes (kept for callers that want bytes)."""
    from sheets.writer import workbook_bytes

    return workbook_bytes(audit_workbook(queryset))
