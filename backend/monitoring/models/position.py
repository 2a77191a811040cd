from __future__ import annotations

import datetime as dt
import functools
import operator

from django.db import models

from backend.core.crypto.fields import EncryptedJSONField
from backend.monitoring.models.device import Device, DeviceAssignment
from backend.people.models import Person
from gps_gateway.filters import FilterLimits


class PositionQuerySet(models.QuerySet):
    """A person's fixes are found through the devices they have worn or carried.

    The table has no person-leading index: on SQLite every index that does not grow at its end costs the
    gateway a random page written per fix, and a worn tag's fix paid it twice, device and person index
    (``bench/position_layout.py``, docs/benchmarks.md).  A person wears few devices, so their fixes are a
    few ranges of the (device, fix_time) index, kept to the person by ``person_id`` — the attribution the
    gateway stored with each fix, so a tag handed on to someone else brings none of their fixes along.
    Each range covers only the time the person can have fixes on that device (``worn_devices``), so a
    tag worn by others for years after is not read through."""

    def of_person(self, person, seen_by=None) -> PositionQuerySet:
        """One queryset, for reads of everything in a period; with ``seen_by`` (a reader), only the fixes
        that reader may see (``seen_on_devices_q``)."""
        person_id, ranges = _ranges(person, seen_by)
        if not ranges:
            return self.none()
        return self.filter(functools.reduce(operator.or_, ranges), person_id=person_id)

    def of_person_by_device(self, person, seen_by=None) -> list[PositionQuerySet]:
        """One queryset per device, for reads in time order with a limit: each is a short ordered scan
        of the index, merged by ``backend.core.http.pagination.first_in_order`` / ``paginate_by_time``."""
        person_id, ranges = _ranges(person, seen_by)
        return [self.filter(on_device, person_id=person_id) for on_device in ranges]

    def on_device_seen_by(self, device, user) -> PositionQuerySet:
        """A device's fixes that ``user`` may see (``seen_on_devices_q``)."""
        return self.filter(seen_on_devices_q(user, [device.pk])[device.pk], device_id=device.pk)


def seen_on_devices_q(user, device_ids) -> dict[int, models.Q]:
    """Per device, the fixes ``user`` may see (docs/security.md, "Scoping"): a fix is its wearer's — the
    person whose wearing spell (佩戴记录) covers its fix time, and the person the gateway attributed it to
    (the two differ when a device uploads buffered fixes after it changed hands, or for the few seconds
    the gateway's directory lags an assignment).  It is shown only when every one of them is a person
    ``user`` may open (``Person.objects.visible_to``: a minor's or sealed file needs a grant); a fix of no
    one (the device in a drawer) is shown to whoever may see the device, which the caller has checked."""
    spells: dict[int, list[tuple[int, dt.datetime | None, dt.datetime | None]]] = {d: [] for d in device_ids}
    for device, person, started, ended in DeviceAssignment.objects.filter(
        device_id__in=device_ids
    ).values_list("device_id", "person_id", "started_at", "ended_at"):
        spells[device].append((person, started, ended))
    holders = Device.objects.filter(pk__in=device_ids, person__isnull=False).values_list(
        "pk", "person_id", "assigned_at"
    )
    for device, person, since in holders:  # a holder set without a wearing record still wears it
        if not any(p == person and ended is None for p, _, ended in spells[device]):
            spells[device].append((person, since, None))
    wearers = {person for rows in spells.values() for person, _, _ in rows}
    seen = (
        set(Person.objects.visible_to(user).filter(pk__in=wearers).values_list("pk", flat=True))
        if wearers
        else set()
    )
    result = {}
    for device, rows in spells.items():
        q = models.Q(person__isnull=True) | models.Q(person_id__in=sorted(seen))
        for person, started, ended in rows:
            if person in seen:
                continue
            if started is None and ended is None:
                q = models.Q(pk__in=[])
                break
            spell = models.Q()
            if started is not None:
                spell &= models.Q(fix_time__gte=started)
            if ended is not None:
                spell &= models.Q(fix_time__lt=ended)
            q &= ~spell
        result[device] = q
    return result


Window = tuple[dt.datetime | None, dt.datetime | None]


def worn_devices(person_id: int) -> dict[int, Window]:
    """The devices a person has worn (佩戴记录, and the device they hold now if it was set without a
    record), each with the fix times their fixes can have on it.  The gateway attributes a fix to the
    device's holder when the fix arrives, and accepts fix times from ``FilterLimits.max_age`` before
    arrival to ``max_future`` after: so from the spell's start less the age limit to its end plus the
    future limit, a day added on each side for the gateway's few seconds of directory refresh."""
    limits = FilterLimits()
    before, after = limits.max_age + dt.timedelta(days=1), limits.max_future + dt.timedelta(days=1)
    spells: list[tuple[int, dt.datetime | None, dt.datetime | None]] = list(
        DeviceAssignment.objects.filter(person_id=person_id).values_list(
            "device_id", "started_at", "ended_at"
        )
    )
    spells += [
        (pk, at, None)
        for pk, at in Device.objects.filter(person_id=person_id).values_list("pk", "assigned_at")
    ]
    windows: dict[int, Window] = {}
    for device, started, ended in spells:
        low = started - before if started is not None else None
        high = ended + after if ended is not None else None
        if device in windows:
            known_low, known_high = windows[device]
            low = None if low is None or known_low is None else min(low, known_low)
            high = None if high is None or known_high is None else max(high, known_high)
        windows[device] = (low, high)
    return windows


def _ranges(person, seen_by=None) -> tuple[int, list[models.Q]]:
    """The person's id, and one range of the (device, fix_time) index per device they have worn (with
    ``seen_by``, narrowed to the fixes that reader may see)."""
    person_id = getattr(person, "pk", person)
    windows = worn_devices(person_id)
    ranges = [_in_range(device, window) for device, window in windows.items()]
    if seen_by is not None and windows:
        seen = seen_on_devices_q(seen_by, list(windows))
        ranges = [q & seen[device] for q, device in zip(ranges, windows, strict=True)]
    return person_id, ranges


def _in_range(device: int, window: Window) -> models.Q:
    low, high = window
    q = models.Q(device_id=device)
    if low is not None:
        q &= models.Q(fix_time__gte=low)
    if high is not None:
        q &= models.Q(fix_time__lt=high)
    return q


class Position(models.Model):
    """One fix as stored by the gateway.  The point and the radio attributes (cell towers, Wi-Fi) locate a
    person, so they are encrypted; speed, course and the flags are not.

    Written by the gateway's batch writer with raw INSERT … ON CONFLICT DO NOTHING on (device, fix_time):
    a repeated fix (a device resending after a lost ack) is stored once.
    """

    # One index besides the rowid: the unique (device, fix_time).  Each further index was a random-page
    # write per fix on SQLite (a plain device index, and the person index: see
    # ``PositionQuerySet.of_person``).
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
    # An impossible jump from the device's last plausible fix (filters.reject_reason, "impossible_jump"):
    # stored to be seen, never judged against zones nor drawn as part of the track.
    implausible = models.BooleanField(default=False)
    attributes = EncryptedJSONField(null=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        constraints = [
            # Also the access path of every reader: a device's fixes, and a person's (``of_person``).
            models.UniqueConstraint(fields=["device", "fix_time"], name="position_once_per_device_time")
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
