"""Create the database cache table, so that `migrate` alone sets up the whole database.

The cache holds the respondent code throttle's counters; without its table every /s/ request
fails. This runs Django's own `createcachetable` logic for each DatabaseCache in
settings.CACHES (a table that already exists is left alone). If the cache's table name is
changed later, run `manage.py createcachetable` once for the new name.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations


def cache_tables():
    return [caches[alias]._table for alias in settings.CACHES
            if isinstance(caches[alias], BaseDatabaseCache)]


def create_cache_tables(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    for table in cache_tables():
        command.create_table(schema_editor.connection.alias, table, dry_run=False)


def drop_cache_tables(apps, schema_editor):
    connection = schema_editor.connection
    existing = connection.introspection.table_names()
    for table in cache_tables():
        if table in existing:
            schema_editor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]
    operations = [migrations.RunPython(create_cache_tables, drop_cache_tables)]
