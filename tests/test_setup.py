"""`migrate` is the whole database set-up: a fresh database works without other commands."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import django
from django.core.management import call_command
from django.db import connection

django.setup()
from django.core.cache import cache
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()

def cache_table_exists():
    return "credibility_cache" in connection.introspection.table_names()

call_command("migrate", verbosity=0)
cache.set("fresh", "works", 60)
assert cache.get("fresh") == "works"
assert Client().get("/s/").status_code == 200

call_command("migrate", "accounts", "0002_roles", verbosity=0)  # reversible
assert not cache_table_exists()
call_command("migrate", verbosity=0)
assert cache_table_exists()
print("ok")
"""


def test_migrate_alone_gives_a_working_cache_and_reverses(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "credibility.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
