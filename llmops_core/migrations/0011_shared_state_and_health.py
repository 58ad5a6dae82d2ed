"""Shared state for every web process: login counters, heartbeats, the database cache's table."""

from django.core.management import call_command
from django.db import migrations, models

# settings.DATABASE_CACHE_TABLE, the table CACHE_URL=db:// uses (the production default).
CACHE_TABLE = "llmops_cache"


def create_cache_table(apps, schema_editor):
    # Django's own command, so the table is exactly what its database cache expects; it skips
    # a table that already exists (an operator who ran createcachetable before).
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ('llmops_core', '0010_generation_followups_done'),
    ]

    operations = [
        migrations.CreateModel(
            name='Heartbeat',
            fields=[
                ('name', models.CharField(max_length=100, primary_key=True, serialize=False)),
                ('beat_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='LoginFailureCounter',
            fields=[
                ('key', models.CharField(max_length=200, primary_key=True, serialize=False)),
                ('failures', models.PositiveIntegerField(default=0)),
                ('expires_at', models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunPython(create_cache_table, drop_cache_table),
    ]
