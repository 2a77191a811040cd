from __future__ import annotations

from django.db import models

from backend.core.crypto.fields import EncryptedJSONField


class Position(models.Model):
    """One fix as stored by the gateway.  The point and the radio attributes (cell towers, Wi-Fi) locate a
    person, so they are encrypted; speed, course and the flags are not.

    Written by the gateway's batch writer with raw INSERT … ON CONFLICT DO NOTHING on (device, fix_time):
    a repeated fix (a device resending after a lost ack) is stored once.
    """

    # No single-column indexes on the two keys: (device, fix_time) and (person, fix_time) below lead with
    # them and serve every lookup by either; each extra index was a random-page write per fix (the
    # device one 31 of the writer's 73 µs per row on SQLite in a side experiment).
    device = models.ForeignKey(
        "monitoring.Device", on_delete=models.PROTECT, related_name="positions", db_index=False
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, related_name="positions", db_index=False
    )
    fix_time = models.DateTimeField()
    received_at = models.DateTimeField()
    point = EncryptedJSONField(null=True)  # [lat, lon] WGS-84; null for an alarm without a usable fix
    valid = models.BooleanField()
    source = models.CharField(max_length=8)
    accuracy_m = models.FloatField(null=True)
    speed_kmh = models.FloatField(null=True)
    course = models.FloatField(null=True)
    altitude_m = models.FloatField(null=True)
    satellites = models.SmallIntegerField(null=True)
    battery_pct = models.SmallIntegerField(null=True)
    alarms = models.CharField(max_length=200, blank=True, default="")
    late = models.BooleanField(default=False)
    archive = models.BooleanField(default=False)
    attributes = EncryptedJSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "fix_time"], name="position_once_per_device_time")
        ]
        indexes = [
            # Used by the track view and the person file: a person's fixes in a period.
            models.Index(fields=["person", "fix_time"], name="position_by_person"),
        ]

    def __str__(self) -> str:
        return f"Position {self.pk}"


class GatewayStats(models.Model):
    """The latest counters of one gateway process, written every few seconds, read by /gateway/stats."""

    node = models.CharField(max_length=64, primary_key=True)
    updated_at = models.DateTimeField()
    started_at = models.DateTimeField()
    counters = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.node
