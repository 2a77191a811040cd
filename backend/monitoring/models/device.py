from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone

from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q
from backend.people.models.scope import person_scope_q


class DeviceKind(models.TextChoices):
    TAG = "tag", "电子定位装置（脚环/腕带）"
    PHONE = "phone", "手机（信息化核查）"
    WATCH = "watch", "手表"


class Protocol(models.TextChoices):
    OSMAND = "osmand", "OsmAnd / Traccar Client"
    JT808 = "jt808", "JT/T 808"
    GT06 = "gt06", "GT06"
    H02 = "h02", "H02"
    WATCH = "watch", "Watch (3G)"


# Protocols in which the device proves nothing but its IMEI (anyone who knows it can send as it).
WEAK_AUTH_PROTOCOLS = frozenset({Protocol.GT06, Protocol.H02, Protocol.WATCH})


class DeviceQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        """A device belongs to an office; it is also visible through the person it is assigned to."""
        if of is not None:
            return person_scope_q(user, "person__", of)  # the devices assigned to a person in reach
        return jurisdiction_subtree_q(user, "jurisdiction") | person_scope_q(user, "person__")


# A device last heard from within this many minutes is online (the device list, the console, the API).
ONLINE_MINUTES = 10


class Device(models.Model):
    """A tracker (定位设备): wearable tag, phone or watch, known by its protocol identifier.

    ``identifier`` is the IMEI (GT06, H02, Watch), the JT/T 808 terminal phone without leading zeros, or —
    for OsmAnd — the SHA-256 of the issued identifier, which works like a password and is shown once.
    """

    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField("类型", max_length=8, choices=DeviceKind.choices)
    protocol = models.CharField("协议", max_length=8, choices=Protocol.choices)
    identifier = models.CharField("设备标识", max_length=64)
    model = models.CharField("型号", max_length=64, blank=True, default="")
    label = models.CharField("备注名", max_length=64, blank=True, default="")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="devices"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # JT/T 808: SHA-256 of the auth code issued in the 0x8100 reply; the terminal presents it in 0x0102.
    auth_code_digest = models.CharField(max_length=64, blank=True, default="")
    registered_at = models.DateTimeField(null=True, blank=True)
    # JT/T 808: who registered (0x0100 maker, model, terminal id), bound on the first registration.  A
    # second 0x0100 is refused (0x8100 result 3) until an officer resets it (``reset_registration``);
    # a terminal that authenticates with its provisioned code counts as registered too.
    registered_maker = models.CharField("注册制造商", max_length=64, blank=True, default="")
    registered_model = models.CharField("注册终端型号", max_length=64, blank=True, default="")
    registered_terminal_id = models.CharField("注册终端 ID", max_length=64, blank=True, default="")
    # Refused re-registrations in the current window (rules().jt808_reregistration_alert_*).
    refused_registrations = models.PositiveIntegerField(default=0)
    refused_registrations_since = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_fix_at = models.DateTimeField(null=True, blank=True)
    battery_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # Used by the gateway to pick up provisioning and assignment changes every few seconds.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["protocol", "identifier"], name="device_unique_identifier")
        ]

    def __str__(self) -> str:
        return self.label or f"Device {self.pk}"

    @property
    def weak_auth(self) -> bool:
        return self.protocol in WEAK_AUTH_PROTOCOLS

    def status(self, now: dt.datetime | None = None) -> str:
        """online / offline / never — from the last message of any kind."""
        if self.last_seen_at is None:
            return "never"
        now = now or timezone.now()
        return "online" if now - self.last_seen_at <= dt.timedelta(minutes=ONLINE_MINUTES) else "offline"


class DeviceAssignment(models.Model):
    """Who wore or carried a device when (佩戴记录); positions are attributed through it."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="assignments")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="device_assignments")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")

    def __str__(self) -> str:
        return f"DeviceAssignment {self.pk}"
