"""A code's row is written in place when its status changes (issue 15: submissions near the
floor). No index holds the status, and on PostgreSQL the pages keep room for the new row
version, so a submission does not add an entry to each of the code table's indexes."""

import pytest
from django.db import connection

from surveys.ballots import ballots_mix
from surveys.models import AccessCode
from tests import factories

pytestmark = pytest.mark.django_db


def _indexed_columns():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AccessCode._meta.db_table)
    return {column for c in constraints.values() if c["index"] or c["unique"] for column in c["columns"]}


def test_no_index_holds_the_status():
    columns = _indexed_columns()
    assert "status" not in columns
    assert {"digest", "round_unit_id", "batch_id"} <= columns  # lookups and foreign keys still indexed


@pytest.mark.postgres
def test_a_submission_and_its_mix_update_the_code_in_place(city):
    from surveys.respondent.services import ballot_cast_online

    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [AccessCode._meta.db_table])
        assert "fillfactor=70" in cursor.fetchone()[0]
    r = city["round"]
    ru = r.round_units.first()
    codes = factories.access_codes(ru, size=5)
    answers = factories.online_answers(r)

    def hot_updates():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
                [AccessCode._meta.db_table],
            )
            return cursor.fetchone() or (0, 0)

    before = hot_updates()
    for code in codes:
        ballot_cast_online(code=code, round_unit=ru, category=factories.category(), answers=answers, opinion="")
    ballots_mix(round_unit=ru, minimum=1)
    updated, hot = (after - start for after, start in zip(hot_updates(), before))
    assert updated == 10  # unused -> spent, then spent -> used, for each of the five codes
    assert hot == updated
