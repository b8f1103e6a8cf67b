import io
from urllib.parse import unquote

import pytest
import segno
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from surveys import codes
from surveys.fieldwork.services import codes_issue, codes_void
from surveys.models import AccessCode, CodeBatch, CodeStatus, RoundStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = factories.staff(username="wang")
    client.force_login(user)
    client.user = user
    return client


def test_pages_need_the_manage_permission(client, city):
    ru = city["round"].round_units.first()
    urls = [reverse("fieldwork:index"), reverse("fieldwork:round", args=[city["round"].pk]),
            reverse("fieldwork:unit", args=[ru.pk])]
    for url in urls:
        assert client.get(url).status_code == 302  # to login
    client.force_login(factories.leader())
    for url in urls:
        assert client.get(url).status_code == 403


def test_round_page_shows_counts_per_unit(staff_client, city):
    r = city["round"]
    ru = r.round_units.select_related("unit").first()
    batch, plain = codes_issue(round_unit=ru, size=10, actor=staff_client.user)
    AccessCode.objects.filter(digest__in=[codes.digest(c) for c in plain[:4]]).update(status=CodeStatus.USED)
    ru.online_ballots = 4
    ru.paper_forms_issued = 20
    ru.save()
    body = staff_client.get(reverse("fieldwork:round", args=[r.pk])).content.decode()
    assert ru.unit.name in body and "40.0%" in body and "0.0%" in body
    assert staff_client.get(reverse("fieldwork:index")).content.decode().count(r.name) == 1


def test_issue_codes_from_the_browser(staff_client, city):
    ru = city["round"].round_units.first()
    response = staff_client.post(reverse("fieldwork:codes_issue", args=[ru.pk]), {"size": "12"})
    assert response.status_code == 302
    batch = CodeBatch.objects.get()
    assert batch.size == 12 and batch.created_by == staff_client.user
    assert AccessCode.objects.filter(batch=batch).count() == 12
    bad = staff_client.post(reverse("fieldwork:codes_issue", args=[ru.pk]), {"size": "0"})
    assert bad.status_code == 400 and "数量至少为 1" in bad.content.decode()


def test_slips_show_qr_code_text_and_are_recorded(staff_client, city):
    ru = city["round"].round_units.select_related("unit", "round").first()
    batch, plain = codes_issue(round_unit=ru, size=3, actor=staff_client.user)
    before = staff_client.get(reverse("fieldwork:slips", args=[batch.pk])).content.decode()
    factories.cast(plain[0], ru.round)
    body = staff_client.get(reverse("fieldwork:slips", args=[batch.pk])).content.decode()
    # While the round is open the slips say nothing of use: printed before and after a
    # submission, they are the same sheet.
    assert body.count('class="slip"') == 3 and before.count('class="slip"') == 3
    assert codes.display(plain[0]) in body and codes.display(plain[1]) in body
    assert body.count("<svg") >= 2 and ru.unit.name in body and ru.round.name in body
    assert "testserver/s/" in body
    # The QR encodes the questionnaire's absolute URL with the code filled in.
    link = f"http://testserver/s/?code={codes.display(plain[1])}"
    assert segno.make(link, error="m").svg_inline(scale=3, border=2) in body
    assert "http://" not in body.split('class="slips"')[1].replace("http://www.w3.org", "")
    entry = AuditEntry.objects.filter(action="codes.print").order_by("-id").first()
    assert entry.actor == staff_client.user and entry.object_id == str(batch.pk)


def test_code_list_xlsx_and_recorded(staff_client, city):
    ru = city["round"].round_units.select_related("unit", "round").first()
    batch, plain = codes_issue(round_unit=ru, size=5, actor=staff_client.user)
    factories.cast(plain[0], ru.round)
    response = staff_client.get(reverse("fieldwork:codes_xlsx", args=[batch.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "no-store"
    name = unquote(response["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert name == f"测评码-{ru.round.name}-{ru.unit.name}-第{batch.number}批.xlsx"
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["测评码"]
    assert [c.value for c in sheet[1]] == ["序号", "测评码", "填写地址"]  # no status per code while open
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[1] for r in rows) == sorted(codes.display(c) for c in plain)
    assert all(r[2] == f"http://testserver/s/?code={r[1]}" for r in rows)
    assert not {"未使用", "已使用"} & {v for r in rows for v in r}
    notes = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=3, values_only=True)}
    assert (notes["已使用"], notes["已作废"]) == (1, 0)  # the batch's counts only
    assert sheet.page_setup.orientation == "portrait" and sheet.print_title_rows == "$1:$1"
    assert sheet.freeze_panes == "A2"
    assert AuditEntry.objects.filter(action="codes.download", object_id=str(batch.pk)).count() == 1


def test_code_list_shows_each_status_once_the_round_is_closed(staff_client, city):
    from surveys.ballots import round_intake_stop

    r = city["round"]
    ru = r.round_units.first()
    batch, plain = codes_issue(round_unit=ru, size=3, actor=staff_client.user)
    factories.cast(plain[0], r)
    round_intake_stop(round_=r)
    r.__class__.objects.filter(pk=r.pk).update(status=RoundStatus.CLOSED)
    response = staff_client.get(reverse("fieldwork:codes_xlsx", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["测评码"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "测评码", "填写地址", "状态")
    status = {r[1]: r[3] for r in rows[1:]}
    assert status[codes.display(plain[0])] == "已使用"
    assert sorted(status.values()) == ["已使用", "未使用", "未使用"]


def test_code_list_keeps_hostile_names_as_text(staff_client, city):
    """Issue 14: a unit renamed =HYPERLINK(…) put a live link into the code list."""
    ru = city["round"].round_units.select_related("unit").first()
    ru.unit.name = '=HYPERLINK("http://evil","江北区")'
    ru.unit.save()
    batch, _ = codes_issue(round_unit=ru, size=2, actor=staff_client.user)
    response = staff_client.get(reverse("fieldwork:codes_xlsx", args=[batch.pk]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value.startswith("=HYPERLINK") for c in cells if isinstance(c.value, str))
    assert not any(c.hyperlink for c in cells)


def test_void_batch_from_the_browser(staff_client, city):
    ru = city["round"].round_units.first()
    batch, plain = codes_issue(round_unit=ru, size=3, actor=staff_client.user)
    url = reverse("fieldwork:batch_void", args=[batch.pk])
    staff_client.post(url, {"reason": ""})
    assert not AccessCode.objects.filter(status=CodeStatus.VOID).exists()
    staff_client.post(url, {"reason": "测评码条遗失"})
    assert AccessCode.objects.filter(status=CodeStatus.VOID).count() == 3
    body = staff_client.get(reverse("fieldwork:unit", args=[ru.pk])).content.decode()
    assert "已作废" in body and "测评码条遗失" in body


def test_paper_forms_issued_is_recorded_and_not_below_keyed(staff_client, city):
    ru = city["round"].round_units.first()
    url = reverse("fieldwork:paper_forms", args=[ru.pk])
    assert staff_client.post(url, {"issued": "30"}).status_code == 302
    ru.refresh_from_db()
    assert ru.paper_forms_issued == 30
    factories.ballots(ru, [1, 1])  # keys two (and raises issued to 32)
    response = staff_client.post(url, {"issued": "1"})
    assert response.status_code == 400 and "不能少于" in response.content.decode()
    ru.refresh_from_db()
    assert ru.paper_forms_issued == 32
    assert AuditEntry.objects.filter(action="paper.forms_issued").count() == 1


def test_no_codes_for_a_closed_round(staff_client, city):
    r = factories.round_(city["units"][:1], status=RoundStatus.CLOSED)
    ru = r.round_units.get()
    response = staff_client.post(reverse("fieldwork:codes_issue", args=[ru.pk]), {"size": "3"})
    assert response.status_code == 400 and not CodeBatch.objects.exists()


def test_a_finished_round_offers_no_printing_voiding_or_forms_issued(staff_client, city):
    """Regression: a closed round's unit page still offered 打印测评码条, 作废 and 保存发出票数."""
    from django.core.exceptions import ValidationError

    from surveys.fieldwork.services import paper_forms_set
    from surveys.models import Round

    ru = city["round"].round_units.first()
    batch, _plain = codes_issue(round_unit=ru, size=2, actor=staff_client.user)
    url = reverse("fieldwork:unit", args=[ru.pk])
    open_page = staff_client.get(url).content.decode()
    assert "打印测评码条" in open_page and "作废本批" in open_page and "保存发出票数" in open_page
    Round.objects.filter(pk=ru.round_id).update(status=RoundStatus.CLOSED)
    page = staff_client.get(url).content.decode()
    assert "打印测评码条" not in page and "作废本批" not in page and "保存发出票数" not in page
    assert "下载清单" in page and "不能再修改" in page
    ru.refresh_from_db()
    with pytest.raises(ValidationError, match="已结束"):
        codes_void(batch=batch, actor=staff_client.user, reason="x")
    with pytest.raises(ValidationError, match="已结束"):
        paper_forms_set(round_unit=ru, issued=5, actor=staff_client.user)
    response = staff_client.post(reverse("fieldwork:paper_forms", args=[ru.pk]), {"issued": "5"})
    assert response.status_code == 400
    ru.refresh_from_db()
    assert ru.paper_forms_issued == 0


def test_a_units_batch_is_proposed_from_its_planned_sample(staff_client, city):
    """Regression: a batch defaulted to 100 codes whatever the unit's planned sample."""
    from surveys.models import RoundUnit

    ru = city["round"].round_units.first()
    RoundUnit.objects.filter(pk=ru.pk).update(planned_sample=150)
    page = staff_client.get(reverse("fieldwork:unit", args=[ru.pk])).content.decode()
    assert 'name="size" id="id_size" min="1" max="5000" value="165"' in page
    codes_issue(round_unit=ru, size=165, actor=staff_client.user)
    page = staff_client.get(reverse("fieldwork:unit", args=[ru.pk])).content.decode()
    assert 'id="id_size" min="1" max="5000" value=""' in page  # enough already: nothing proposed
    assert "已有有效测评码 165 个" in page
