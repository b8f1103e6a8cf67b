"""The tables a submission and its mix write keep only the indexes they need (issue 15:
submissions near the floor): each index is one more entry to write for every row stored, so
none may repeat what another already serves."""

import pytest
from django.db import connection

from surveys.models import AccessCode, Answer, Ballot, CodeBatch, PendingBallot, Tally

pytestmark = pytest.mark.django_db


def test_no_index_repeats_the_start_of_another():
    """An index whose columns are the first ones of another index adds writes and serves no
    lookup the other does not (the ballot's unit, the answer's ballot, the tally's unit)."""
    for model in (AccessCode, Ballot, Answer, PendingBallot, Tally, CodeBatch):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        indexes = [
            (name, tuple(c["columns"])) for name, c in constraints.items()
            if (c["index"] or c["unique"]) and not c["primary_key"]
        ]
        for name, columns in indexes:
            if constraints[name]["unique"]:
                continue  # a uniqueness rule, not only a lookup
            covered = [other for other, more in indexes if other != name and more[: len(columns)] == columns]
            assert not covered, f"{model.__name__}: index {name} {columns} is served by {covered}"


def test_the_lookups_of_the_write_path_keep_an_index():
    """What the submission and the mix look rows up by is still indexed (the first columns of
    some index): a code by its digest, a unit's spent codes, a ballot's answers, a unit's
    ballots and tally cells."""
    wanted = {
        AccessCode: [("digest",), ("round_unit_id", "status")],
        Answer: [("ballot_id",)],
        Ballot: [("round_unit_id",)],
        Tally: [("round_unit_id",)],
        CodeBatch: [("round_unit_id",)],
        PendingBallot: [("round_unit_id",)],
    }
    for model, lookups in wanted.items():
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        starts = [tuple(c["columns"]) for c in constraints.values() if c["index"] or c["unique"]]
        for lookup in lookups:
            assert any(cols[: len(lookup)] == lookup for cols in starts), (model.__name__, lookup)


@pytest.mark.postgres
def test_the_mix_finds_a_units_spent_codes_by_its_status_index_among_many_codes(city):
    """Issue 15: the mix picked a unit's spent codes "ORDER BY id LIMIT n"; among a million
    codes PostgreSQL walked the primary key past every other round's codes (315 ms a mix).
    With the codes of another unit in the table, the plan reads the unit's status index."""
    from surveys import ballots
    from surveys.models import CodeStatus
    from tests import factories

    mine = city["round"].round_units.order_by("pk").first()
    factories.access_codes(mine, 3)
    batch = CodeBatch.objects.get(round_unit=mine).pk
    table = AccessCode._meta.db_table
    with connection.cursor() as cursor:
        # 200,000 spent codes of 150 other units, so that the statistics see units of about
        # 1,300 codes, as a city's rounds do. The unit ids are made up (foreign keys are
        # checked at the end of the transaction), and the rows deleted before it ends.
        fake = mine.pk + 1_000_000
        cursor.execute(
            f"INSERT INTO {table} (digest, sealed, status, batch_id, round_unit_id)"
            f" SELECT md5(g::text) || md5((g + 1)::text), '', %s, %s, %s + g %% 150"
            f" FROM generate_series(1, 200000) g",
            [CodeStatus.SPENT, batch, fake],
        )
        try:
            cursor.execute(f"ANALYZE {table}")
            cursor.execute("EXPLAIN " + ballots._spent_codes_sql(), [mine.pk, CodeStatus.SPENT, 20])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute(f"DELETE FROM {table} WHERE round_unit_id >= %s", [fake])
    assert "code_unit_status" in plan and "pkey" not in plan, plan
