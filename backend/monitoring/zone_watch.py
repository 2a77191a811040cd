"""Zone evaluation: the gateway's post-commit hook that turns committed fixes into zone violations.

Per (person, zone) a small state machine, persisted in ZoneState after every batch:
- a fix is a *breach* only when it is confidently on the wrong side (its accuracy circle clear of the
  boundary, geo.classify); an uncertain fix changes nothing, so GPS jitter along a boundary cannot flap;
- a violation opens when ``confirm_fixes`` breaching fixes or ``confirm_seconds`` of breach have been
  seen (defaults 2 fixes, 60 s) and raises one alert; it ends after ``clear_fixes`` confident fixes on
  the right side — the alert stays for an officer to close, with a note that the person is back;
- a straight segment between two consecutive fixes that passes through an exclusion zone is a breach
  even though neither fix lies inside (a pass-through between sparse fixes);
- late and back-filled fixes are judged one by one in fix-time order and raise *late* alerts without
  disturbing the live state;
- outside a zone's schedule (e.g. a curfew from 22:00 to 06:00) the zone does not apply;
- during an approved leave (外出, 实施办法 Art. 27) the person's inclusion zones do not apply, and the
  leave's destination, if drawn, is an inclusion zone for that window only; exclusion zones still apply.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction
from django.utils import timezone

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.geo.classify import (
    INSIDE,
    OUTSIDE,
    PreparedZone,
    classify,
    is_breach,
    segment_crosses,
)
from backend.monitoring.geo.schedule import Schedule, WeeklyWindow
from backend.monitoring.geo.shapes import Area, Circle
from backend.monitoring.models import AlertEvent, AlertKind, Severity, Zone, ZoneState
from backend.people.models import Case, CaseKind, Person

if TYPE_CHECKING:
    from gps_gateway.writer import FixRow

logger = logging.getLogger("anbang.monitoring")


def shape_of(geometry: dict):
    if geometry.get("type") == "circle":
        return Circle(float(geometry["lat"]), float(geometry["lon"]), float(geometry["radius_m"]))
    return Area(geometry)


def schedule_of(windows: list[dict]) -> Schedule:
    if not windows:
        return Schedule(None)
    return Schedule(
        [
            WeeklyWindow(
                int(w["weekday"]), dt.time.fromisoformat(w["start"]), dt.time.fromisoformat(w["end"])
            )
            for w in windows
        ]
    )


# A pass-through is judged only between precise fixes, and only if the straight path goes this deep: a cell
# fix 1 km off, or a walk around a corner of the zone, must not look like walking through it.
PASS_MAX_ACCURACY_M = 100.0
PASS_MIN_DEPTH_M = 30.0
# Leave windows that ended longer ago than this are not cached: only late fixes could still fall in them.
LEAVE_LOOKBACK = dt.timedelta(days=7)


@dataclass
class WatchedZone:
    id: int
    kind: str
    prepared: PreparedZone
    pass_zone: PreparedZone | None
    schedule: Schedule
    confirm_fixes: int
    confirm_seconds: int
    clear_fixes: int
    # A leave's destination applies only in [start, end) (epoch seconds); None: whenever its schedule says.
    during: tuple[float, float] | None = None


class ZoneCache:
    """Prepared zones per person, rebuilt when any zone changed (checked every ``refresh_seconds``)."""

    def __init__(self, refresh_seconds: float = 10.0) -> None:
        self.refresh_seconds = refresh_seconds
        self._by_person: dict[int, list[WatchedZone]] = {}
        self._leaves: dict[int, list[tuple[float, float]]] = {}
        self._stamp: tuple | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def for_persons(self, person_ids: set[int]) -> dict[int, list[WatchedZone]]:
        self._maybe_reload()
        return {p: self._by_person[p] for p in person_ids if p in self._by_person}

    def leave_windows(self, person_id: int) -> list[tuple[float, float]]:
        """[start, end) epochs of the person's approved leave, when their inclusion zones are suspended."""
        return self._leaves.get(person_id, [])

    def _maybe_reload(self) -> None:
        if time.monotonic() - self._checked < self.refresh_seconds:
            return
        with self._lock:
            self._checked = time.monotonic()
            from django.db.models import Count, Max, Q

            from backend.supervision.models import LeaveRequest, LeaveState

            stamp = (
                *Zone.objects.aggregate(n=Count("id"), t=Max("updated_at")).values(),
                # Default zones follow the correction caseload: a new subject must be covered at once.
                *Case.objects.filter(kind=CaseKind.CORRECTION)
                .aggregate(n=Count("id"), t=Max("updated_at"))
                .values(),
                # Leave only moves forward (pending → approved → returned): these change with every step.
                *LeaveRequest.objects.aggregate(
                    a=Count("id", filter=Q(state=LeaveState.APPROVED)),
                    r=Count("id", filter=Q(state=LeaveState.RETURNED)),
                    t=Max("decided_at"),
                ).values(),
            )
            if stamp == self._stamp:
                return
            by_person = self._load()
            self._leaves = self._load_leaves(by_person)
            self._by_person = by_person
            self._stamp = stamp

    def _load(self) -> dict[int, list[WatchedZone]]:
        by_person: dict[int, list[WatchedZone]] = defaultdict(list)
        zones = (
            Zone.objects.filter(active=True, leave_request__isnull=True)  # destinations: _load_leaves
            .select_related("layer__jurisdiction")
            .prefetch_related("layer__persons")
        )
        for zone in zones:
            try:
                prepared = PreparedZone.from_shape(
                    shape_of(zone.geometry), kind=zone.kind, margin_m=zone.margin_m
                )
            except (ValueError, KeyError, TypeError):
                logger.exception("zone %s has an unusable geometry; not evaluated", zone.pk)
                continue
            pass_zone = None
            if zone.kind == "exclusion":
                depth = max(zone.margin_m, PASS_MIN_DEPTH_M)
                pass_zone = PreparedZone.from_shape(shape_of(zone.geometry), kind=zone.kind, margin_m=depth)
            watched = WatchedZone(zone.pk, zone.kind, prepared, pass_zone, schedule_of(zone.schedule), zone.confirm_fixes,
                                  zone.confirm_seconds, zone.clear_fixes)  # fmt: skip
            persons = self._persons_of(zone)
            for person_id in persons:
                by_person[person_id].append(watched)
        return dict(by_person)

    @staticmethod
    def _load_leaves(by_person: dict[int, list[WatchedZone]]) -> dict[int, list[tuple[float, float]]]:
        """Approved leave: its window per person, and its destination zone (added to ``by_person``)."""
        from backend.supervision.models import LeaveRequest, LeaveState

        since = timezone.localdate() - LEAVE_LOOKBACK
        leaves = LeaveRequest.objects.filter(
            state__in=(LeaveState.APPROVED, LeaveState.RETURNED), ends_on__gte=since
        ).select_related("case", "destination_zone")
        windows: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for leave in leaves:
            start, end = leave.window()
            if end <= start:
                continue  # back before it began
            span = (start.timestamp(), end.timestamp())
            person_id = leave.case.person_id
            windows[person_id].append(span)
            zone = leave.destination_zone
            if zone is None or not zone.active:
                continue
            try:
                prepared = PreparedZone.from_shape(
                    shape_of(zone.geometry), kind="inclusion", margin_m=zone.margin_m
                )
            except (ValueError, KeyError, TypeError):
                logger.exception("leave destination zone %s has an unusable geometry; not evaluated", zone.pk)
                continue
            by_person.setdefault(person_id, []).append(
                WatchedZone(zone.pk, "inclusion", prepared, None, Schedule(None), zone.confirm_fixes,
                            zone.confirm_seconds, zone.clear_fixes, during=span)
            )  # fmt: skip
        return dict(windows)

    @staticmethod
    def _persons_of(zone: Zone) -> list[int]:
        if zone.person_id:
            return [zone.person_id]
        if zone.layer is None:
            return []
        if zone.layer.default_for_correction:
            cases = Case.objects.open().filter(
                kind=CaseKind.CORRECTION, person__jurisdiction__path__startswith=zone.layer.jurisdiction.path
            )
            return list(cases.values_list("person_id", flat=True).distinct())
        return [p.pk for p in zone.layer.persons.all()]


class ZoneEvaluator:
    """Callable post-commit hook: ``evaluator(rows)``."""

    def __init__(self, cache: ZoneCache | None = None) -> None:
        self.cache = cache or ZoneCache()

    def __call__(self, rows: list[FixRow]) -> int:
        located = [r for r in rows if r.person_id and r.store_point and r.fix.latitude is not None]
        if not located:
            return 0
        zones = self.cache.for_persons({r.person_id for r in located})
        if not zones:
            return 0
        by_person: dict[int, list[FixRow]] = defaultdict(list)
        for row in located:
            if row.person_id in zones:
                by_person[row.person_id].append(row)
        opened = 0
        with transaction.atomic():
            states = self._states(by_person, zones)
            for person_id, person_rows in by_person.items():
                person_rows.sort(key=lambda r: r.fix.fix_time)
                leave = self.cache.leave_windows(person_id)
                for zone in zones[person_id]:
                    opened += self._walk(person_id, zone, person_rows, states[(person_id, zone.id)], leave)
            ZoneState.objects.bulk_update(
                states.values(),
                [
                    "violating",
                    "breach_fixes",
                    "breach_since",
                    "clear_fixes",
                    "last_fix_time",
                    "last_point",
                    "alert",
                ],
            )
        return opened

    @staticmethod
    def _states(by_person: dict, zones: dict) -> dict[tuple[int, int], ZoneState]:
        pairs = {(p, z.id) for p in by_person for z in zones[p]}
        existing = {
            (s.person_id, s.zone_id): s
            for s in ZoneState.objects.select_for_update().filter(
                person_id__in={p for p, _ in pairs}, zone_id__in={z for _, z in pairs}
            )
        }
        missing = [ZoneState(person_id=p, zone_id=z) for p, z in pairs if (p, z) not in existing]
        if missing:
            ZoneState.objects.bulk_create(missing, ignore_conflicts=True)
            existing = {
                (s.person_id, s.zone_id): s
                for s in ZoneState.objects.select_for_update().filter(
                    person_id__in={p for p, _ in pairs}, zone_id__in={z for _, z in pairs}
                )
            }
        return existing

    def _walk(self, person_id: int, zone: WatchedZone, rows: list[FixRow], state: ZoneState,
              leave: list[tuple[float, float]] | None = None) -> int:  # fmt: skip
        lats = np.array([r.fix.latitude for r in rows], dtype=float)
        lons = np.array([r.fix.longitude for r in rows], dtype=float)
        accuracy = np.array(
            [np.nan if r.fix.accuracy_m is None else r.fix.accuracy_m for r in rows], dtype=float
        )
        epochs = np.array([r.fix.fix_time.timestamp() for r in rows], dtype=float)
        classes = classify(zone.prepared, lats, lons, accuracy)
        breach = is_breach(zone.prepared, classes)
        applies = zone.schedule.active_mask(epochs)
        if zone.during is not None:
            applies = applies & (epochs >= zone.during[0]) & (epochs < zone.during[1])
        elif zone.kind == "inclusion":
            for start, end in leave or ():  # approved leave suspends the person's inclusion zones
                applies = applies & ((epochs < start) | (epochs >= end))
        right_side = INSIDE if zone.kind == "inclusion" else OUTSIDE
        crossed = self._pass_throughs(zone, rows, lats, lons, state)
        opened = 0
        for i, row in enumerate(rows):
            when = row.fix.fix_time
            if not applies[i]:
                state.breach_fixes, state.breach_since = 0, None
                continue
            if (
                row.late
                or row.fix.archive
                or (state.last_fix_time is not None and when <= state.last_fix_time)
            ):
                if breach[i]:
                    opened += self._open(
                        person_id, zone, state, row, late=True, reason="late_fix", keep_state=True
                    )
                continue
            state.last_fix_time = when
            if breach[i] or crossed[i]:
                state.clear_fixes = 0
                state.breach_fixes += 1
                state.breach_since = state.breach_since or when
                confirmed = (
                    crossed[i]
                    or state.breach_fixes >= zone.confirm_fixes
                    or (when - state.breach_since).total_seconds() >= zone.confirm_seconds
                )
                if confirmed and not state.violating:
                    opened += self._open(person_id, zone, state, row, late=False,
                                         reason="pass_through" if crossed[i] and not breach[i] else "confirmed")  # fmt: skip
                if crossed[i] and not breach[i]:
                    state.breach_fixes, state.breach_since = (
                        0,
                        None,
                    )  # the path went through; the fix itself is out
            elif classes[i] == right_side:
                state.breach_fixes, state.breach_since = 0, None
                state.clear_fixes += 1
                if state.violating and state.clear_fixes >= zone.clear_fixes:
                    self._end_violation(state, when)
        return opened

    @staticmethod
    def _pass_throughs(zone: WatchedZone, rows: list, lats, lons, state: ZoneState) -> np.ndarray:
        """For exclusion zones: did the straight path from the previous live fix pass through the zone?

        The previous fix of the first row is the one remembered in the state (it came in an earlier batch);
        late fixes are not part of the live path.
        """
        crossed = np.zeros(len(rows), dtype=bool)
        if zone.pass_zone is None:
            return crossed
        precise = np.array(
            [r.fix.accuracy_m is not None and r.fix.accuracy_m <= PASS_MAX_ACCURACY_M for r in rows]
        )
        clear = (
            classify(
                zone.prepared, lats, lons, np.array([r.fix.accuracy_m or np.nan for r in rows], dtype=float)
            )
            == OUTSIDE
        )
        live = [i for i, r in enumerate(rows) if not (r.late or r.fix.archive) and precise[i] and clear[i]]
        if state.last_fix_time is not None:
            live = [i for i in live if rows[i].fix.fix_time > state.last_fix_time]
        if not live:
            return crossed
        previous = [tuple(state.last_point)] if state.last_point else [None]
        previous += [(lats[i], lons[i]) for i in live[:-1]]
        pairs = [(k, p) for k, p in zip(live, previous, strict=True) if p is not None]
        if pairs:
            index = np.array([k for k, _ in pairs])
            hit = segment_crosses(
                zone.pass_zone,
                np.array([p[0] for _, p in pairs]), np.array([p[1] for _, p in pairs]), lats[index], lons[index],
            )  # fmt: skip
            crossed[index] = hit
        if live:
            state.last_point = [float(lats[live[-1]]), float(lons[live[-1]])]
        return crossed

    @staticmethod
    def _open(person_id: int, zone: WatchedZone, state: ZoneState, row: FixRow, *, late: bool, reason: str,
              keep_state: bool = False) -> int:  # fmt: skip
        person = Person.objects.get(pk=person_id)
        kind = AlertKind.ZONE_EXIT if zone.kind == "inclusion" else AlertKind.ZONE_ENTRY
        alert, created = raise_alert(
            kind=kind, severity=Severity.HIGH, person=person, subject=f"zone:{zone.id}", at=row.fix.fix_time, late=late,
            details={"zone": zone.id, "fix_time": row.fix.fix_time.isoformat(), "reason": reason, "device": row.device_id},
        )  # fmt: skip
        if not keep_state:
            state.violating, state.alert = True, alert
        return int(created)

    @staticmethod
    def _end_violation(state: ZoneState, when: dt.datetime) -> None:
        state.violating = False
        state.clear_fixes = 0
        if state.alert_id:
            AlertEvent.objects.create(
                alert_id=state.alert_id, kind=AlertEvent.Kind.NOTE, at=timezone.now(),
                details={"violation_ended_at": when.isoformat()},
            )  # fmt: skip
