from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedJSONField
from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q
from backend.people.models.scope import OFFICE_ROLES, person_scope_q


class ZoneKind(models.TextChoices):
    INCLUSION = "inclusion", "允许区域（须在区域内）"
    EXCLUSION = "exclusion", "禁止区域（不得进入）"


class ZoneQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        if not user.has_role(*OFFICE_ROLES):
            return Q(pk__in=[])
        of_person = person_scope_q(user, "person__", of)  # with ``of``: their zones, and the layers
        return of_person | (Q(person__isnull=True) & jurisdiction_subtree_q(user, "jurisdiction"))

    def applying_to(self, person) -> ZoneQuerySet:
        """Zones that apply to ``person``: their own, their layers' and the default correction layers of their
        jurisdiction and its ancestors (whose ids its path holds: no query for the county above)."""
        chain = [int(part) for part in person.jurisdiction.path.strip("/").split("/") if part]
        return self.filter(
            Q(person=person)
            | Q(layer__persons=person)
            | Q(layer__default_for_correction=True, layer__jurisdiction_id__in=chain)
        ).distinct()


class Zone(models.Model):
    """A place a person must stay inside (inclusion) or must not enter (exclusion).

    Either one person's zone (home, county) or a shared layer's zone (all schools) that applies to the
    people assigned to the layer.  The geometry is encrypted: a home zone is an address.
    """

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ZoneKind.choices)
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="zones")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="zones"
    )
    layer = models.ForeignKey(
        "monitoring.ZoneLayer", on_delete=models.CASCADE, null=True, blank=True, related_name="zones"
    )
    # {"type": "circle", "lat", "lon", "radius_m"} or a GeoJSON Polygon/MultiPolygon (lon, lat order).
    geometry = EncryptedJSONField()
    # [{"weekday": 0-6, "start": "22:00", "end": "06:00"}, …]; empty = always.
    schedule = models.JSONField(default=list, blank=True)
    confirm_fixes = models.PositiveSmallIntegerField(default=2)
    confirm_seconds = models.PositiveIntegerField(default=60)
    clear_fixes = models.PositiveSmallIntegerField(default=2)
    # Metres of tolerance on both sides of the boundary; None: the default for the kind (zone_watch.margin_of).
    margin_m = models.FloatField(null=True, blank=True, default=None)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ZoneQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["person", "active"], name="zone_by_person")]

    def __str__(self) -> str:
        return self.name


class ZoneLayerQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        """An office's layers and those of the offices below it (a layer names places, not people; who is
        on it is read through ``Person.objects.visible_to``)."""
        if not user.has_role(*OFFICE_ROLES):
            return Q(pk__in=[])
        return jurisdiction_subtree_q(user, "jurisdiction")


class ZoneLayer(models.Model):
    """A named set of shared zones (e.g. all schools in the county) assigned to many people."""

    name = models.CharField(max_length=100)
    jurisdiction = models.ForeignKey(
        "core.Jurisdiction", on_delete=models.PROTECT, related_name="zone_layers"
    )
    persons = models.ManyToManyField("people.Person", related_name="zone_layers", blank=True)
    # The county boundary: applies to every correction subject under the layer's jurisdiction, without
    # assigning anyone by hand (the default inclusion zone).
    default_for_correction = models.BooleanField(default=False)

    objects = ZoneLayerQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class ZoneState(models.Model):
    """Where a person stands with one zone, persisted after every batch so a restart neither repeats nor
    loses a violation."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="states")
    violating = models.BooleanField(default=False)
    breach_fixes = models.PositiveIntegerField(default=0)
    breach_since = models.DateTimeField(null=True, blank=True)
    clear_fixes = models.PositiveIntegerField(default=0)
    last_fix_time = models.DateTimeField(null=True, blank=True)
    # The last live fix's [lat, lon]: a pass-through is judged on the segment from it to the next fix,
    # which usually arrives in another batch.  Location data, so encrypted.
    last_point = EncryptedJSONField(null=True, blank=True)
    alert = models.ForeignKey(
        "monitoring.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Late and back-filled fixes confirm a breach among themselves, in fix-time order: their streak.
    late_breach_fixes = models.PositiveIntegerField(default=0)
    late_breach_since = models.DateTimeField(null=True, blank=True)
    late_fix_time = models.DateTimeField(null=True, blank=True)
    # Excursions counted once each (docs/monitoring.md, "Repeats"): the live violation's span (from its
    # first breaching fix to the fix that cleared it; open while it lasts), and the start of the last
    # late streak counted — a back-fill inside the one, or the same streak sent again, adds nothing.
    violation_since = models.DateTimeField(null=True, blank=True)
    violation_until = models.DateTimeField(null=True, blank=True)
    late_counted_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "zone"], name="zone_state_once")]

    def __str__(self) -> str:
        return f"ZoneState {self.person_id}/{self.zone_id}"
