"""The submission path's statements are prepared on the server and planned once per
connection (issue 15: submissions near the floor). Django turns psycopg's preparing off, and
`prepare=True` was then silently ignored: every submission planned its statement again."""

import pytest
from django.db import connection

from surveys import codes
from tests import factories

from .test_views import URL, post_data

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE NOT from_sql"
        )
        return cursor.fetchall()


def test_submissions_run_one_prepared_statement_with_one_generic_plan(client, city):
    r = city["round"]
    ru = r.round_units.first()
    plain = factories.access_codes(ru, 4)
    client.get(URL, {"code": codes.display(plain[0])})  # the questionnaire, as a respondent opens it
    for code in plain:
        assert client.post(URL, post_data(r, codes.display(code), unit=str(ru.pk))).status_code == 302
    submissions = [row for row in _prepared() if "pendingballot" in row[0] and "UPDATE" in row[0]]
    assert len(submissions) == 1, _prepared()
    _statement, generic, custom = submissions[0]
    assert (generic, custom) == (4, 0)  # planned once, run four times


def test_django_queries_are_not_prepared():
    """Only the submission path prepares: the rest of the site binds on the client."""
    from surveys.models import Round

    for _ in range(10):
        list(Round.objects.filter(pk=1))
    assert not [row for row in _prepared() if "surveys_round" in row[0] and "pendingballot" not in row[0]]
