from django.contrib.auth.management import create_permissions
from django.db import migrations

from portalsync.roles import ensure_roles


def grant_audit_to_admins(apps, schema_editor):
    # Permissions are normally created after all migrations; the role needs this one now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("portalsync", "0003_admin_manages_users"),
    ]

    operations = [migrations.RunPython(grant_audit_to_admins, migrations.RunPython.noop)]
