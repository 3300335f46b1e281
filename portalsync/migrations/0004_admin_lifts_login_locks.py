from django.db import migrations

from portalsync.roles import update_roles


class Migration(migrations.Migration):
    dependencies = [
        ("portalsync", "0003_admin_manages_users"),
        ("audit", "0002_admin_role"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
