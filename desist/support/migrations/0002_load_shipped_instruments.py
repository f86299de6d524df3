"""Load the instruments desist ships with: the needs and strengths assessment (v1) and the ONS
personal well-being questions (ONS4, v1), from desist/support/instruments/. Idempotent: a file
already loaded with the same content changes nothing. Not audited (the audit trail starts
empty); the files and this migration are the record of what was shipped."""

from django.db import migrations

FILES = ("needs-assessment-v1.yaml", "ons4-v1.yaml")


def load(apps, schema_editor):
    from desist.support.instruments import load_shipped

    load_shipped(apps.get_model("support", "Instrument"), FILES)


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
