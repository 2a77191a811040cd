"""Zone-alert quality against synthetic ground truth: missed violations, false alerts, detection delay.

Run: .venv/bin/python bench/alert_quality.py [--person-days 500] [--seed 1] [--batch-seconds 5]

Each person-day is its own synthetic person (基准对象NNNN, a GT06 watch) with a home circle (800–2,000 m),
a convex county-like polygon (2.5–6 km) or both, and for 40 % a 150–400 m exclusion polygon.  The true
path comes first: nights at home, trips and stays, boundary walks 1–20 m inside the inclusion boundary,
walks 3–30 m outside the exclusion zone, and for ~20 % one violation (out ≥ 250 m for 5–90 min; 4–40 min
in the exclusion zone; straight through it between two fixes 5–8 min apart; a quarter of them seen only
in a late batch).  Fixes follow from it: every 30–120 s while moving, every 15 min after 5 min still until
motion wakes the watch (power saving; keeps 500 days near 2–3 min); accuracy is a 68 % radius (Android's;
--accuracy-level); GNSS 5–30 m, cell 300–1,500 m, urban drift 1–3 times a day (3–8 fixes 50–150 m off,
5–15 m accuracy), gaps of 10–60 min, late batches of 5–40 min sent 10–120 min later.  Violations are kept
free of gaps, drift, cell episodes and power saving, so each one is observable.
ONE ZoneEvaluator (as the gateway registers it) gets every fix in receive order, in --batch-seconds
batches.  Each alert is resolved 60 simulated minutes after it opens (a HIGH alert's due time), as an
officer would, so an early false alert cannot hide a later true one in its repeat count.  Truth per
(person, zone) from the path every 5 s: required = ≥ 5 min and ≥ 200 m beyond an inclusion boundary, or
inside an exclusion zone ≥ 3 min or ≥ 30 m deep; other excursions are grey (owed nothing, not false).
An alert matches when its first_seen_at (the fix that opened it) is in [start − 2 min, end + 10 min].
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import environment  # noqa: E402

DAY_START = dt.datetime(2026, 11, 19, 16, 0, tzinfo=dt.UTC)  # 2026-11-20 00:00 in Shanghai
DAY_S, HOUR = 86_400, 3600.0
STILL_AFTER_S, STILL_EVERY_S = 300.0, 900.0
TRUTH_STEP_S, BEFORE_S, AFTER_S = 5.0, 120.0, 600.0
GNSS, CELL, DRIFT = 0, 1, 2
TAGS = ("gnss", "cell", "drift")
VIOLATIONS = ("exit", "dwell", "pass")
Point = tuple[float, float]


def unit(rng: np.random.Generator) -> np.ndarray:
    a = rng.uniform(0, 2 * math.pi)
    return np.array([math.cos(a), math.sin(a)])


def xy(geometry: shapely.Geometry) -> np.ndarray:
    return shapely.get_coordinates(geometry)


def convex(rng: np.random.Generator, n: int, low: float, high: float) -> shapely.Geometry:
    a = np.arange(n) * 2 * math.pi / n + rng.uniform(-0.2, 0.2, n)
    r = rng.uniform(low, high, n)
    return shapely.MultiPoint(np.column_stack([r * np.cos(a), r * np.sin(a)])).convex_hull


def window(rng: np.random.Generator, lengths: tuple[float, float], avoid: list) -> tuple[float, float] | None:
    for _ in range(50):
        span = rng.uniform(*lengths)
        s = rng.uniform(0, DAY_S - span)
        if all(s + span < a - 600 or s > b + 600 for a, b in avoid):
            return s, s + span
    return None


def within(t: np.ndarray, spans: list) -> np.ndarray:
    return np.any([(t >= a) & (t <= b) for a, b in spans], axis=0) if spans else np.zeros(t.shape, dtype=bool)


class Frame:
    """The product's azimuthal projection about the home, inverted by Newton steps (error < 1 mm)."""

    def __init__(self, lat0: float, lon0: float) -> None:
        from backend.monitoring.geo.shapes import LocalProjection

        self.lat0, self.lon0, self.proj = lat0, lon0, LocalProjection(lat0, lon0)
        self.my = float(self.proj.forward(np.array([lat0 + 0.01]), np.array([lon0]))[1][0]) / 0.01
        self.mx = float(self.proj.forward(np.array([lat0]), np.array([lon0 + 0.01]))[0][0]) / 0.01

    def latlon(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lat, lon = self.lat0 + y / self.my, self.lon0 + x / self.mx
        for _ in range(3):
            fx, fy = self.proj.forward(lat, lon)
            lat, lon = lat + (y - fy) / self.my, lon + (x - fx) / self.mx
        return lat, lon


@dataclass
class ZoneSpec:
    kind: str  # inclusion | exclusion
    label: str  # home | county | exclusion
    geom: shapely.Geometry  # metres east and north of the home
    radius: float = 0.0  # circles are judged analytically, as the product does
    pk: int = 0

    def __post_init__(self) -> None:
        shapely.prepare(self.geom)

    def wrong_side(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        inside = np.hypot(x, y) < self.radius if self.radius else shapely.contains_xy(self.geom, x, y)
        return ~inside if self.kind == "inclusion" else inside

    def distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.radius:
            return np.abs(np.hypot(x, y) - self.radius)
        return shapely.distance(self.geom.boundary, shapely.points(x, y))

    def geometry(self, frame: Frame) -> dict:
        if self.radius:
            return {"type": "circle", "lat": frame.lat0, "lon": frame.lon0, "radius_m": self.radius}
        ring = xy(shapely.segmentize(self.geom, 50.0).exterior)  # short edges: straight in both frames
        lat, lon = frame.latlon(ring[:, 0], ring[:, 1])
        positions = [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]
        return {"type": "Polygon", "coordinates": [[*positions[:-1], positions[0]]]}


def make_zones(rng: np.random.Generator, want_exclusion: bool) -> list[ZoneSpec]:
    shape, radius = rng.choice(["home", "county", "both"], p=[0.4, 0.35, 0.25]), float(rng.uniform(800, 2000))
    zones = []
    if shape != "county":
        zones.append(ZoneSpec("inclusion", "home", shapely.Point(0, 0).buffer(radius, quad_segs=64), radius))
    if shape != "home":
        low, keep = (max(2500.0, radius + 800), radius + 300) if shape == "both" else (2500.0, 1000.0)
        county = convex(rng, int(rng.integers(8, 13)), low, 6000)
        while not county.contains(shapely.Point(0, 0).buffer(keep)):
            county = convex(rng, int(rng.integers(8, 13)), low, 6000)
        zones.append(ZoneSpec("inclusion", "county", county))
    binding = zones[0].geom  # the home circle lies inside the county
    for _ in range(200 if want_exclusion else 0):
        size, at = rng.uniform(150, 400), rng.uniform(300, math.sqrt(binding.area / math.pi)) * unit(rng)
        spot = shapely.affinity.translate(convex(rng, int(rng.integers(5, 9)), 0.35 * size, 0.5 * size), *at)
        if binding.buffer(-150).contains(spot) and spot.distance(shapely.Point(0, 0)) >= 250:
            zones.append(ZoneSpec("exclusion", "exclusion", spot))
            break
    return zones


@dataclass
class Truth:
    day: Day
    zone: ZoneSpec
    kind: str
    start: float
    end: float
    depth: float
    required: bool
    alerts: list[dict] = field(default_factory=list)


class Day:
    """One person-day: zones, the true path (piecewise straight, metres from home), fixes and truth.
    Ordinary movement stays inside the (convex) inclusion zone and ≥ 30 m from the exclusion zone."""

    def __init__(self, index: int, seed: int, k: float, stats: Counter) -> None:
        self.index, self.rng = index, np.random.default_rng([seed, index])  # each day repeatable alone
        rng = self.rng
        self.violation = str(rng.choice(["", *VIOLATIONS], p=[0.8, 0.1, 0.05, 0.05]))
        self.late_violation = bool(self.violation) and rng.random() < 0.25
        self.zones = make_zones(rng, want_exclusion=self.violation in ("dwell", "pass") or rng.random() < 0.4)
        self.bind = self.zones[0]
        self.excl = self.zones[-1].geom if self.zones[-1].kind == "exclusion" else None
        if self.violation in ("dwell", "pass") and self.excl is None:
            self.violation = "exit"
        self.frame = Frame(30.25 + rng.uniform(-0.3, 0.3), 120.15 + rng.uniform(-0.3, 0.3))
        self.interval = float(rng.uniform(30, 120))
        self.inner = self.roam = self.bind.geom.buffer(-30)
        if self.excl is not None:
            self.roam, self.guard = self.roam.difference(self.excl.buffer(60)), self.excl.buffer(30)
        shapely.prepare(self.roam)
        self.path: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)]
        self.still: list[tuple[float, float]] = []
        self.episodes: list[tuple[float, float, str]] = []
        self.sparse: tuple[int, int] | None = None
        self.truths: list[Truth] = []
        self.person_pk = self.device_pk = 0
        walker, skirter = rng.random() < 0.2, self.excl is not None and rng.random() < 0.3
        self.build(walker, skirter)
        self.late_violation &= bool(self.violation)
        stats.update(walkers=int(walker), skirters=int(skirter))
        self.make_fixes(k, stats)
        self.find_truth()

    @property
    def now(self) -> float:
        return self.path[-1][0]

    @property
    def pos(self) -> Point:
        return self.path[-1][1:]

    def activity(self, when: float) -> str:
        return next((label for s, e, label in self.episodes if s - 60 <= when <= e + 60), "ordinary")

    def go(self, p: Point, speed: float | None = None) -> None:
        far = math.dist(self.pos, p) > 1200  # walk short trips, ride or drive longer ones
        speed = speed or (self.rng.uniform(4.0, 12.0) if far else self.rng.uniform(1.0, 1.5))
        self.path.append((self.now + max(math.dist(self.pos, p) / speed, 1.0), float(p[0]), float(p[1])))

    def stay(self, until: float, wander: float = 10.0, saving: bool = True) -> None:
        anchor, start = np.array(self.pos), self.now
        while self.now < until - 1:
            p = anchor + wander * math.sqrt(self.rng.random()) * unit(self.rng)
            self.path.append((self.now + min(self.rng.uniform(120, 600), until - self.now), *p))
        if saving and self.now - start > STILL_AFTER_S:
            self.still.append((start + STILL_AFTER_S, self.now))

    def clear(self, p: Point, q: Point) -> bool:
        return self.excl is None or not shapely.LineString([p, q]).intersects(self.guard)

    def destination(self) -> Point | None:
        minx, miny, maxx, maxy = self.roam.bounds
        for _ in range(100):
            q = (self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy))
            if shapely.contains_xy(self.roam, *q) and self.clear(self.pos, q):
                return q
        return None

    def roam_until(self, until: float) -> None:
        while self.now < until - 600:
            if (q := self.destination()) is not None:
                self.go(q)
            self.stay(min(until, self.now + self.rng.uniform(1200, 10800)))

    def along(self, points: np.ndarray, speed: float, label: str) -> None:
        start = self.now
        for p in points:
            self.go(tuple(p), speed)
        self.episodes.append((start, self.now, label))

    def boundary_walk(self) -> None:
        rng, r = self.rng, self.bind.radius
        depth, speed, sign = rng.uniform(1, 20), rng.uniform(1.0, 1.4), rng.choice([-1, 1])
        steps = sign * np.arange(0, speed * rng.uniform(20, 90) * 60, 20.0)
        for _ in range(20):
            if r:  # chords between points of a circle `depth` inside stay ≥ depth inside
                a = rng.uniform(0, 2 * math.pi) + steps / (r - depth)
                points = (r - depth) * np.column_stack([np.cos(a), np.sin(a)])
            else:  # the inward offset of a convex polygon: every point exactly `depth` inside
                ring = self.bind.geom.buffer(-depth).exterior
                points = xy(shapely.line_interpolate_point(ring, (rng.uniform(0, ring.length) + steps) % ring.length))  # fmt: skip
            if self.clear(self.pos, tuple(points[0])):
                self.go(tuple(points[0]))
                return self.along(points[1:], speed, "boundary walk")
        return None

    def skirt(self) -> None:
        ring = self.excl.buffer(self.rng.uniform(3, 30), quad_segs=32).exterior
        steps = self.rng.choice([-1, 1]) * np.arange(0, 1.2 * self.rng.uniform(5, 30) * 60, 3.0)
        s = (ring.project(shapely.Point(self.pos)) + steps) % ring.length
        self.along(xy(shapely.line_interpolate_point(ring, s)), 1.2, "exclusion skirt")
        self.leave_exclusion()

    def leave_exclusion(self) -> None:
        """Straight away from the (convex) exclusion zone to 80 m beyond its boundary."""
        here = shapely.Point(self.pos)
        if self.excl.contains(here):  # from near its centre, on a random bearing
            centre, u = xy(self.excl.centroid)[0], unit(self.rng)
            edge = xy(self.excl.exterior.intersection(shapely.LineString([centre, centre + 5000 * u])))[0]
        else:  # from beside it, along the outward normal
            edge = xy(self.excl.exterior.interpolate(self.excl.exterior.project(here)))[0]
            u = (np.array(self.pos) - edge) / max(1e-9, math.dist(self.pos, edge))
        self.go(tuple(edge + 80 * u), self.rng.uniform(1.0, 1.5))

    def violate(self, kind: str) -> bool:
        rng, start = self.rng, self.now
        if kind == "exit":
            for _ in range(30):
                u = unit(rng)
                edge = self.bind.geom.exterior.intersection(shapely.LineString([(0, 0), 50_000 * u]))
                far = (np.linalg.norm(xy(edge)[0]) + rng.uniform(250, 3000)) * u
                if self.bind.distance(far[:1], far[1:])[0] >= 250 and self.clear(self.pos, tuple(far)):
                    self.go(tuple(far))
                    self.stay(self.now + rng.uniform(5, 90) * 60, wander=20, saving=False)
                    if (back := self.destination()) is not None:
                        self.go(back)
                        self.episodes.append((start, self.now, "exit"))
                        return True
            return False
        centre = xy(self.excl.centroid)[0]
        if kind == "dwell":
            self.go(tuple(centre + rng.uniform(-10, 10, 2)), rng.uniform(1.0, 1.5))
            self.stay(self.now + rng.uniform(4, 40) * 60, wander=10, saving=False)
            self.leave_exclusion()
            self.episodes.append((start, self.now, "dwell"))
            return True
        for _ in range(60):  # pass: straight through the centre, a fix at each end and none between
            u, gap, speed = unit(rng), rng.uniform(300, 480), rng.uniform(1.0, 2.0)
            chord = xy(self.excl.intersection(shapely.LineString([centre - 5000 * u, centre + 5000 * u])))
            e1, e2 = sorted(chord, key=lambda p: float(np.dot(p, u)))[:: len(chord) - 1]
            clearance = (speed * gap - math.dist(e1, e2)) / 2
            ends = [shapely.Point(e1 - clearance * u), shapely.Point(e2 + clearance * u)]
            if (
                clearance >= 40
                and all(self.inner.contains(p) and self.excl.distance(p) >= 40 for p in ends)
                and self.clear(self.pos, ends[0].coords[0])
            ):
                self.go(ends[0].coords[0])
                t_a = self.now
                self.go(ends[1].coords[0], speed)
                self.sparse = (round(t_a), round(self.now))
                self.episodes.append((start, self.now, "pass"))
                return True
        return False

    def build(self, walker: bool, skirter: bool) -> None:
        rng = self.rng
        events = ["boundary walk"] * int(walker * rng.integers(1, 4)) + ["skirt"] * int(
            skirter * rng.integers(1, 3)
        )
        events += [self.violation] if self.violation else []
        self.stay(rng.uniform(6.5, 8.5) * HOUR)
        for slot, event in sorted(zip(rng.choice(12, size=len(events), replace=False), rng.permutation(events), strict=True)):  # fmt: skip
            self.roam_until((8 + slot) * HOUR + rng.uniform(0, 1200))
            if event == "boundary walk":
                self.boundary_walk()
            elif event == "skirt":
                self.skirt()
            elif not self.violate(str(event)):
                self.violation = ""  # no room for it on this map: an ordinary day
        self.roam_until(rng.uniform(18, 22) * HOUR)
        if self.clear(self.pos, (0.0, 0.0)):
            self.go((0.0, 0.0))
        self.stay(DAY_S + 600.0)

    def make_fixes(self, k: float, stats: Counter) -> None:
        """The fixes the watch sends along the true path, and when each reaches the gateway."""
        rng, (pt, px, py) = self.rng, np.array(self.path).T
        protected = [(s, e) for s, e, label in self.episodes if label in VIOLATIONS]
        times, t = [], rng.uniform(0, self.interval)
        while t < DAY_S:
            times.append(round(t))
            step = self.interval * rng.uniform(0.8, 1.2)
            for a, b in self.still:  # power saving until the motion sensor wakes the watch
                step = (
                    min(STILL_EVERY_S * rng.uniform(0.8, 1.2), b - t + rng.uniform(5, 30))
                    if a <= t < b
                    else step
                )
            t += step
        gaps = [
            w for _ in range(rng.choice(3, p=[0.5, 0.35, 0.15])) if (w := window(rng, (600, 3600), protected))
        ]
        t = np.unique(times)
        t = t[~within(t, gaps)]
        if self.sparse:
            t = np.unique(np.r_[t[(t < self.sparse[0]) | (t > self.sparse[1])], self.sparse])
        n = len(t)
        tag, bias = np.where(rng.random(n) < 0.03, CELL, GNSS), np.zeros((n, 2))
        for _ in range(rng.choice(3, p=[0.5, 0.3, 0.2])):  # indoors: mostly cell fixes for a while
            if w := window(rng, (600, 2700), protected):
                tag[within(t, [w]) & (rng.random(n) < 0.7)] = CELL
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(0, n - 8))
            j = i + int(rng.integers(3, 9))
            if not any(t[j - 1] >= a - 600 and t[i] <= b + 600 for a, b in protected):
                tag[i:j], bias[i:j] = DRIFT, rng.uniform(50, 150) * unit(rng)
        tag[np.isin(t, self.sparse or ())] = GNSS
        acc = np.select([tag == CELL, tag == DRIFT], [rng.uniform(300, 1500, n), rng.uniform(5, 15, n)], rng.uniform(5, 30, n))  # fmt: skip
        err = rng.normal(size=(n, 2)) * np.where(tag == DRIFT, 3.0, acc / k)[:, None] + bias
        lat, lon = self.frame.latlon(np.interp(t, pt, px) + err[:, 0], np.interp(t, pt, py) + err[:, 1])
        received, held = t + rng.uniform(1, 5, n), []
        if self.late_violation:
            held.append((protected[0][0] - rng.uniform(60, 300), protected[0][1] + rng.uniform(60, 300)))
        if rng.random() < 0.25 and (w := window(rng, (300, 2400), protected)):
            held.append(w)
        for a, b in held:  # buffered by the device, sent 10–120 min after the block ends
            received[(t >= a) & (t <= b)] = b + rng.uniform(600, 7200)
        order = np.lexsort((t, received))  # gps_gateway.ingest: late when not newer than the newest seen
        late = np.empty(n, dtype=bool)
        late[order] = np.r_[False, t[order][1:] <= np.maximum.accumulate(t[order])[:-1]]
        self.fixes = {
            "t": t,
            "lat": lat,
            "lon": lon,
            "acc": acc,
            "tag": tag,
            "received": received,
            "late": late,
        }
        stats.update(gaps=len(gaps), late_batches=len(held), late=int(late.sum()), fixes=n)
        stats.update({TAGS[c]: int((tag == c).sum()) for c in (GNSS, CELL, DRIFT)})

    def find_truth(self) -> None:
        grid, (pt, px, py) = np.arange(0, DAY_S, TRUTH_STEP_S), np.array(self.path).T
        gx, gy = np.interp(grid, pt, px), np.interp(grid, pt, py)
        for zone in self.zones:
            edges = np.flatnonzero(np.diff(np.r_[0, zone.wrong_side(gx, gy).astype(np.int8), 0]))
            for s, e in zip(edges[::2], edges[1::2], strict=True):
                depth, duration = float(zone.distance(gx[s:e], gy[s:e]).max()), (e - s) * TRUTH_STEP_S
                required = (duration >= 300 and depth >= 200) if zone.kind == "inclusion" else (duration >= 180 or depth >= 30)  # fmt: skip
                kind = next((f"{'late ' * self.late_violation}{label}" for a, b, label in self.episodes
                             if label in VIOLATIONS and a - 60 <= grid[s] <= b + 60), "unplanned")  # fmt: skip
                self.truths.append(
                    Truth(self, zone, kind, float(grid[s]), float(grid[e - 1]), depth, required)
                )


def register(days: list[Day]) -> None:
    from backend.core.models import Jurisdiction, User
    from backend.monitoring.actions.zones import create_zone
    from backend.monitoring.models import Device
    from backend.people.actions.persons import PersonData, register_person
    from backend.people.idcard import check_character

    office, officer = (
        Jurisdiction.objects.get(code="990102001000"),
        User.objects.get(username="demo_officer_dc"),
    )
    for day in days:
        birth = dt.date(1960 + day.index % 40, 1 + day.index % 12, 1 + day.index % 28)
        first17 = f"98{day.index // 1000:04d}{birth:%Y%m%d}{day.index % 1000:03d}"  # region 98xxxx: none
        person = register_person(by=officer, jurisdiction=office, data=PersonData(
            name=f"基准对象{day.index:04d}", id_number=first17 + check_character(first17)))  # fmt: skip
        device = Device.objects.create(jurisdiction=office, kind="watch", protocol="gt06",
                                       identifier=f"86{day.index:013d}", person=person)  # fmt: skip
        day.person_pk, day.device_pk = person.pk, device.pk
        for zone in day.zones:
            zone.pk = create_zone(by=officer, jurisdiction=office, person=person, name=f"{zone.label}（基准）",
                                  kind=zone.kind, geometry=zone.geometry(day.frame)).pk  # fmt: skip


def replay(days: list[Day], batch_s: float) -> tuple[int, dict[int, float]]:
    """Every fix in receive order, one evaluator call per batch; returns the calls and when alerts opened."""
    from backend.core.models import User
    from backend.monitoring.actions.alerts import resolve_alert
    from backend.monitoring.models import Alert, Resolution
    from backend.monitoring.zone_watch import ZoneEvaluator
    from gps_gateway.protocols.common import Fix
    from gps_gateway.rows import FixRow

    officer = User.objects.get(username="demo_officer_dc")
    col = {name: np.concatenate([d.fixes[name] for d in days]) for name in days[0].fixes}
    owner = np.concatenate([np.full(len(d.fixes["t"]), i) for i, d in enumerate(days)])
    order = np.lexsort((col["t"], col["received"]))
    batches = np.split(order, np.flatnonzero(np.diff(np.floor(col["received"][order] / batch_s))) + 1)
    evaluator, opened, due, last_pk = ZoneEvaluator(), {}, [], 0
    for chunk in batches:
        now = (math.floor(col["received"][chunk[0]] / batch_s) + 1) * batch_s  # when the batch commits
        while due and due[0][0] <= now:  # the officer closes each alert at its due time
            resolve_alert(alert=Alert.objects.get(pk=heapq.heappop(due)[1]), by=officer,
                          resolution=Resolution.HANDLED, note="基准：模拟办结")  # fmt: skip
        rows = [
            FixRow(days[owner[i]].device_pk, days[owner[i]].person_pk,
                   Fix(fix_time=DAY_START + dt.timedelta(seconds=int(col["t"][i])), latitude=float(col["lat"][i]),
                       longitude=float(col["lon"][i]), valid=bool(col["tag"][i] != CELL),
                       source="cell" if col["tag"][i] == CELL else "gnss", accuracy_m=float(col["acc"][i])),
                   DAY_START + dt.timedelta(seconds=float(col["received"][i])), late=bool(col["late"][i]))
            for i in chunk
        ]  # fmt: skip
        if evaluator(rows):
            for pk in Alert.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True):
                opened[pk], last_pk = now, pk
                heapq.heappush(due, (now + HOUR, pk))
    return len(batches), opened


def quantiles(values: list[float]) -> str:
    q = np.percentile(values, [50, 90]) / 60 if values else (math.nan, math.nan)
    return f"median {q[0]:.1f} min, p90 {q[1]:.1f} min (n={len(values)})"


def show(label: str, value: object) -> None:
    print(f"  {label:<40}{value}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--person-days", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-seconds", type=float, default=5.0)
    parser.add_argument(
        "--accuracy-level", type=float, default=0.68, help="share of fixes within their accuracy"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    os.environ.update(environment(tempfile.mkdtemp(prefix="anbang-bench-alerts-")))
    import django

    django.setup()
    from django.core.management import call_command

    from backend.monitoring.models import Alert

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    k = math.sqrt(-2 * math.log(1 - args.accuracy_level))  # 2-D normal: P(error ≤ accuracy) = level
    stats: Counter = Counter()
    days = [Day(i, args.seed, k, stats) for i in range(args.person_days)]
    register(days)
    prepared = time.perf_counter()
    calls, opened = replay(days, args.batch_seconds)
    evaluated = time.perf_counter()

    zones, false_alerts = {z.pk: (d, z) for d in days for z in d.zones}, []
    for alert in Alert.objects.filter(kind__in=["zone_exit", "zone_entry"]).values():
        day, zone = zones[int(alert["subject"].removeprefix("zone:"))]
        seen = (alert["first_seen_at"] - DAY_START).total_seconds()
        near = [
            tr for tr in day.truths if tr.zone is zone and tr.start - BEFORE_S <= seen <= tr.end + AFTER_S
        ]
        if near:
            min(near, key=lambda tr: abs(seen - tr.start)).alerts.append(alert)
        else:
            false_alerts.append((day, zone, alert, seen))
    truths = [tr for d in days for tr in d.truths]
    required = [tr for tr in truths if tr.required]
    missed = [tr for tr in required if not tr.alerts]
    confirm, live, late = [], [], []
    for tr in required:
        if tr.alerts:
            first = min(tr.alerts, key=lambda a: a["first_seen_at"])
            confirm.append((dt.datetime.fromisoformat(first["details"]["fix_time"]) - DAY_START).total_seconds() - tr.start)  # fmt: skip
            (late if first["late"] else live).append(opened[first["id"]] - tr.start)

    print(f"zone alerts against synthetic ground truth: seed {args.seed}, accuracy = {args.accuracy_level:.0%} radius, "
          f"{args.batch_seconds:g} s gateway batches into one ZoneEvaluator")  # fmt: skip
    show("person-days simulated", f"{args.person_days} (one synthetic person each, 24 h; {stats['walkers']} with "
         f"boundary walks, {stats['skirters']} walking beside their exclusion zone)")  # fmt: skip
    show("zones", ", ".join(f"{k} {v}" for k, v in Counter(z.label for d in days for z in d.zones).items()))
    show("fixes", f"{stats['fixes']:,} (gnss {stats['gnss']:,}, cell {stats['cell']:,}, drift {stats['drift']:,}; "
         f"{stats['late']:,} late in {stats['late_batches']} late batches; {stats['gaps']} gaps)")  # fmt: skip
    show("evaluator calls (batches)", f"{calls:,}")
    kinds = Counter(f"{tr.kind} ({tr.zone.label})" for tr in required)
    show("true violations", f"{len(required)}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    grey = [tr for tr in truths if not tr.required]
    show("grey excursions (owed nothing)", f"{len(grey)} ({sum(bool(tr.alerts) for tr in grey)} alerted)")
    show("unplanned excursions (must be 0)", sum(tr.kind == "unplanned" for tr in truths))
    show("missed true violations (must be 0)", len(missed))
    for tr in missed:
        f = tr.day.fixes
        inside = (f["t"] >= tr.start) & (f["t"] <= tr.end)
        print(f"    day {tr.day.index}: {tr.kind}, {tr.zone.label} zone, {tr.start / HOUR:05.2f}–{tr.end / HOUR:05.2f} h, "
              f"{tr.depth:.0f} m deep; fixes in the interval {int(inside.sum())} ({int((inside & f['late']).sum())} late)")  # fmt: skip
    show("false alerts", f"{len(false_alerts)} = {100 * len(false_alerts) / args.person_days:.2f} per 100 person-days "
         f"(target ≤ 1; US field average ≈ 125)")  # fmt: skip
    causes: Counter = Counter()
    for day, zone, alert, seen in false_alerts:
        i = min(int(np.searchsorted(day.fixes["t"], seen)), len(day.fixes["t"]) - 1)
        how = f"opening fix {TAGS[day.fixes['tag'][i]]}{', late' if day.fixes['late'][i] else ''}, {alert['details']['reason']}"  # fmt: skip
        causes[f"{zone.label} zone, {day.activity(seen)}; {how}"] += 1
    for cause, count in causes.most_common():
        print(f"    {count:>4}  {cause}")
    show("repeat alerts on one true violation", sum(max(0, len(tr.alerts) - 1) for tr in truths))
    show("delay: true start → confirming fix", quantiles(confirm))
    show("delay: true start → alert (live)", quantiles(live))
    show("delay: true start → alert (late batch)", quantiles(late))
    show("run time", f"{time.perf_counter() - started:.0f} s (setup and simulation {prepared - started:.0f} s, "
         f"evaluation {evaluated - prepared:.0f} s)")  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
