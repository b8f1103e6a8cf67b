"""Round lifecycle services: transitions, refusals, freezing, copying, and the trail."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from surveys.models import Item, ItemKind, RoundStatus
from surveys.rounds import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return factories.staff()


@pytest.fixture
def draft(staff):
    units = [factories.unit(), factories.unit()]
    return factories.round_(units, status=RoundStatus.DRAFT)


def actions(obj):
    return list(AuditEntry.objects.filter(object_id=str(obj.pk)).order_by("id").values_list("action", flat=True))


def test_full_lifecycle_is_recorded(draft, staff):
    services.round_open(round_=draft, actor=staff, source="test")
    services.round_close(round_=draft, actor=staff)
    services.round_reopen(round_=draft, reason="补录遗漏的纸质票", actor=staff)
    services.round_close(round_=draft, actor=staff)
    services.round_publish(round_=draft, actor=staff, reason="试运行，没有测评票")
    draft.refresh_from_db()
    assert draft.status == RoundStatus.PUBLISHED
    assert draft.opened_at and draft.closed_at and draft.published_at and draft.seal_digest
    assert actions(draft) == ["round.open", "round.close", "round.seal", "round.reopen", "round.close",
                              "round.seal", "round.publish"]
    reopen = AuditEntry.objects.get(action="round.reopen")
    assert reopen.changes["reason"] == "补录遗漏的纸质票"
    assert reopen.actor == staff


def test_opening_a_round_without_units_is_refused(staff):
    r = factories.round_([], status=RoundStatus.DRAFT)
    with pytest.raises(ValidationError) as exc:
        services.round_open(round_=r, actor=staff)
    assert exc.value.code == "no_units"
    r.refresh_from_db()
    assert r.status == RoundStatus.DRAFT
    assert not AuditEntry.objects.filter(action="round.open").exists()


@pytest.mark.parametrize("status,service,code", [
    (RoundStatus.OPEN, services.round_open, "not_draft"),
    (RoundStatus.DRAFT, services.round_close, "not_open"),
    (RoundStatus.OPEN, services.round_publish, "not_closed"),
])
def test_transitions_from_the_wrong_state_are_refused(staff, status, service, code):
    r = factories.round_([factories.unit()], status=status)
    with pytest.raises(ValidationError) as exc:
        service(round_=r, actor=staff)
    assert exc.value.code == code


@pytest.mark.parametrize("reason", ["", "   ", "补票"])
def test_reopen_needs_a_written_reason(draft, staff, reason):
    services.round_open(round_=draft, actor=staff)
    services.round_close(round_=draft, actor=staff)
    with pytest.raises(ValidationError) as exc:
        services.round_reopen(round_=draft, reason=reason, actor=staff)
    assert exc.value.code == "no_reason"
    draft.refresh_from_db()
    assert draft.status == RoundStatus.CLOSED


def test_published_round_cannot_be_reopened(draft, staff):
    services.round_open(round_=draft, actor=staff)
    services.round_close(round_=draft, actor=staff)
    services.round_publish(round_=draft, actor=staff, reason="试运行，没有测评票")
    with pytest.raises(ValidationError):
        services.round_reopen(round_=draft, reason="想再收几张票", actor=staff)


def test_open_round_freezes_questionnaire_and_policy(draft, staff):
    services.round_open(round_=draft, actor=staff)
    item = Item.objects.filter(round=draft, kind=ItemKind.SUB).first()
    refusals = [
        lambda: services.item_update(item=item, text="改过的题目", actor=staff),
        lambda: services.item_add(round_=draft, text="新题", actor=staff),
        lambda: services.item_remove(item=item, actor=staff),
        lambda: services.round_update(round_=draft, positive_threshold=75, actor=staff),
        lambda: services.round_units_set(round_=draft, units=[], actor=staff),
        lambda: services.round_categories_set(round_=draft, categories=[(factories.category(), 2)], actor=staff),
    ]
    for refuse in refusals:
        with pytest.raises(ValidationError) as exc:
            refuse()
        assert exc.value.code == "frozen"
    item.refresh_from_db()
    draft.refresh_from_db()
    assert item.text != "改过的题目" and draft.positive_threshold == 80


def test_open_round_may_still_be_renamed_and_extended(draft, staff):
    services.round_open(round_=draft, actor=staff)
    later = draft.closes_at + timedelta(days=3)
    services.round_update(round_=draft, name="改名", closes_at=later, actor=staff)
    draft.refresh_from_db()
    assert draft.name == "改名" and draft.closes_at == later
    entry = AuditEntry.objects.get(action="round.update")
    assert entry.changes["name"][1] == "改名"


def test_draft_questionnaire_can_be_edited(draft, staff):
    item = services.item_add(round_=draft, text="新增指标", actor=staff)
    item_id = item.pk
    services.item_update(item=item, text="新增指标（改）", actor=staff)
    headline = factories.headline(draft)
    with pytest.raises(ValidationError) as exc:
        services.item_remove(item=headline, actor=staff)
    assert exc.value.code == "headline"
    services.item_remove(item=item, actor=staff)
    assert not Item.objects.filter(pk=item.pk).exists()
    recorded = AuditEntry.objects.filter(object_id=str(item_id), object_type="surveys.Item")
    assert list(recorded.order_by("id").values_list("action", flat=True)) == ["item.add", "item.update", "item.remove"]


def test_units_set_adds_removes_and_replans(draft, staff):
    keep, drop = [ru.unit for ru in draft.round_units.all()]
    new = factories.unit()
    services.round_units_set(round_=draft, units=[(keep, 50), (new, 80)], actor=staff)
    assert dict(draft.round_units.values_list("unit_id", "planned_sample")) == {keep.pk: 50, new.pk: 80}
    changes = AuditEntry.objects.get(action="round.units").changes
    assert changes["added"] == [new.code] and changes["removed"] == [drop.code]
    assert changes["planned_sample"] == {keep.code: [100, 50]}


def test_copy_takes_settings_units_items_and_weights(staff):
    active, retired = factories.unit(), factories.unit()
    source = factories.round_([active, retired], status=RoundStatus.PUBLISHED, year=2025,
                              unknown_in_denominator=False, use_weights=True,
                              categories=[(factories.category("群众"), 2)])
    retired.is_active = False
    retired.save()
    now = timezone.now()
    copy = services.round_copy(source_round=source, name="2026年度", year=2026, opens_at=now,
                               closes_at=now + timedelta(days=9), actor=staff)
    assert copy.status == RoundStatus.DRAFT and copy.copied_from == source
    assert not copy.unknown_in_denominator and copy.use_weights
    assert list(copy.round_units.values_list("unit_id", flat=True)) == [active.pk]
    assert [(rc.category.name, rc.weight) for rc in copy.round_categories.all()] == [("群众", 2)]
    assert list(copy.items.values_list("kind", "text")) == list(source.items.values_list("kind", "text"))
    assert actions(copy) == ["round.copy"]
    changes = AuditEntry.objects.get(action="round.copy").changes
    assert changes["copied_from"] == [None, str(source)] and changes["name"] == [None, "2026年度"]


def test_create_with_actor_is_recorded(staff):
    now = timezone.now()
    r = services.round_create(name="新测评", year=2026, opens_at=now, closes_at=now + timedelta(days=1),
                              units=[], actor=staff, source="新建测评")
    entry = AuditEntry.objects.get(action="round.create")
    assert entry.object_id == str(r.pk) and entry.source == "新建测评"
    assert entry.changes["name"] == [None, "新测评"] and entry.changes["year"] == [None, 2026]
    assert r.items.headline().count() == 2


def test_a_headline_item_cannot_be_made_optional():
    from surveys.rounds.services import item_update, questionnaire_update

    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    headline = factories.headline(r)
    with pytest.raises(ValidationError, match="必答"):
        item_update(item=headline, actor=factories.staff(), required=False)
    headline.refresh_from_db()
    assert headline.required
    # One save of the step is all or nothing: an edit before the refusal is not kept.
    sub = r.items.filter(kind=ItemKind.SUB).first()
    with pytest.raises(ValidationError):
        questionnaire_update(round_=r, edits=[(sub, {"text": "改了"}), (headline, {"required": False})],
                             add_text="新题", actor=factories.staff())
    assert r.items.get(pk=sub.pk).text != "改了" and not r.items.filter(text="新题").exists()
