"""The audit trail as an .xlsx workbook, for archiving (全程记实)."""

import json
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

HEADERS = [gettext_lazy("时间"), gettext_lazy("操作人"), gettext_lazy("操作"), gettext_lazy("对象类型"),
           gettext_lazy("对象编号"), gettext_lazy("对象"), gettext_lazy("来源"), gettext_lazy("变更内容")]


def audit_export(queryset):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("全程记实"))
    sheet.append([str(h) for h in HEADERS])  # in the language of the request
    for entry in queryset.iterator(chunk_size=2000):
        sheet.append([
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"), entry.actor_name, entry.action,
            entry.object_type, entry.object_id, entry.object_repr, entry.source,
            json.dumps(entry.changes, ensure_ascii=False) if entry.changes else "",
        ])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
