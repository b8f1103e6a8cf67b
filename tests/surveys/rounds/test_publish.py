"""Publishing: only a sealed round whose record checks out, and with too little data (turnout
below a share of the plan, or units without data) only with a written, recorded reason."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from audit.models import AuditEntry
from surveys.models import ResultSnapshot, RoundStatus
from surveys.rounds import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return factories.staff(username="wang")


def closed_round(staff, per_unit, planned=10):
    units = [factories.unit(group_=factories.group()) for _ in per_unit]
    r = factories.round_(units, planned=planned)
    for ru, n in zip(r.round_units.order_by("unit__code"), per_unit):
        if n:
            factories.ballots(ru, [1] * n)
    services.round_close(round_=r, actor=staff)
    r.refresh_from_db()
    return r


def test_enough_data_publishes_without_a_reason(staff):
    r = closed_round(staff, [6, 5])  # 11 of 20 planned: 55%
    services.round_publish(round_=r, actor=staff)
    r.refresh_from_db()
    assert r.status == RoundStatus.PUBLISHED
    entry = AuditEntry.objects.get(action="round.publish")
    assert "low_data" not in entry.changes and entry.changes["fingerprint"] == r.snapshot.fingerprint


@pytest.mark.parametrize("per_unit,expected", [
    ([4, 5], "收回 9 张票，为计划样本 20 张的 45.0%，低于 50%"),
    ([12, 0], "没有有效数据"),
], ids=["low-turnout", "empty-unit"])
def test_too_little_data_needs_a_written_reason(staff, per_unit, expected):
    r = closed_round(staff, per_unit)
    for reason in ("", "   ", "要发布"):
        with pytest.raises(ValidationError) as exc:
            services.round_publish(round_=r, actor=staff, reason=reason)
        assert exc.value.code == "low_data" and expected in exc.value.messages[0]
    services.round_publish(round_=r, actor=staff, reason="按上级要求如期公布，样本不足已说明")
    entry = AuditEntry.objects.get(action="round.publish")
    assert expected in entry.changes["low_data"]
    assert entry.changes["reason"] == "按上级要求如期公布，样本不足已说明"
    assert ResultSnapshot.objects.get(round=r).publish_reason == "按上级要求如期公布，样本不足已说明"


@override_settings(SURVEY_PUBLISH_MIN_TURNOUT=40)
def test_the_turnout_share_is_a_setting(staff):
    r = closed_round(staff, [4, 5])  # 45% of the plan
    services.round_publish(round_=r, actor=staff)
    assert "low_data" not in AuditEntry.objects.get(action="round.publish").changes


def test_the_publish_form_asks_for_an_acknowledgment_and_a_reason(client, staff):
    r = closed_round(staff, [1, 0], planned=100)
    client.force_login(staff)
    page = client.get(f"/rounds/{r.pk}/publish/").content.decode()
    assert 'id="shortfall"' in page and "收回 1 张票，为计划样本 200 张的 0.5%" in page
    assert 'name="acknowledge"' in page and 'name="reason"' in page
    refused = client.post(f"/rounds/{r.pk}/publish/", {"reason": "上级要求按期公布结果"}).content.decode()
    assert "数据不足时发布须明确确认" in refused
    client.post(f"/rounds/{r.pk}/publish/", {"acknowledge": "on", "reason": "短"})
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED
    response = client.post(f"/rounds/{r.pk}/publish/", {"acknowledge": "on", "reason": "上级要求按期公布结果"})
    assert response["Location"] == f"/rounds/{r.pk}/"
    r.refresh_from_db()
    assert r.status == RoundStatus.PUBLISHED
    assert "数据不足仍发布，理由：上级要求按期公布结果" in client.get(f"/rounds/{r.pk}/").content.decode()


def test_a_round_whose_seal_record_is_broken_is_not_published(staff):
    r = closed_round(staff, [6, 6])
    snapshot = r.snapshot
    snapshot.results["units"][0]["name"] = "别的名字"
    snapshot.save()
    with pytest.raises(ValidationError) as exc:
        services.round_publish(round_=r, actor=staff)
    assert exc.value.code == "seal_broken" and "结果快照被修改" in exc.value.messages[0]
