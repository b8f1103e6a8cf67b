import random
import time

import pytest
from django.db import connection

from surveys import ballots
from surveys.respondent.services import ballot_cast_online
from tests import factories


def xmins(model, **filters):
    """{pk: xmin} of a model's live rows: the transaction id PostgreSQL keeps on every row."""
    qs = model.objects.filter(**filters).values_list("pk", flat=True)
    sql, params = qs.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, xmin::text::bigint FROM {table} WHERE id IN ({sql})", params
        )
        return dict(cursor.fetchall())


def submit(code, r, text):
    """One respondent: an online ballot whose opinion names it (the test's ground truth)."""
    return ballot_cast_online(
        code=code, category=factories.category(), answers=factories.online_answers(r), opinion=text
    )


@pytest.fixture
def seeded(monkeypatch):
    """The mixer's shuffle from a seeded generator: the same permutation on every run."""
    monkeypatch.setattr(ballots, "_random", random.Random(20261129))


@pytest.fixture
def no_auto_mix(monkeypatch):
    """Submissions do not trigger mixes after commit; the test mixes when it wants."""
    monkeypatch.setattr(ballots, "_after_commit", lambda round_unit_id: None)


@pytest.fixture(autouse=True)
def _no_sweep_now(monkeypatch):
    """The timer's sweep mixes any unit with MIX_MIN pending; keep it out of these tests."""
    monkeypatch.setattr(ballots, "_last_sweep", [time.monotonic()])
