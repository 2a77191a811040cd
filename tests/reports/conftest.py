"""Fixtures for the reports: a county with a known October 2026 (every figure countable by hand), and a
person with a full file.  Dates are fixed so the expected numbers in the tests are written out, not
recomputed: October 2026 starts on a Thursday, so the ISO weeks ending in it are those of 5, 12, 19 and
26 October minus one (28 Sep–4 Oct, 5–11, 12–18, 19–25 Oct); the week of 26 October ends in November."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backend.core.models import Role, User
from backend.monitoring.actions.alerts import acknowledge_alert, raise_alert, resolve_alert
from backend.monitoring.models import Alert, AlertEvent, Device, DeviceAssignment, LocationOrder
from backend.people.actions.teams import activate_team, add_member
from backend.people.actions.transitions import transition_case
from backend.people.models import Case, Team
from backend.supervision.actions.checkins import record_checkin
from backend.supervision.actions.followups import record_followup
from backend.supervision.plans import ensure_default_plan
from tests.conftest import make_user
from tests.people import factories

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


def pdf_text(content: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    """pdftotext (poppler) of a PDF, whitespace collapsed so table layout does not matter.  With
    ``layout=False`` text comes in reading order per block and all whitespace is removed, so a table cell
    wrapped over several lines reads as one string."""
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return " ".join(out.split()) if layout else "".join(out.split())


def render_pngs(content: bytes, tmp_path: Path) -> list[Path]:
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page*.png"))


# Skipped only on a developer's machine without poppler: under CI (where make installs it) a missing
# pdftotext fails the tests instead of hiding them.
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None and not os.environ.get("CI"),
    reason="poppler-utils missing (make system-test installs it)",
)


@pytest.fixture
def head(tree) -> User:
    return make_user("head_a", tree.county_a, Role.COUNTY_HEAD)


@pytest.fixture
def doctor(tree) -> User:
    return make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER)


def correction_case(by: User, jurisdiction, effective: dt.date, *, reported: dt.date | None) -> Case:
    who = factories.person(by, jurisdiction)
    case = factories.correction(by, who, judgment_effective_on=effective, term_start=effective,
                                term_end=effective + dt.timedelta(days=365))  # fmt: skip
    if reported is not None:
        case = transition_case(by=by, case=case, action="report", effective_on=reported)
        ensure_default_plan(case, now=at(reported.year, reported.month, reported.day, 12))
    return case


def aftercare_case(
    by: User, jurisdiction, release: dt.date, *, key: bool, handed_over: dt.date | None
) -> Case:
    who = factories.person(by, jurisdiction)
    case = factories.aftercare(by, who, release_on=release, key_person=key)
    if handed_over is not None:
        handover = {"received_by": "测试", "place": "监狱门口", "police_registered": True} if key else None
        case = transition_case(
            by=by, case=case, action="hand_over", effective_on=handed_over, handover=handover
        )
    return case


def activate(by: User, case: Case, when: dt.datetime) -> None:
    team = Team.objects.get(case=case)
    add_member(by=by, team=team, role="leader", gender="female", user=by)
    activate_team(by=by, team=team)
    Team.objects.filter(pk=team.pk).update(activated_at=when)  # history: the team was activated then


def alert_at(case: Case, kind: str, opened: dt.datetime, subject: str) -> Alert:
    alert, _ = raise_alert(kind=kind, severity="high", person=case.person, case=case, subject=subject)
    Alert.objects.filter(pk=alert.pk).update(opened_at=opened, first_seen_at=opened, last_seen_at=opened)
    alert.refresh_from_db()
    return alert


@dataclass
class October:
    officer: User
    c1: Case
    c2: Case
    c3: Case
    a1: Case
    a3: Case
    m1: Case
    alerts: list[Alert] = field(default_factory=list)


@pytest.fixture
def october(tree, officers, head, doctor) -> October:
    """甲县 in October 2026.  Everything in 甲一/甲二 counts for 甲县; the 乙县 copies must not."""
    o = officers.owner
    # Correction: C1 reported on time (deadline 5 Oct), C2 late (deadline 8 Oct, reported 12 Oct), C3 never
    # (deadline 30 Oct).  Plans start on the report day at noon: C1's first counted weeks are 5–11, 12–18,
    # 19–25 Oct (Saturday 3 Oct left under half of its week: grace); C2's are 12–18 and 19–25 Oct; the month
    # of October counts for both (more than half of it left: plans.counted).
    c1 = correction_case(o, tree.township_a1, dt.date(2026, 9, 25), reported=dt.date(2026, 10, 3))
    c2 = correction_case(
        officers.colleague, tree.township_a2, dt.date(2026, 9, 28), reported=dt.date(2026, 10, 12)
    )
    c3 = correction_case(o, tree.township_a1, dt.date(2026, 10, 20), reported=None)
    correction_case(officers.outsider, tree.township_b1, dt.date(2026, 9, 25), reported=dt.date(2026, 10, 1))
    for day in (6, 13, 27):  # in person: weeks of 5 and 12 Oct met, 19 Oct missed; 27 Oct is November's week
        record_checkin(by=o, case=c1, kind="in_person", at=at(2026, 10, day))
    for day in (7, 14, 21):
        record_checkin(by=o, case=c1, kind="written", at=at(2026, 10, day))
    record_checkin(by=officers.colleague, case=c2, kind="in_person", at=at(2026, 10, 20))
    transition_case(by=o, case=c1, action="report_lost_contact", effective_on=dt.date(2026, 10, 21))
    transition_case(by=o, case=c1, action="found", effective_on=dt.date(2026, 10, 23))

    # Aftercare: released in October A1 (key, handed over and picked up on the day), A2 (not handed over),
    # A3 (key, handed over a day late, picked up late); A4 and A5 under support since May.
    a1 = aftercare_case(
        o, tree.township_a1, dt.date(2026, 10, 10), key=True, handed_over=dt.date(2026, 10, 10)
    )
    record_followup(by=o, case=a1, kind="aftercare_pickup", at=at(2026, 10, 10, 9))
    activate(o, a1, at(2026, 10, 10, 12))
    aftercare_case(o, tree.township_a1, dt.date(2026, 10, 15), key=False, handed_over=None)
    a3 = aftercare_case(
        o, tree.township_a1, dt.date(2026, 10, 20), key=True, handed_over=dt.date(2026, 10, 21)
    )
    record_followup(by=o, case=a3, kind="aftercare_pickup", at=at(2026, 10, 21, 9))
    a4 = aftercare_case(o, tree.township_a1, dt.date(2026, 5, 1), key=False, handed_over=dt.date(2026, 5, 1))
    activate(o, a4, at(2026, 5, 2))
    record_followup(by=o, case=a4, kind="aftercare_contact", at=at(2026, 6, 1))  # > 90 days before 31 Oct
    a5 = aftercare_case(o, tree.township_a1, dt.date(2026, 5, 1), key=False, handed_over=dt.date(2026, 5, 1))
    activate(o, a5, at(2026, 5, 2))
    record_followup(by=o, case=a5, kind="aftercare_contact", at=at(2026, 9, 15))
    aftercare_case(officers.outsider, tree.township_b1, dt.date(2026, 10, 10), key=True, handed_over=None)

    # Mental health: M1 and M4 meet 规范管理 by 31 Oct; M2 has its fourth follow-up only in November;
    # M3 registered in November is not on October's register.
    def patient(opened: dt.date, visits: list[dt.datetime], check: dt.datetime | None) -> Case:
        case = factories.mental_health(doctor, factories.person(doctor, tree.township_a1), opened_on=opened)
        for when in visits:
            record_followup(by=doctor, case=case, kind="mh_followup", at=when, risk_level=0)
        if check:
            record_followup(by=doctor, case=case, kind="mh_health_check", at=check)
        return case

    m1 = patient(dt.date(2026, 1, 5), [at(2026, m, 10) for m in (2, 4, 6, 9)], at(2026, 8, 1))
    patient(dt.date(2026, 2, 1), [at(2026, m, 10) for m in (3, 5, 7, 11)], at(2026, 8, 1))
    patient(dt.date(2026, 3, 1), [at(2026, m, 10) for m in (3, 4, 5, 6, 7)], at(2026, 10, 30))
    patient(dt.date(2026, 11, 5), [], None)

    # Alerts opened in October in 甲县: acknowledged after 30 and 10 minutes, one resolved after 120
    # minutes, one never acknowledged and escalated once.
    a = alert_at(c1, "missed_checkin", at(2026, 10, 20, 10), "plan:test:1")
    acknowledge_alert(alert=a, by=o)
    resolve_alert(alert=a, by=o, resolution="handled", note="已电话核实（测试）")
    Alert.objects.filter(pk=a.pk).update(
        acknowledged_at=at(2026, 10, 20, 10, 30), resolved_at=at(2026, 10, 20, 12)
    )
    b = alert_at(c1, "zone_exit", at(2026, 10, 21, 8), "zone:test")
    acknowledge_alert(alert=b, by=o)
    Alert.objects.filter(pk=b.pk).update(acknowledged_at=at(2026, 10, 21, 8, 10))
    c = alert_at(c2, "missed_checkin", at(2026, 10, 25, 0), "plan:test:2")
    AlertEvent.objects.create(alert=c, kind="escalated", at=at(2026, 10, 25, 1), details={"level": 1})
    outsider_case = Case.objects.filter(jurisdiction=tree.township_b1, kind="correction").first()
    alert_at(outsider_case, "missed_checkin", at(2026, 10, 22), "plan:test:3")

    # Location: one order in force from 22 Oct; a tag and a phone worn in October (counted apart).
    LocationOrder.objects.create(
        person=c1.person, case=c1, ground="2", facts="未经批准离开本县（测试）", decision="approved",
        decided_by=head, approved_on=dt.date(2026, 10, 22), starts_on=dt.date(2026, 10, 22),
        ends_on=dt.date(2027, 1, 21), notice_signed_on=dt.date(2026, 10, 22), proposed_by=o,
    )  # fmt: skip
    for kind, ident in (("tag", "13800000001"), ("phone", "p" * 64)):
        device = Device.objects.create(jurisdiction=tree.township_a1, kind=kind, protocol="jt808", identifier=ident,
                                       person=c1.person)  # fmt: skip
        DeviceAssignment.objects.create(device=device, person=c1.person, started_at=at(2026, 10, 22), by=o)
    for obj in (c1, c2, c3, a1, a3, m1):
        obj.refresh_from_db()
    return October(o, c1, c2, c3, a1, a3, m1, [a, b, c])
