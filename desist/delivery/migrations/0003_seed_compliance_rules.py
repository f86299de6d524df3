from django.db import migrations

# Warning from the first unacceptable absence, breach consideration from the second, within
# 12 months, decision within 5 working days. Programmes change these on the admin pages.
KINDS = ["licence", "tpim_notice", "teo", "custodial_sentence", "community_order", "voluntary"]


def seed(apps, schema_editor):
    ComplianceRule = apps.get_model("delivery", "ComplianceRule")
    for kind in KINDS:
        ComplianceRule.objects.get_or_create(legal_basis_kind=kind)


class Migration(migrations.Migration):
    dependencies = [("delivery", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
