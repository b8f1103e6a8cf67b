"""A batch's code list (测评码清单) as a workbook, for staff who hand codes out by other means
than the printed slips (a mail merge, a message to each respondent)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from credibility.text import aside
from sheets.writer import Column, download_name, new_workbook, write_notes, write_table
from surveys import codes
from surveys.models import CodeStatus, RoundStatus

from .services import batch_codes

ACTIVE = (RoundStatus.DRAFT, RoundStatus.OPEN)


def code_list_workbook(batch, base_url):
    """Sheet 测评码 (number, code, link; and each code's status once the round has closed),
    and 说明 (round, unit, batch, the batch's counts).

    Until the round closes the list says per batch how many codes were used, never which:
    two lists taken around one submission would otherwise name the code that cast it.
    Portrait A4, the columns on one page width. The link is text, never a live hyperlink,
    and every name comes from users: the writer keeps it text whatever it starts with.
    """
    ru = batch.round_unit
    with_status = ru.round.status not in ACTIVE
    labels = dict(CodeStatus.choices)
    rows = []
    for number, (code, status) in enumerate(batch_codes(batch), start=1):
        shown = codes.display(code) if code else _("（无法解密）")
        link = f"{base_url}?code={shown}" if code else ""
        rows.append([number, shown, link, *([labels.get(status, "")] if with_status else [])])
    title = _("%(round)s %(unit)s 测评码 第 %(n)s 批") % {"round": ru.round.name, "unit": ru.unit.name,
                                                         "n": batch.number}
    columns = [Column(_("序号"), "number", width=6), Column(_("测评码"), width=16), Column(_("填写地址"), width=48)]
    if with_status:
        columns.append(Column(_("状态"), width=8))
    book = new_workbook()
    write_table(book, _("测评码"), columns, rows, footer=title, key_columns=2)
    notes = [
        (_("测评轮次"), ru.round.name),
        (_("单位"), ru.unit.name + aside(ru.unit.code)),
        (_("批次"), _("第 %(n)s 批，共 %(size)s 个") % {"n": batch.number, "size": batch.size}),
        (_("已使用"), batch.codes_used, "int"),
        (_("已作废"), batch.codes_void, "int"),
    ]
    if not with_status:
        notes.append((_("状态"), _("测评结束前不显示每个测评码是否已使用，只显示本批的数量。")))
    notes += [
        (_("下载时间"), timezone.now(), "datetime"),
        (_("保管"), _("测评码一码一票，请妥善保管本清单；发放后即可销毁。下载已记入操作记录。")),
    ]
    write_notes(book, _("说明"), title, notes, footer=title)
    return book


def code_list_filename(batch):
    ru = batch.round_unit
    return download_name(_("测评码"), ru.round.name, ru.unit.name, _("第%(n)s批") % {"n": batch.number})
