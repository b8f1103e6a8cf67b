"""audit_change: one way to record a create, an update or a delete with its before/after."""

from datetime import date

import pytest

from audit.models import AuditEntry
from audit.services import audit_change, diff
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return factories.staff(username="wang")


def test_a_create_records_every_value_as_new(staff):
    unit = factories.unit(name="渝中区")
    entry = audit_change(actor=staff, action="unit.create", obj=unit, after={"name": "渝中区", "order": 3},
                         source="新建单位")
    assert entry.changes == {"name": [None, "渝中区"], "order": [None, 3]}
    assert (entry.actor, entry.action, entry.object_id, entry.source) == (staff, "unit.create", str(unit.pk),
                                                                          "新建单位")


def test_an_update_records_only_what_changed(staff):
    unit = factories.unit()
    entry = audit_change(actor=staff, action="unit.update", obj=unit,
                         before={"name": "旧", "order": 1}, after={"name": "新", "order": 1})
    assert entry.changes == {"name": ["旧", "新"]}


def test_an_update_that_changed_nothing_records_nothing(staff):
    unit = factories.unit()
    recorded = audit_change(actor=staff, action="unit.update", obj=unit, before={"order": 1}, after={"order": 1})
    assert recorded is None and not AuditEntry.objects.exists()


def test_a_delete_records_every_value_as_gone_and_names_the_object(staff):
    unit = factories.unit(name="渝中区")
    entry = audit_change(actor=staff, action="unit.delete", obj=unit, before={"name": "渝中区"},
                         object_repr="渝中区（已删除）")
    assert entry.changes == {"name": ["渝中区", None]} and entry.object_repr == "渝中区（已删除）"


def test_a_create_with_nothing_to_show_is_still_recorded(staff):
    unit = factories.unit()
    assert audit_change(actor=staff, action="unit.create", obj=unit, after={}).changes == {}


def test_diff_gives_json_friendly_values():
    assert diff({"deadline": None}, {"deadline": date(2026, 3, 1)}) == {"deadline": [None, "2026-03-01"]}
