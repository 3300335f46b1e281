from django.db import migrations

from portalsync.roles import update_roles


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("portalsync", "0003_admin_manages_users"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
