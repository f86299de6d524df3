from django.db import migrations

COURSES = [
    # code, name, required, valid for months
    ("desistance", "Desistance and disengagement training", True, 36),
    ("safeguarding", "Safeguarding adults and children", True, 24),
    ("information_security", "Information security and handling", True, 12),
]


def seed(apps, schema_editor):
    TrainingCourse = apps.get_model("providers", "TrainingCourse")
    for code, name, required, months in COURSES:
        TrainingCourse.objects.get_or_create(
            code=code, defaults={"name": name, "required": required, "valid_for_months": months}
        )


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
