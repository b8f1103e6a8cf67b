"""Nothing stored links a ballot to the code that cast it, or to a person."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from audit.models import AuditEntry
from surveys import codes
from surveys.ballots import ballots_mix
from surveys.models import AccessCode, Answer, Ballot, ItemKind, PendingBallot, Tally, UnknownCodeCount
from tests import factories

pytestmark = pytest.mark.django_db

FORBIDDEN = ("code", "digest", "seal", "ip", "addr", "agent", "session", "cookie", "user", "time", "_at", "token")


def columns(model):
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, model._meta.db_table)]


def test_ballot_and_answer_tables_have_no_linking_columns():
    assert sorted(columns(Ballot)) == sorted(["id", "round_unit_id", "category_id", "channel", "cast_on", "opinion"])
    assert sorted(columns(Answer)) == sorted(["id", "ballot_id", "item_id", "option"])
    assert sorted(columns(AccessCode)) == sorted(["id", "batch_id", "round_unit_id", "digest", "sealed", "status"])
    # A pending ballot is its unit and a sealed blob: no day, no time, no code.
    assert sorted(columns(PendingBallot)) == sorted(["id", "round_unit_id", "sealed"])
    assert sorted(columns(UnknownCodeCount)) == sorted(["id", "period", "client", "count"])
    for name in columns(Ballot) + columns(Answer):
        assert not any(word in name for word in FORBIDDEN if name not in ("id",)), name


def test_a_submitted_ballot_holds_nothing_of_its_code_or_client(client, city):
    cache.clear()
    r = city["round"]
    code = factories.access_codes(r.round_units.first(), 1)[0]
    ip, agent = "203.0.113.9", "TestPhone/1.0 (respondent)"
    audit_before = AuditEntry.objects.count()
    response = client.post(
        reverse("respondent:start"),
        {
            "code": codes.display(code),
            "category": factories.category().pk,
            f"item_{factories.headline(r).pk}": 1,
            f"item_{factories.headline(r, ItemKind.CONDUCT).pk}": 2,
            "opinion": "",
        },
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=agent,
    )
    assert response.status_code == 302
    pending = PendingBallot.objects.get()
    for secret in (code, codes.display(code), codes.digest(code), ip, agent):
        assert secret.encode() not in bytes(pending.sealed)
    ballots_mix(round_unit=r.round_units.first(), minimum=1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Ballot._meta.db_table}")
        rows = cursor.fetchall()
        cursor.execute(f"SELECT * FROM {Answer._meta.db_table}")
        rows += cursor.fetchall()
        cursor.execute(f"SELECT * FROM {Tally._meta.db_table}")
        rows += cursor.fetchall()
    stored = " ".join(str(v) for row in rows for v in row)
    assert len(rows) == 5
    for secret in (code, codes.display(code), codes.digest(code), ip, agent, "TestPhone"):
        assert secret not in stored
    ballot = Ballot.objects.get()
    assert not hasattr(ballot.cast_on, "hour")  # a date, never a time
    # The code row keeps only used/unused; respondents leave no audit entry.
    access = AccessCode.objects.get(digest=codes.digest(code))
    assert access.status == "used"
    assert AuditEntry.objects.count() == audit_before
    assert not response.cookies.get("sessionid")


def test_ballots_never_exceed_codes_issued(client, city):
    cache.clear()
    r = city["round"]
    ru = r.round_units.first()
    issued = factories.access_codes(ru, 2)
    data = {
        "category": factories.category().pk,
        f"item_{factories.headline(r).pk}": 1,
        f"item_{factories.headline(r, ItemKind.CONDUCT).pk}": 1,
    }
    for code in issued * 2:
        client.post(reverse("respondent:start"), {**data, "code": code})
    ballots_mix(round_unit=ru, minimum=1)
    ru.refresh_from_db()
    assert ru.online_ballots == Ballot.objects.filter(round_unit=ru).count() == len(issued)
