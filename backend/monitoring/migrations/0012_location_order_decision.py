"""Location orders and renewals are proposed, then decided in the system by a county head (Art. 29).

Rows made before this migration were recorded with their approver already named: they become approved,
decided by that approver when they were recorded.  New rows start as proposals (the model's default).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

import backend.core.crypto.fields

DECISIONS = [
    ("proposed", "待批准"),
    ("approved", "已批准"),
    ("refused", "不予批准"),
    ("expired", "逾期未批"),
    ("withdrawn", "已撤回"),
]


def recorded_as_approved(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The new foreign key's index is created after this function, in the same transaction: PostgreSQL
        # refuses that while the updates below leave deferred constraint checks pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Order = apps.get_model("monitoring", "LocationOrder")
    Renewal = apps.get_model("monitoring", "LocationOrderRenewal")
    Order.objects.filter(decided_at__isnull=True).update(decided_at=F("proposed_at"))
    Renewal.objects.filter(decided_at__isnull=True).update(decided_at=F("proposed_at"))
    proposer = Order.objects.filter(pk=OuterRef("order_id")).values("proposed_by_id")[:1]
    Renewal.objects.filter(proposed_by__isnull=True).update(proposed_by_id=Subquery(proposer))


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0011_registration_binding_implausible_fixes_counted_excursions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # --- orders ---
        migrations.RenameField("locationorder", "created_by", "proposed_by"),
        migrations.RenameField("locationorder", "created_at", "proposed_at"),
        migrations.RenameField("locationorder", "approved_by", "decided_by"),
        migrations.AlterField(
            model_name="locationorder",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="locationorder",
            name="approved_on",
            field=models.DateField(blank=True, null=True, verbose_name="批准日期"),
        ),
        migrations.AddField(
            model_name="locationorder",
            name="decision",
            field=models.CharField(
                choices=DECISIONS, default="approved", max_length=10, verbose_name="审批状态"
            ),
        ),
        migrations.AlterField(
            model_name="locationorder",
            name="decision",
            field=models.CharField(
                choices=DECISIONS, default="proposed", max_length=10, verbose_name="审批状态"
            ),
        ),
        migrations.AddField(
            model_name="locationorder",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="locationorder",
            name="decision_reason",
            field=backend.core.crypto.fields.EncryptedTextField(
                blank=True, null=True, verbose_name="审批意见（不予批准的理由）"
            ),
        ),
        migrations.AddIndex(
            model_name="locationorder",
            index=models.Index(
                condition=models.Q(("decision", "proposed")), fields=["starts_on"], name="order_proposed"
            ),
        ),
        # --- renewals ---
        migrations.RenameField("locationorderrenewal", "created_at", "proposed_at"),
        migrations.RenameField("locationorderrenewal", "approved_by", "decided_by"),
        migrations.AlterField(
            model_name="locationorderrenewal",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="locationorderrenewal",
            name="approved_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="locationorderrenewal",
            name="decision",
            field=models.CharField(
                choices=DECISIONS, default="approved", max_length=10, verbose_name="审批状态"
            ),
        ),
        migrations.AlterField(
            model_name="locationorderrenewal",
            name="decision",
            field=models.CharField(
                choices=DECISIONS, default="proposed", max_length=10, verbose_name="审批状态"
            ),
        ),
        migrations.AddField(
            model_name="locationorderrenewal",
            name="proposed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="locationorderrenewal",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="locationorderrenewal",
            name="decision_reason",
            field=backend.core.crypto.fields.EncryptedTextField(
                blank=True, null=True, verbose_name="审批意见（不予批准的理由）"
            ),
        ),
        migrations.AlterModelOptions(name="locationorderrenewal", options={"ordering": ["id"]}),
        migrations.AddConstraint(
            model_name="locationorderrenewal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("decision", "proposed")), fields=["order"], name="one_open_renewal"
            ),
        ),
        migrations.RunPython(recorded_as_approved, migrations.RunPython.noop),
    ]
