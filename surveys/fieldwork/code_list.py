"""A batch's code list (测评码清单) as a workbook, for staff who hand codes out by other means
than the printed slips (a mail merge, a message to each respondent)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from sheets.writer import Column, download_name, new_workbook, write_notes, write_table
from surveys import codes
from surveys.models import CodeStatus

from .services import batch_codes


def code_list_workbook(batch, base_url):
    """Sheet 测评码 (number, code, link, status), and 说明 (round, unit, batch, counts).

    Portrait A4, four columns on one page width. The link is text, never a live hyperlink,
    and every name comes from users: the writer keeps it text whatever it starts with.
    """
    ru = batch.round_unit
    labels = dict(CodeStatus.choices)
    rows = []
    counts = {}
    for number, (code, status) in enumerate(batch_codes(batch), start=1):
        shown = codes.display(code) if code else _("（无法解密）")
        rows.append([number, shown, f"{base_url}?code={shown}" if code else "", labels.get(status, "")])
        counts[status] = counts.get(status, 0) + 1
    title = _("%(round)s %(unit)s 测评码 第 %(n)s 批") % {"round": ru.round.name, "unit": ru.unit.name, "n": batch.pk}
    book = new_workbook()
    columns = [
        Column(_("序号"), "number", width=6), Column(_("测评码"), width=16),
        Column(_("填写地址"), width=48), Column(_("状态"), width=8),
    ]
    write_table(book, _("测评码"), columns, rows, footer=title, key_columns=2)
    write_notes(book, _("说明"), title, [
        (_("测评轮次"), ru.round.name),
        (_("单位"), f"{ru.unit.name}（{ru.unit.code}）"),
        (_("批次"), _("第 %(n)s 批，共 %(size)s 个") % {"n": batch.pk, "size": batch.size}),
        (_("已使用"), counts.get(CodeStatus.USED, 0), "int"),
        (_("已作废"), counts.get(CodeStatus.VOID, 0), "int"),
        (_("下载时间"), timezone.now(), "datetime"),
        (_("保管"), _("测评码一码一票，请妥善保管本清单；发放后即可销毁。下载已记入操作记录。")),
    ], footer=title)
    return book


def code_list_filename(batch):
    ru = batch.round_unit
    return download_name(_("测评码"), ru.round.name, ru.unit.name, _("第%(n)s批") % {"n": batch.pk})
