"""A whole season through the staff screens, and every step in the trail (the issue's
"done when"; codes and paper keying belong to the fieldwork screens, so ballots here go
through the ballot service directly)."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from audit.models import AuditEntry
from surveys.models import Round, RoundStatus
from tests import factories
from units.models import Unit
from units.xlsx import HEADERS

pytestmark = pytest.mark.django_db


def registry():
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(["D1", "渝中区", "渝中", "区县(自治县)", "主城区", 1, "是"])
    book.active.append(["D2", "江北区", "江北", "区县(自治县)", "主城区", 2, "是"])
    out = BytesIO()
    book.save(out)
    return SimpleUploadedFile("units.xlsx", out.getvalue())


def test_a_season_in_the_browser_is_fully_recorded(client):
    staff = factories.staff(username="wang")
    client.force_login(staff)
    preview = client.post("/units/import/", {"file": registry()}, follow=True)
    client.post("/units/import/confirm/", {"token": preview.context["token"],
                                           "digest": preview.context["plan"].digest})
    d1, d2 = Unit.objects.order_by("code")
    client.post("/rounds/new/", {"name": "2027年度", "year": 2027, "opens_at": "2026-01-01T09:00",
                                 "closes_at": "2030-01-01T09:00"})
    r = Round.objects.get(name="2027年度")
    client.post(f"/rounds/{r.pk}/units/", {"default_planned": 10, f"u{d1.pk}": "on", f"u{d2.pk}": "on"})
    client.post(f"/rounds/{r.pk}/open/")
    r.refresh_from_db()
    assert r.status == RoundStatus.OPEN
    low = r.round_units.get(unit=d2)
    factories.ballots(r.round_units.get(unit=d1), [1, 1, 1, 2])
    factories.ballots(low, [1, 3, 3, 3])
    client.post(f"/rounds/{r.pk}/close/")
    for kind in ("selection", "conduct"):
        client.post(f"/rounds/{r.pk}/investigations/{low.pk}/{kind}/",
                    {"findings": "走访座谈", "conclusion": "not_serious"})
    client.post(f"/rounds/{r.pk}/units/{low.pk}/rectifications/new/",
                {"measures": "公开选拔程序", "deadline": "2028-06-30", "status": "planned"})
    # 8 ballots of 20 planned: publishing needs an acknowledgment and a reason.
    assert "数据不足" in client.post(f"/rounds/{r.pk}/publish/").content.decode()
    client.post(f"/rounds/{r.pk}/publish/", {"acknowledge": "on", "reason": "试点轮次，样本按计划收回一半以下"})
    r.refresh_from_db()
    assert r.status == RoundStatus.PUBLISHED and r.seal_digest
    client.post(f"/rounds/{r.pk}/verify/")
    assert "封存以来测评票未被增加" in client.get(f"/rounds/{r.pk}/verify/").content.decode()
    trail = list(AuditEntry.objects.filter(actor=staff).order_by("id").values_list("action", flat=True))
    assert trail == [
        "unit.import", "round.create", "round.units", "round.open", "round.close", "round.seal",
        "investigation.record", "investigation.record", "rectification.create", "round.publish",
        "round.verify",
    ]
    assert all(AuditEntry.objects.filter(actor=staff).values_list("source", flat=True))
