"""Backup and restore, proven: pg_dump, pg_restore into a new database, verify every seal there.

This is the procedure docs/deploy.md gives operators. PostgreSQL only (deselected on SQLite).
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, Round, RoundStatus
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


def pg_env():
    db = connection.settings_dict
    return {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432),
            "PGUSER": db["USER"], "PGPASSWORD": db["PASSWORD"]}


def pg(*args):
    subprocess.run(args, env=pg_env(), check=True, capture_output=True, text=True)


def database_url(name):
    env = pg_env()
    return (f"postgres://{quote(env['PGUSER'])}:{quote(env['PGPASSWORD'], safe='')}"
            f"@{env['PGHOST']}:{env['PGPORT']}/{name}")


def verify_round(name, round_id):
    """`manage.py verify_round` in a new process, against the database `name`."""
    env = {**os.environ, "DATABASE_URL": database_url(name),
           "DJANGO_SETTINGS_MODULE": "credibility.settings.test"}
    return subprocess.run([sys.executable, "manage.py", "verify_round", str(round_id)],
                          cwd=ROOT, env=env, capture_output=True, text=True)


def closed_round(units, staff, options):
    """A round with ballots, closed (and so sealed) through the staff screens."""
    r = factories.round_(units)
    for round_unit, votes in zip(r.round_units.all(), options):
        factories.ballots(round_unit, votes)
    client = Client()
    client.force_login(staff)
    assert client.post(reverse("rounds:close", args=[r.pk])).status_code == 302
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED and r.seal_digest
    return r


def test_a_restored_dump_verifies_every_sealed_round(tmp_path):
    city = factories.city()
    staff = factories.staff()
    closed_round(city["units"][:2], staff, [[1, 1, 2, 3], [2, 4]])
    closed_round(city["units"][2:5], staff, [[1, 2], [3], [1, 1, 1]])
    sealed = list(Round.objects.exclude(seal_digest="").values_list("pk", flat=True))
    assert len(sealed) == 2

    dump = tmp_path / "credibility.dump"
    restored = f"{connection.settings_dict['NAME']}_restored"
    pg("pg_dump", "--format=custom", f"--file={dump}", connection.settings_dict["NAME"])
    pg("dropdb", "--if-exists", restored)
    pg("createdb", restored)
    try:
        pg("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump))
        for round_id in sealed:
            result = verify_round(restored, round_id)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "封存指纹" in result.stdout and "封存完好" in result.stdout

        # The check reads the restored copy: a changed answer there is caught.
        with psycopg.connect(database_url(restored), autocommit=True) as copy:
            copy.execute(f"UPDATE {Answer._meta.db_table} SET option = 4 WHERE id = "
                         f"(SELECT min(id) FROM {Answer._meta.db_table} WHERE option = 1)")
        tampered = [verify_round(restored, round_id).returncode for round_id in sealed]
        assert sorted(tampered) == [0, 1]
    finally:
        pg("dropdb", "--if-exists", restored)
