"""The audit trail as an .xlsx workbook, for archiving (全程记实)."""

import json
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook

HEADERS = ["时间", "操作人", "操作", "对象类型", "对象编号", "对象", "来源", "变更内容"]


def audit_export(queryset):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("全程记实")
    sheet.append(HEADERS)
    for entry in queryset.iterator(chunk_size=2000):
        sheet.append([
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"), entry.actor_name, entry.action,
            entry.object_type, entry.object_id, entry.object_repr, entry.source,
            json.dumps(entry.changes, ensure_ascii=False) if entry.changes else "",
        ])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
