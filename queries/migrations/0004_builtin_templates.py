from django.db import migrations


def load(apps, schema_editor):
    from queries.builtin_templates import sync

    sync(apps.get_model("queries", "QueryTemplate"))


class Migration(migrations.Migration):
    dependencies = [("queries", "0003_saved_queries_templates_shares_schedules")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
