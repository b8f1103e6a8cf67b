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
