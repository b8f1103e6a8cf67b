"""The trail for administrators: filterable list, .xlsx export, append-only."""

from datetime import datetime, timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from audit.services import audit_record
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    wang, li = factories.staff(username="wang"), factories.staff(username="li")
    unit = factories.unit(name="渝中区")
    audit_record(actor=wang, action="unit.update", obj=unit, changes={"name": ["旧", "渝中区"]}, source="编辑单位")
    audit_record(actor=li, action="round.open", object_repr="2026年度测评", source="测评·开启测评")
    return wang, li


def test_list_filters_by_actor_and_action(client, entries):
    client.force_login(factories.admin())
    page = client.get("/audit/", {"actor": "wang"}).content.decode()
    assert "unit.update" in page and "round.open" not in page
    page = client.get("/audit/", {"action": "round."}).content.decode()
    assert "round.open" in page and "unit.update" not in page
    page = client.get("/audit/", {"q": "渝中"}).content.decode()
    assert "编辑单位" in page


def download(client, **query):
    response = client.get("/audit/export/", query)
    return response, load_workbook(BytesIO(b"".join(response.streaming_content)))["全程记实"]


def test_export_is_an_xlsx_of_the_filtered_trail(client, entries):
    client.force_login(factories.admin())
    response, sheet = download(client, actor="wang")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "操作")
    assert [r[1:3] for r in rows[1:]] == [("wang", "unit.update")]
    assert "渝中区" in rows[1][7]


def test_export_has_typed_times_and_numbers_and_a_chinese_file_name(client, entries):
    client.force_login(factories.admin())
    response, sheet = download(client, action="unit.")
    time, object_id = sheet["A2"], sheet["E2"]
    assert isinstance(time.value, datetime) and time.number_format == "yyyy-mm-dd hh:mm:ss"
    assert abs(time.value - timezone.localtime().replace(tzinfo=None)) < timedelta(minutes=5)
    assert isinstance(object_id.value, int) and object_id.number_format == "0"
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    disposition = response["Content-Disposition"]
    assert "filename*=UTF-8''" + quote(f"全程记实-{timezone.localdate().isoformat()}.xlsx") in disposition
    response, _ = download(client, since="2026-01-01", until="2026-03-31")
    assert quote("全程记实-2026-01-01至2026-03-31.xlsx") in response["Content-Disposition"]


def test_text_that_looks_like_a_formula_stays_text(client):
    client.force_login(factories.admin())
    unit = factories.unit(name="=1+1")
    audit_record(actor=None, action="unit.update", obj=unit, changes={"name": ["渝中区", "=1+1"]},
                 source="@SUM(A1)")
    _, sheet = download(client)
    row = next(sheet.iter_rows(min_row=2))
    assert (row[5].value, row[5].data_type) == ("=1+1", "s")
    assert (row[6].value, row[6].data_type) == ("@SUM(A1)", "s") and row[6].quotePrefix


def test_trail_cannot_be_changed_from_the_app(entries):
    entry = AuditEntry.objects.first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
