"""The trail for administrators: filterable list, .xlsx export, append-only."""

from io import BytesIO

import pytest
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


def test_export_is_an_xlsx_of_the_filtered_trail(client, entries):
    client.force_login(factories.admin())
    response = client.get("/audit/export/", {"actor": "wang"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "操作")
    assert [r[1:3] for r in rows[1:]] == [("wang", "unit.update")]
    assert "渝中区" in rows[1][7]


def test_trail_cannot_be_changed_from_the_app(entries):
    entry = AuditEntry.objects.first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
