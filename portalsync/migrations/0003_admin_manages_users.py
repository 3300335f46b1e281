from django.db import migrations

from portalsync.roles import update_roles


class Migration(migrations.Migration):
    dependencies = [("portalsync", "0002_roles")]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
