"""0003 fills each batch's counters from its codes, and takes them back (reversible)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("surveys", "0002_default_categories")]
AFTER = [("surveys", "0003_pending_ballots_and_counters")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_counters_are_filled_from_the_codes_and_the_fence_is_down_for_closed_rounds():
    from datetime import timedelta

    from django.utils import timezone

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("surveys")
    try:
        apps = migrate(BEFORE)
        Unit = apps.get_model("units", "Unit")
        Group = apps.get_model("units", "UnitGroup")
        Round = apps.get_model("surveys", "Round")
        RoundUnit = apps.get_model("surveys", "RoundUnit")
        CodeBatch = apps.get_model("surveys", "CodeBatch")
        AccessCode = apps.get_model("surveys", "AccessCode")
        group = Group.objects.create(name="分组", kind="district")
        now = timezone.now()
        units = {}
        for status in ("open", "closed"):
            unit = Unit.objects.create(code=f"M-{status}", name=status, short_name=status,
                                       kind="district", group=group)
            r = Round.objects.create(name=status, year=2026, opens_at=now - timedelta(days=1),
                                     closes_at=now + timedelta(days=1), status=status)
            units[status] = RoundUnit.objects.create(round=r, unit=unit)
        batch = CodeBatch.objects.create(round_unit=units["open"], size=6)
        for n, status in enumerate(["used", "used", "void", "unused", "unused", "unused"]):
            AccessCode.objects.create(batch=batch, round_unit=units["open"], digest=f"m{n}", status=status)

        apps = migrate(AFTER)
        batch = apps.get_model("surveys", "CodeBatch").objects.get(pk=batch.pk)
        assert (batch.codes_used, batch.codes_void) == (2, 1)
        accepting = dict(apps.get_model("surveys", "RoundUnit").objects.values_list("round__status", "accepting"))
        assert accepting == {"open": True, "closed": False}

        apps = migrate(BEFORE)  # and back
        assert apps.get_model("surveys", "AccessCode").objects.filter(status="used").count() == 2
    finally:
        migrate(latest)
