"""Database triggers that refuse UPDATE and DELETE of a published statistics release, on SQLite
and PostgreSQL: what was published stays exactly as published, whatever writes to the table."""

from django.db import migrations

TABLE = "statistics_statisticsrelease"
MESSAGE = "a published statistics release cannot be changed"

SQLITE_UP = [
    f"""CREATE TRIGGER release_published_no_update BEFORE UPDATE ON {TABLE}
        WHEN OLD.status = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER release_published_no_delete BEFORE DELETE ON {TABLE}
        WHEN OLD.status = 'published'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS release_published_no_update;",
    "DROP TRIGGER IF EXISTS release_published_no_delete;",
]

POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION release_refuse_published_change() RETURNS trigger AS $$
        BEGIN
            IF OLD.status = 'published' THEN
                RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = '{MESSAGE}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END; $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER release_published_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION release_refuse_published_change();""",
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS release_published_no_change ON {TABLE};",
    "DROP FUNCTION IF EXISTS release_refuse_published_change();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("statistics", "0003_release_build_progress")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
