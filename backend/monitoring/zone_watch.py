"""Zone evaluation: the gateway's post-commit hook that turns committed fixes into zone violations.

Per (person, zone) a small state machine, persisted in ZoneState after every batch:
- a fix is a *breach* only when it is confidently on the wrong side (its accuracy circle clear of the
  boundary, geo.classify); an uncertain fix changes nothing, so GPS jitter along a boundary cannot flap;
- a violation opens when ``confirm_fixes`` breaching fixes or ``confirm_seconds`` of breach have been
  seen (defaults 2 fixes, 60 s) and raises one alert; it ends after ``clear_fixes`` confident fixes on
  the right side — the alert stays for an officer to close, with a note that the person is back;
- a straight segment between two consecutive fixes that passes through an exclusion zone is a breach
  even though neither fix lies inside (a pass-through between sparse fixes);
- late and back-filled fixes are judged among themselves in fix-time order, confirmed like live ones, and
  raise *late* alerts without disturbing the live state; each distinct excursion counts once on the alert
  (one late streak once, not once per fix; not again for a streak sent twice, nor for late fixes inside
  the live violation already alerted), and every occurrence counted leaves a timeline entry;
- outside a zone's schedule (e.g. a curfew from 22:00 to 06:00) the zone does not apply;
- during an approved leave (外出, 实施办法 Art. 27) the person's inclusion zones do not apply, and the
  leave's destination, if drawn, is an inclusion zone for that window only; exclusion zones still apply.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from backend.core.rules import rules
from backend.monitoring.absences import absence_sources
from backend.monitoring.actions.alerts import local_time, raise_alert
from backend.monitoring.geo.classify import (
    DEFAULT_ACCURACY_M,
    INSIDE,
    OUTSIDE,
    PreparedZone,
    classify,
    is_breach,
    segment_crosses,
)
from backend.monitoring.geo.schedule import Schedule, WeeklyWindow
from backend.monitoring.geo.shapes import Area, Circle, Corridor
from backend.monitoring.models import AlertEvent, AlertKind, Device, Severity, Zone, ZoneState
from backend.people.models import Case, CaseKind, Person
from gps_gateway.rows import FixRow

logger = logging.getLogger("anbang.monitoring")


def shape_of(geometry: dict):
    if geometry.get("type") == "circle":
        return Circle(float(geometry["lat"]), float(geometry["lon"]), float(geometry["radius_m"]))
    if geometry.get("type") == "corridor":
        return Corridor(geometry)
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


# A pass-through is judged on the straight path between two consecutive fixes, both precise, both clearly
# outside, at most PASS_MAX_GAP_S apart (after a longer silence the person may have gone anywhere), and only
# if that path goes deep enough: a cell fix 1 km off, a walk round a corner of the zone, or a route that bends
# beside it must not look like walking through it.  Deep enough is PASS_MIN_DEPTH_M, or for a zone too small
# for that PASS_MIN_DEPTH_SHARE of its own greatest depth (the radius of its largest inscribed circle: a path
# through its middle reaches about that far), and never less than the zone's margin.
PASS_MAX_ACCURACY_M = 100.0
PASS_MAX_GAP_S = 900.0
PASS_MIN_DEPTH_M = 50.0
PASS_MIN_DEPTH_SHARE = 0.6
# … and deeper than the endpoints' uncertainty.  The straight path's sideways error a fraction t along it
# mixes its ends' errors, σ·√(t² + (1 − t)²): 0.71 σ in the middle, 0.79 σ a quarter of the way.  With
# accuracy a 68 % radius (1.52 σ), 1.2 × the larger accuracy is 1.8 σ ≈ 2.3 × 0.79 σ: a 99 % one-sided bound
# for the deepest point anywhere in the middle half of the path.  Judged against the zone shrunk by the
# nearest of these depths at or above the one needed.
PASS_ACCURACY_FACTOR = 1.2
PASS_DEPTHS_M = (30.0, 40.0, 50.0, 65.0, 80.0, 100.0, 130.0, 160.0)
# The timeline's note when a violation ends (the person is back on the right side of the zone).
BACK_NOTES = {"inclusion": "已返回允许区域", "exclusion": "已离开禁止区域"}
# Leave windows that ended longer ago than this are not cached: only late fixes could still fall in them.
LEAVE_LOOKBACK = dt.timedelta(days=7)


def margin_of(zone: Zone, shape, kind: str | None = None) -> float:
    """The zone's own margin, or — an inclusion zone that sets none — the default tolerance: the smaller of
    rules().zone_inclusion_margin_m and that share of the zone's equivalent radius.  Exclusion zones have
    none by default: entering one counts from its boundary."""
    if zone.margin_m is not None:
        return float(zone.margin_m)
    if (kind or zone.kind) != "inclusion":
        return 0.0
    r = rules()
    # A corridor's "radius" is its width: √(area/π) of a long thin one would leave it no core at all.
    radius = (
        shape.radius_m
        if isinstance(shape, Circle)
        else shape.width_m
        if isinstance(shape, Corridor)
        else math.sqrt(shape.projected.area / math.pi)
    )
    return min(r.zone_inclusion_margin_m, r.zone_inclusion_margin_share * radius)


def prepare(zone: Zone, *, kind: str | None = None) -> PreparedZone | None:
    """The zone ready for classification, or None (logged) when its stored geometry is unusable."""
    try:
        shape = shape_of(zone.geometry)
        return PreparedZone.from_shape(
            shape,
            kind=kind or zone.kind,
            margin_m=margin_of(zone, shape, kind),
            accuracy_factor=rules().zone_accuracy_factor,
        )
    except (ValueError, KeyError, TypeError):
        logger.exception("zone %s has an unusable geometry; left out", zone.pk)
        return None


def pass_zones_of(zone: Zone) -> tuple[tuple[float, PreparedZone], ...]:
    """The exclusion zone shrunk by each pass-through depth from its own minimum (see PASS_MIN_DEPTH_M) up;
    a depth that leaves nothing ends the list."""
    shape = shape_of(zone.geometry)
    margin = margin_of(zone, shape)
    depth = max(margin, min(PASS_MIN_DEPTH_M, PASS_MIN_DEPTH_SHARE * deepest_m(shape)))
    first = PreparedZone.from_shape(shape, kind=zone.kind, margin_m=depth)
    out = [(depth, first)]
    for deeper in (d for d in PASS_DEPTHS_M if d > depth):
        if shapely.is_empty(out[-1][1].core):
            break
        out.append((deeper, PreparedZone.from_shape(shape, kind=zone.kind, margin_m=deeper)))
    return tuple(out)


def deepest_m(shape) -> float:
    """How far the zone's most inward point lies from its boundary (its largest inscribed circle's radius)."""
    if isinstance(shape, Circle):
        return shape.radius_m
    if isinstance(shape, Corridor):
        return shape.width_m  # the route itself, at least where it does not cross itself
    return max(
        float(shapely.length(shapely.maximum_inscribed_circle(part)))
        for part in shapely.get_parts(shape.projected)
    )


def pass_depth_needed(accuracy_a: np.ndarray, accuracy_b: np.ndarray) -> np.ndarray:
    """How deep a straight path between two fixes must reach into an exclusion zone to count (accuracies
    already defaulted: see `_accuracies`)."""
    return PASS_ACCURACY_FACTOR * np.fmax(accuracy_a, accuracy_b)


def _accuracies(rows: list) -> np.ndarray:
    """Each fix's reported accuracy in metres, NaN for none (JT/T 808 and most GT06 fixes)."""
    return np.array([np.nan if r.fix.accuracy_m is None else r.fix.accuracy_m for r in rows], dtype=float)


def _radius(accuracy: np.ndarray) -> np.ndarray:
    """The accuracy a pass-through judges by: a fix that reports none counts as DEFAULT_ACCURACY_M, as in
    classify."""
    return np.where(np.isnan(accuracy), DEFAULT_ACCURACY_M, accuracy)


def crosses_deep_enough(
    zone: WatchedZone,
    lat1: np.ndarray,
    lon1: np.ndarray,
    lat2: np.ndarray,
    lon2: np.ndarray,
    needed: np.ndarray,
) -> np.ndarray:
    """Whether each straight path reaches ``needed`` metres into the exclusion zone (at least its minimum
    depth), judged against the nearest prepared depth at or above it; beyond the deepest, never."""
    hit = np.zeros(len(lat1), dtype=bool)
    depths = np.array([d for d, _ in zone.pass_zones])
    bucket = np.searchsorted(depths, needed, side="left")  # the first depth ≥ needed
    for k, (_, shrunk) in enumerate(zone.pass_zones):
        pick = bucket == k
        if pick.any():
            hit[pick] = segment_crosses(shrunk, lat1[pick], lon1[pick], lat2[pick], lon2[pick])
    return hit


@dataclass
class WatchedZone:
    id: int
    kind: str
    prepared: PreparedZone
    pass_zones: tuple[tuple[float, PreparedZone], ...]  # exclusion zones: (depth, the zone shrunk by it)
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
            stamp = (
                *Zone.objects.aggregate(n=Count("id"), t=Max("updated_at")).values(),
                # Default zones follow the correction caseload: a new subject must be covered at once.
                *Case.objects.filter(kind=CaseKind.CORRECTION)
                .aggregate(n=Count("id"), t=Max("updated_at"))
                .values(),
                *(part for source in absence_sources().values() for part in source.stamp()),
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
            if (prepared := prepare(zone)) is None:
                continue
            pass_zones = pass_zones_of(zone) if zone.kind == "exclusion" else ()
            watched = WatchedZone(zone.pk, zone.kind, prepared, pass_zones, schedule_of(zone.schedule), zone.confirm_fixes,
                                  zone.confirm_seconds, zone.clear_fixes)  # fmt: skip
            persons = self._persons_of(zone)
            for person_id in persons:
                by_person[person_id].append(watched)
        return dict(by_person)

    @staticmethod
    def _load_leaves(by_person: dict[int, list[WatchedZone]]) -> dict[int, list[tuple[float, float]]]:
        """Excused absences (approved leave, backend/monitoring/absences.py): their windows per person, and
        their destination zones (added to ``by_person``)."""
        since = timezone.localdate() - LEAVE_LOOKBACK
        absences = (a for source in absence_sources().values() for a in source.ending_since(since))
        windows: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for absence in absences:
            start, end = absence.start, absence.end
            if end <= start:
                continue  # back before it began
            span = (start.timestamp(), end.timestamp())
            person_id = absence.person_id
            windows[person_id].append(span)
            zone = absence.destination
            if zone is None or not zone.active:
                continue
            if (prepared := prepare(zone, kind="inclusion")) is None:
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


STATE_FIELDS = (
    "violating",
    "breach_fixes",
    "breach_since",
    "clear_fixes",
    "last_fix_time",
    "last_point",
    "alert",
    "late_breach_fixes",
    "late_breach_since",
    "late_fix_time",
    "violation_since",
    "violation_until",
    "late_counted_since",
)


def _state_values(state: ZoneState) -> tuple:
    return tuple(getattr(state, ZoneState._meta.get_field(name).attname) for name in STATE_FIELDS)


def _save_states(states: list[ZoneState]) -> None:
    """Write the states that changed in one executemany: bulk_update's CASE expressions cost more than the
    whole evaluation (bench/alert_quality.py, py-spy), and most states of a batch did not change."""
    if not states:
        return
    fields = [ZoneState._meta.get_field(name) for name in STATE_FIELDS]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {connection.ops.quote_name(ZoneState._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(state, f.attname), connection) for f in fields] + [state.pk]
        for state in states
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class ZoneEvaluator:
    """Callable post-commit hook: ``evaluator(rows)``."""

    def __init__(self, cache: ZoneCache | None = None) -> None:
        self.cache = cache or ZoneCache()

    def __call__(self, rows: list[FixRow]) -> int:
        # An impossible jump (``implausible``) is stored to be seen, never judged: a spoofed or broken fix.
        located = [
            r
            for r in rows
            if r.person_id and r.store_point and not r.implausible and r.fix.latitude is not None
        ]
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
            before = {key: _state_values(state) for key, state in states.items()}
            for person_id, person_rows in by_person.items():
                person_rows.sort(key=lambda r: r.fix.fix_time)
                leave = self.cache.leave_windows(person_id)
                for zone in zones[person_id]:
                    opened += self._walk(person_id, zone, person_rows, states[(person_id, zone.id)], leave)
            _save_states([s for key, s in states.items() if _state_values(s) != before[key]])
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
        accuracy = _accuracies(rows)
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
        crossed, late_crossed = self._pass_throughs(zone, rows, lats, lons, accuracy, epochs, state)
        opened = 0
        for i, row in enumerate(rows):
            when = row.fix.fix_time
            if (
                row.late
                or row.fix.archive
                or (state.last_fix_time is not None and when <= state.last_fix_time)
            ):
                if applies[i]:
                    opened += self._late(person_id, zone, state, row, breach=bool(breach[i]),
                                         crossed=bool(late_crossed[i]), right=classes[i] == right_side)  # fmt: skip
                continue
            if not applies[i]:
                state.breach_fixes, state.breach_since = 0, None
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
                    self._end_violation(state, when, zone)
        return opened

    def _late(self, person_id: int, zone: WatchedZone, state: ZoneState, row: FixRow, *, breach: bool,
              crossed: bool, right: bool) -> int:  # fmt: skip
        """A late or back-filled fix, in fix-time order among the late ones: confirmed like live fixes
        (``confirm_fixes`` breaching fixes or ``confirm_seconds`` of breach, or a pass-through), it raises
        a *late* alert and leaves the live state alone.  The late streak is kept in the state, so a stored
        track sent over two gateway batches confirms as one; a late fix older than the streak's last one
        (another stored track) starts a new streak."""
        when = row.fix.fix_time
        if state.late_fix_time is not None and when <= state.late_fix_time:
            state.late_breach_fixes, state.late_breach_since = 0, None
        state.late_fix_time = when
        if crossed:
            return self._late_excursion(person_id, zone, state, row, since=when, reason="late_pass_through")
        if right:
            state.late_breach_fixes, state.late_breach_since = 0, None
        if not breach:
            return 0
        state.late_breach_fixes += 1
        state.late_breach_since = state.late_breach_since or when
        if (
            state.late_breach_fixes >= zone.confirm_fixes
            or (when - state.late_breach_since).total_seconds() >= zone.confirm_seconds
        ):
            return self._late_excursion(
                person_id, zone, state, row, since=state.late_breach_since, reason="late_fix"
            )
        return 0

    def _late_excursion(self, person_id: int, zone: WatchedZone, state: ZoneState, row: FixRow, *,
                        since: dt.datetime, reason: str) -> int:  # fmt: skip
        """A confirmed late excursion (its streak began at ``since``) counts once: not again for each
        further fix of the streak, nor when the same stored track is sent again (its streak begins at the
        same fix), nor when it overlaps the live violation already alerted — the same excursion, of which
        the device had buffered fixes."""
        if state.late_counted_since == since:
            return 0
        state.late_counted_since = since
        if state.violation_since is not None and (
            row.fix.fix_time >= state.violation_since
            and (state.violation_until is None or since <= state.violation_until)
        ):
            return 0
        return self._open(person_id, zone, state, row, late=True, reason=reason, keep_state=True)

    @staticmethod
    def _pass_throughs(
        zone: WatchedZone, rows: list, lats, lons, reported, epochs, state: ZoneState
    ) -> tuple[np.ndarray, np.ndarray]:
        """For exclusion zones: did the straight path from the previous fix pass through the zone, deeper
        than its endpoints' uncertainty?

        Only consecutive fixes make a path, both precise (accuracy ≤ PASS_MAX_ACCURACY_M; a cell fix 1 km
        off says nothing about it), both confidently outside, at most PASS_MAX_GAP_S apart.  Any fix
        between two others — one beside the zone, a cell fix — is where the person was at that moment, so
        the path does not jump from the fix before it to the fix after it: someone walking round a corner
        of the zone is not taken to have cut through it.

        Live fixes: from the previous live fix, the first row's being the one remembered in the state (it
        came in an earlier batch).  Late and back-filled fixes are not part of the live path; among
        themselves, in fix-time order, they are — a device that stored its fixes while offline sends the
        path through the zone in one late batch, and that pass-through raises a late alert.

        ``reported`` and ``epochs`` come from `_walk`: each row's accuracy (NaN for none) and fix time.
        """
        crossed = np.zeros(len(rows), dtype=bool)
        late_crossed = np.zeros(len(rows), dtype=bool)
        if not zone.pass_zones:
            return crossed, late_crossed
        accuracy = _radius(reported)
        usable = (accuracy <= PASS_MAX_ACCURACY_M) & (
            classify(zone.prepared, lats, lons, reported) == OUTSIDE
        )
        # Each path's start (lat, lon, accuracy, epoch, usable) and end (a row).
        starts: list[tuple[float, float, float, float, bool]] = []
        ends: list[int] = []

        def judge(target: np.ndarray) -> None:
            keep = [k for k, start in enumerate(starts) if start[4] and usable[ends[k]]
                    and epochs[ends[k]] - start[3] <= PASS_MAX_GAP_S]  # fmt: skip
            if keep:
                a, b = np.array([starts[k][:3] for k in keep], dtype=float), np.array([ends[k] for k in keep])
                target[b] = crosses_deep_enough(
                    zone, a[:, 0], a[:, 1], lats[b], lons[b], pass_depth_needed(a[:, 2], accuracy[b])
                )
            starts.clear()
            ends.clear()

        def link(i: int, j: int) -> None:
            starts.append((lats[i], lons[i], accuracy[i], epochs[i], bool(usable[i])))
            ends.append(j)

        late = sorted((i for i, r in enumerate(rows) if r.late or r.fix.archive), key=lambda i: epochs[i])
        for i, j in itertools.pairwise(late):
            link(i, j)
        judge(late_crossed)

        live = [i for i, r in enumerate(rows) if not (r.late or r.fix.archive)]
        if state.last_fix_time is not None:
            live = [i for i in live if rows[i].fix.fix_time > state.last_fix_time]
        if not live:
            return crossed, late_crossed
        # The remembered fix: [lat, lon] (before accuracies were kept) or [lat, lon, accuracy]; it is the
        # live fix at state.last_fix_time (before consecutive paths, the last precise one outside: also
        # a fair start).
        last = list(state.last_point or [])
        if len(last) >= 2 and state.last_fix_time is not None:
            was = np.nan if len(last) < 3 or last[2] is None else float(last[2])
            outside = classify(zone.prepared, [last[0]], [last[1]], [was])[0] == OUTSIDE
            radius = float(_radius(np.array([was]))[0])
            starts.append((float(last[0]), float(last[1]), radius, state.last_fix_time.timestamp(),
                           bool(outside and radius <= PASS_MAX_ACCURACY_M)))  # fmt: skip
            ends.append(live[0])
        for i, j in itertools.pairwise(live):
            link(i, j)
        judge(crossed)
        i = live[-1]
        state.last_point = [float(lats[i]), float(lons[i]), rows[i].fix.accuracy_m]
        return crossed, late_crossed

    @staticmethod
    def _open(person_id: int, zone: WatchedZone, state: ZoneState, row: FixRow, *, late: bool, reason: str,
              keep_state: bool = False) -> int:  # fmt: skip
        person = Person.objects.get(pk=person_id)
        kind = AlertKind.ZONE_EXIT if zone.kind == "inclusion" else AlertKind.ZONE_ENTRY
        device = Device.objects.filter(pk=row.device_id).first()
        what = "越界（离开允许区域）" if zone.kind == "inclusion" else "进入禁止区域"
        note = f"{'补传定位' if late else ''}再次{what}，定位时间 {local_time(row.fix.fix_time)}"
        alert, created = raise_alert(
            kind=kind, severity=Severity.HIGH, person=person, device=device, subject=f"zone:{zone.id}", at=row.fix.fix_time, late=late,
            details={"zone": zone.id, "fix_time": row.fix.fix_time.isoformat(), "reason": reason, "device": row.device_id},
            repeat_note=note,
        )  # fmt: skip
        if not keep_state:
            # The live excursion's span, from its first breaching fix: late fixes inside it add nothing.
            state.violation_since, state.violation_until = state.breach_since or row.fix.fix_time, None
            state.violating, state.alert = True, alert
        return int(created)

    @staticmethod
    def _end_violation(state: ZoneState, when: dt.datetime, zone: WatchedZone) -> None:
        state.violating = False
        state.clear_fixes = 0
        state.violation_until = when
        if state.alert_id:
            # The zone's name is location data: the console adds it for office roles (views/alerts.py).
            AlertEvent.objects.create(
                alert_id=state.alert_id, kind=AlertEvent.Kind.NOTE, at=timezone.now(), note=BACK_NOTES[zone.kind],
                details={"violation_ended_at": when.isoformat(), "zone": zone.id, "back": True},
            )  # fmt: skip
