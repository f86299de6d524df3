from django.core.management import call_command
from django.db import migrations

from desist.accounts.constants import REGIONS


def add_regions(apps, schema_editor):
    Region = apps.get_model("accounts", "Region")
    for code, name in REGIONS:
        Region.objects.get_or_create(code=code, defaults={"name": name})


def create_cache_table(apps, schema_editor):
    # The shared cache (lock-out counters) lives in the database unless REDIS_URL is set.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunPython(add_regions, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
