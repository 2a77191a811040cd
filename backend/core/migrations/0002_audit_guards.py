from django.db import migrations

from backend.core.audit_guard import migration_install, migration_remove


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(migration_install, migration_remove)]
