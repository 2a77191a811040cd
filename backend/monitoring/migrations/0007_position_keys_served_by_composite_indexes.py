"""Drop the single-column indexes on monitoring_position.device_id and person_id.

The unique (device, fix_time) constraint and position_by_person (person, fix_time) lead with those columns
and serve every lookup by either.  Done with DROP INDEX rather than AlterField: on SQLite an AlterField
rebuilds the table, which for a year of positions is a long outage; dropping an index is instant.
"""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = ("device_id", "person_id")


def drop_indexes(apps, schema_editor):
    for column in COLUMNS:
        name = schema_editor._create_index_name("monitoring_position", [column])
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    for column in COLUMNS:
        name = schema_editor._create_index_name("monitoring_position", [column])
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON monitoring_position ({schema_editor.quote_name(column)})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0006_zonestate_last_point"),
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="position",
                    name="device",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="positions",
                        to="monitoring.device",
                    ),
                ),
                migrations.AlterField(
                    model_name="position",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="positions",
                        to="people.person",
                    ),
                ),
            ],
        )
    ]
