import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from tests import factories
from units import services
from units.models import Unit, UnitGroup, UnitKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return factories.staff()


def test_create_update_deactivate_are_recorded_with_before_after(staff):
    group = factories.group("主城区")
    unit = services.unit_create(actor=staff, source="新建单位", code="D1", name="渝中区", short_name="渝中",
                                kind=UnitKind.DISTRICT, group=group, order=1, is_active=True)
    services.unit_update(unit=unit, actor=staff, name="渝中区人民政府")
    services.unit_deactivate(unit=unit, actor=staff)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "changes"))
    assert [a for a, _ in actions] == ["unit.create", "unit.update", "unit.update"]
    assert actions[1][1] == {"name": ["渝中区", "渝中区人民政府"]}
    assert actions[2][1] == {"is_active": [True, False]}


def test_unit_kind_must_match_its_group(staff):
    group = factories.group("部门", UnitKind.DEPARTMENT)
    with pytest.raises(ValidationError):
        services.unit_create(actor=staff, code="D1", name="某区", short_name="某区",
                             kind=UnitKind.DISTRICT, group=group)


def test_a_surveyed_unit_is_never_deleted(staff):
    unit = factories.unit()
    factories.round_([unit])
    with pytest.raises(ValidationError) as exc:
        services.unit_delete(unit=unit, actor=staff)
    assert exc.value.code == "surveyed"
    assert Unit.objects.filter(pk=unit.pk).exists()


def test_a_never_surveyed_unit_can_be_deleted(staff):
    unit = factories.unit()
    services.unit_delete(unit=unit, actor=staff)
    assert not Unit.objects.filter(pk=unit.pk).exists()
    assert AuditEntry.objects.get(action="unit.delete").object_repr == unit.name


def test_groups_reorder_and_refuse_deleting_or_rekinding_when_in_use(staff):
    a, b, c = (factories.group(n, UnitKind.DISTRICT, order=0) for n in ("甲", "乙", "丙"))
    services.group_move(group=c, direction=-1, actor=staff)
    ordered = list(UnitGroup.objects.filter(kind=UnitKind.DISTRICT).order_by("order", "name").values_list("name", flat=True))
    assert ordered.index("丙") < ordered.index("乙")
    factories.unit(group_=a)
    with pytest.raises(ValidationError):
        services.group_delete(group=a, actor=staff)
    with pytest.raises(ValidationError):
        services.group_update(group=a, kind=UnitKind.DEPARTMENT, actor=staff)
    services.group_delete(group=b, actor=staff)
    assert not UnitGroup.objects.filter(pk=b.pk).exists()
