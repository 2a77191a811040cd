"""Monthly county statistics PDF for a county of 5,000 persons (target ≤ 10 s: docs/benchmarks.md, "Targets").

Run: .venv/bin/python bench/reports.py [--persons 5000] [--month YYYY-MM]

Seeds a fresh SQLite database (the demo county 安和县 and its three 司法所) with synthetic people for the
month (default: the last full month, Asia/Shanghai): 60 % correction subjects (dated intake, category
history, check-in plans with a month of check-ins — about 5 % of duty windows missed — lost contact,
releases, tags under location orders and phones), 25 % released prisoners in aftercare (releases and
hand-overs in the month, key persons with pick-ups, activated teams, contacts) and 15 % mental-health
patients (follow-ups and health checks over the year), plus about one alert for every two persons with
acknowledgement, resolution and escalation.  The timed part is what ``GET /reports/monthly.pdf`` does:
the statistics (aggregate queries), the PDF with its charts, and the audit row.  It prints the timings
and the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import environment  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
COUNTY = "990102000000"


def last_full_month(today: dt.date) -> str:
    return f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"


def seed(count: int, first: dt.date, last: dt.date) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from backend.core.models import Jurisdiction, User
    from backend.monitoring.models import Alert, AlertEvent, Device, DeviceAssignment, LocationOrder
    from backend.people.idcard import check_character
    from backend.people.models import (
        AftercareDetail,
        Case,
        CaseMark,
        CaseTransition,
        CorrectionDetail,
        MentalHealthDetail,
        Person,
        Team,
    )  # fmt: skip
    from backend.supervision.models import Checkin, CheckinPlan, FollowUp
    from backend.supervision.plans import default_duties
    from backend.supervision.windows import windows_overlapping

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    offices = list(Jurisdiction.objects.filter(level="township", code__startswith="990102").order_by("code"))
    officer = User.objects.get(username="demo_officer_dc")
    head = User.objects.get(username="demo_county_head")
    doctor = User.objects.get(username="demo_health_worker")
    rng = random.Random(8)
    start = dt.datetime.combine(first, dt.time(), tzinfo=SH)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=SH)
    month_days = (last - first).days + 1

    def moment(day: dt.date, hour: int | None = None) -> dt.datetime:
        return dt.datetime.combine(
            day, dt.time(hour if hour is not None else rng.randint(8, 18), rng.randint(0, 59)), tzinfo=SH
        )

    def in_month() -> dt.date:
        return first + dt.timedelta(days=rng.randrange(month_days))

    began = time.perf_counter()
    kinds = ["correction"] * 12 + ["aftercare"] * 5 + ["mental_health"] * 3
    for block in range(0, count, 1000):
        people = []
        for i in range(block, min(block + 1000, count)):
            birth = dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
            first17 = f"96{i // 1000:04d}{birth:%Y%m%d}{i % 1000:03d}"  # region 96xxxx: none
            people.append(Person(jurisdiction=offices[i % len(offices)], name=f"统计对象{i:05d}", birth_date=birth,
                                 id_number=first17 + check_character(first17), gender="male" if i % 5 else "female"))  # fmt: skip
        with transaction.atomic():
            people = Person.objects.bulk_create(people, batch_size=500)
            cases, details, marks, moves, plans, checkins, followups, alerts = [], [], [], [], [], [], [], []
            for n, person in enumerate(people):
                kind = kinds[(block + n) % len(kinds)]
                case = Case(
                    person=person,
                    kind=kind,
                    jurisdiction=person.jurisdiction,
                    officer=officer,
                    status="active",
                )
                r = rng.random()
                if kind == "correction":
                    effective = last - dt.timedelta(days=rng.randrange(5, 400))
                    deadline = effective + dt.timedelta(days=10)
                    reported = (
                        None
                        if r < 0.01 and deadline >= first
                        else deadline - dt.timedelta(days=rng.randrange(0, 10))
                    )
                    if reported is not None and rng.random() < 0.03:
                        reported = deadline + dt.timedelta(days=rng.randrange(1, 5))
                    if reported is not None and reported > last:
                        reported = None
                    case.opened_on, case.status = effective, "active" if reported else "pending_report"
                    category = (
                        rng.choice(["strict", "normal", "normal", "normal", "lenient"]) if reported else ""
                    )
                    case.category = category
                    released = reported is not None and reported < first - dt.timedelta(days=60) and r > 0.98
                    if released:
                        case.status, case.closed_on, case.close_reason = "released", in_month(), "release"
                    case._bench = dict(effective=effective, deadline=deadline, reported=reported, category=category,
                                       released=released)  # fmt: skip
                elif kind == "aftercare":
                    release = in_month() if r < 0.04 else last - dt.timedelta(days=rng.randrange(40, 1700))
                    handed = (
                        None
                        if (release >= first and rng.random() < 0.1)
                        else release + dt.timedelta(days=rng.choice([0, 0, 0, 1]))
                    )
                    if handed is not None and handed > last:
                        handed = last
                    case.opened_on, case.status = release, "active" if handed else "notified"
                    case.aftercare_risk = rng.choice(["high", "medium", "low", "low", "low"])
                    case._bench = dict(release=release, handed=handed, key=rng.random() < 0.1)
                else:
                    case.opened_on = last - dt.timedelta(days=rng.randrange(30, 2000))
                    case.risk_level = rng.choice([0, 0, 0, 1, 1, 2, 3])
                    case._bench = {}
                cases.append(case)
            Case.objects.bulk_create(cases, batch_size=500)
            for case in cases:
                case.number = f"TJ{case.pk:010d}"
            Case.objects.bulk_update(cases, ["number"], batch_size=500)
            teams = Team.objects.bulk_create(
                [Team(case=c, activated_at=moment(c.opened_on)) for c in cases], batch_size=500
            )
            del teams
            for case in cases:
                b = case._bench
                if case.kind == "correction":
                    details.append(CorrectionDetail(case=case, sentence_type="02", crime="统计测试", court="演示法院",
                        judgment={}, judgment_effective_on=b["effective"], term_start=b["effective"],
                        term_end=b["effective"] + dt.timedelta(days=730), report_deadline=b["deadline"],
                        reported_on=b["reported"]))  # fmt: skip
                    if b["reported"] is None:
                        continue
                    moves.append(CaseTransition(case=case, action="report", from_status="pending_report",
                                                to_status="active", effective_on=b["reported"], by=officer))  # fmt: skip
                    marks.append(
                        CaseMark(
                            case=case, kind="category", value="strict", effective_on=b["reported"], by=officer
                        )
                    )
                    changed = b["reported"] + dt.timedelta(days=60)
                    if b["category"] != "strict" and changed <= last:
                        marks.append(
                            CaseMark(
                                case=case,
                                kind="category",
                                value=b["category"],
                                effective_on=changed,
                                by=officer,
                            )
                        )
                    if b["released"]:
                        moves.append(CaseTransition(case=case, action="end_term", from_status="active", to_status="term_ended",
                                                    effective_on=case.closed_on, by=officer))  # fmt: skip
                        moves.append(CaseTransition(case=case, action="release", from_status="term_ended",
                                                    to_status="released", effective_on=case.closed_on, by=officer))  # fmt: skip
                    if rng.random() < 0.01:
                        lost = in_month()
                        moves.append(CaseTransition(case=case, action="report_lost_contact", from_status="active",
                                                    to_status="active", to_sub_status="lost_contact", effective_on=lost, by=officer))  # fmt: skip
                        moves.append(CaseTransition(case=case, action="found", from_status="active", to_status="active",
                                                    from_sub_status="lost_contact", effective_on=min(last, lost + dt.timedelta(days=2)), by=officer))  # fmt: skip
                    since = moment(b["reported"], 12)
                    for duty in default_duties(b["category"]).values():
                        plans.append(CheckinPlan(case=case, kind=duty.kind, period=duty.period, required=duty.required,
                                                 active_since=since))  # fmt: skip
                        for window in windows_overlapping(duty.period, start, end):
                            if rng.random() < 0.05:
                                continue  # a missed window
                            day = window.start.date() + dt.timedelta(
                                days=rng.randrange((window.end - window.start).days)
                            )
                            kind = "app" if duty.kind == "phone" and rng.random() < 0.6 else duty.kind
                            hours = (
                                Decimal(duty.required)
                                if duty.kind in ("education", "community_service")
                                else None
                            )
                            reps = 1 if hours is not None else duty.required
                            checkins += [Checkin(case=case, kind=kind, at=moment(day), hours=hours,
                                                 verified=True if kind == "app" else None) for _ in range(reps)]  # fmt: skip
                elif case.kind == "aftercare":
                    details.append(AftercareDetail(case=case, origin="prison_release", prison="演示监狱",
                        release_on=b["release"], period_end=b["release"] + dt.timedelta(days=1826),
                        key_person=b["key"], handed_over_on=b["handed"]))  # fmt: skip
                    marks.append(CaseMark(case=case, kind="aftercare_risk", value=case.aftercare_risk,
                                          effective_on=b["release"], by=officer))  # fmt: skip
                    if b["handed"]:
                        moves.append(CaseTransition(case=case, action="hand_over", from_status="notified", to_status="active",
                                                    effective_on=b["handed"], by=officer))  # fmt: skip
                        if b["key"] and rng.random() < 0.9:
                            followups.append(
                                FollowUp(
                                    case=case, kind="aftercare_pickup", at=moment(b["release"], 9), by=officer
                                )
                            )
                        if rng.random() < 0.85:
                            back = rng.randrange(1, 80)
                            followups.append(FollowUp(case=case, kind="aftercare_contact", by=officer,
                                                      at=moment(max(b["handed"], last - dt.timedelta(days=back)))))  # fmt: skip
                else:
                    details.append(
                        MentalHealthDetail(case=case, diagnosis="schizophrenia", stability="stable")
                    )
                    marks.append(CaseMark(case=case, kind="risk_level", value=str(case.risk_level),
                                          effective_on=case.opened_on, by=doctor))  # fmt: skip
                    year_start = dt.date(first.year, 1, 1)
                    for _ in range(rng.choice([2, 3, 4, 4, 5, 6])):
                        day = max(case.opened_on, year_start) + dt.timedelta(
                            days=rng.randrange(max(1, (last - max(case.opened_on, year_start)).days))
                        )
                        followups.append(
                            FollowUp(case=case, kind="mh_followup", at=moment(day), by=doctor, risk_level=0)
                        )
                    if rng.random() < 0.85:
                        followups.append(
                            FollowUp(
                                case=case,
                                kind="mh_health_check",
                                at=moment(max(case.opened_on, year_start)),
                                by=doctor,
                            )
                        )
                if rng.random() < 0.5 and case.status != "released":
                    kind = rng.choice(["missed_checkin", "missed_checkin", "zone_exit", "signal_lost", "low_battery",
                                       "followup_due", "power_cut"]) if case.kind == "correction" else "followup_due"  # fmt: skip
                    opened = moment(in_month())
                    acked = (
                        opened + dt.timedelta(minutes=rng.randrange(2, 180)) if rng.random() < 0.9 else None
                    )
                    resolved = (
                        acked + dt.timedelta(minutes=rng.randrange(10, 2000))
                        if acked and rng.random() < 0.8
                        else None
                    )
                    alerts.append(Alert(kind=kind, severity=rng.choice(["high", "medium", "low"]),
                        state="resolved" if resolved else "acknowledged" if acked else "open", person=case.person, case=case,
                        subject=f"bench:{case.pk}", dedupe_key=f"bench|{case.pk}", jurisdiction=case.jurisdiction, owner=officer,
                        opened_at=opened, first_seen_at=opened, last_seen_at=opened, due_at=opened + dt.timedelta(hours=1),
                        acknowledged_at=acked, acknowledged_by=officer if acked else None, resolved_at=resolved,
                        resolved_by=officer if resolved else None, resolution="handled" if resolved else "",
                        escalation_level=0 if acked else 1))  # fmt: skip
            CorrectionDetail.objects.bulk_create(
                [d for d in details if isinstance(d, CorrectionDetail)], batch_size=500
            )
            AftercareDetail.objects.bulk_create(
                [d for d in details if isinstance(d, AftercareDetail)], batch_size=500
            )
            MentalHealthDetail.objects.bulk_create(
                [d for d in details if isinstance(d, MentalHealthDetail)], batch_size=500
            )
            CaseMark.objects.bulk_create(marks, batch_size=1000)
            CaseTransition.objects.bulk_create(moves, batch_size=1000)
            CheckinPlan.objects.bulk_create(plans, batch_size=1000)
            Checkin.objects.bulk_create(checkins, batch_size=2000)
            FollowUp.objects.bulk_create(followups, batch_size=1000)
            Alert.objects.bulk_create(alerts, batch_size=1000)
            AlertEvent.objects.bulk_create(
                [AlertEvent(alert=a, kind="escalated", at=a.due_at, details={"level": 1}) for a in alerts if a.escalation_level],
                batch_size=1000,
            )  # fmt: skip
            worn, devices = [], []
            for case in cases:
                if case.kind == "correction" and case.status == "active" and rng.random() < 0.75:
                    tag = rng.random() < 0.06
                    devices.append(Device(jurisdiction=case.jurisdiction, kind="tag" if tag else "phone",
                                          protocol="jt808" if tag else "osmand", identifier=f"b{case.pk:015d}",
                                          person=case.person, assigned_at=start))  # fmt: skip
                    worn.append(case)
            devices = Device.objects.bulk_create(devices, batch_size=500)
            DeviceAssignment.objects.bulk_create(
                [DeviceAssignment(device=d, person_id=d.person_id, started_at=start - dt.timedelta(days=20), by=officer)
                 for d in devices], batch_size=500)  # fmt: skip
            LocationOrder.objects.bulk_create(
                [LocationOrder(person=c.person, case=c, ground="2", facts="统计测试", decision="approved",
                               decided_by=head, approved_on=first - dt.timedelta(days=20),
                               starts_on=first - dt.timedelta(days=20),
                               ends_on=first + dt.timedelta(days=rng.randrange(10, 70)), notice_signed_on=first,
                               proposed_by=officer) for c, d in zip(worn, devices, strict=True) if d.kind == "tag"],
                batch_size=500)  # fmt: skip
        print(
            f"  seeded {min(block + 1000, count):>5,} persons ({time.perf_counter() - began:.0f} s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--month", default=None, help="YYYY-MM (default: the last full month)")
    parser.add_argument("--out", default=None, help="keep the PDF here")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="anbang-bench-reports-")
    os.environ.update(environment(data))
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.utils import timezone

    from backend.core.models import Jurisdiction, User
    from backend.reports.exports import monthly_statistics
    from backend.reports.periods import parse_month
    from backend.reports.statistics import compute_monthly

    month = args.month or last_full_month(timezone.localdate())
    period = parse_month(month)
    print(f"seeding {args.persons:,} persons for {month} into {data}/anbang.sqlite3")
    seed(args.persons, period.first, period.last)
    reader = User.objects.get(username="demo_county_officer")
    county = Jurisdiction.objects.get(code=COUNTY)
    connection.close()  # the timed runs start from a fresh connection, as a request would

    runs = []
    for attempt in (1, 2):
        started = time.perf_counter()
        export, stats = monthly_statistics(by=reader, code=COUNTY, month=month)
        runs.append(time.perf_counter() - started)
        if attempt == 1 and args.out:
            Path(args.out).write_bytes(export.content)
    from django.conf import settings

    settings.DEBUG = True
    reset_queries()
    started = time.perf_counter()
    compute_monthly(county, period)
    statistics_s, queries = time.perf_counter() - started, len(connection.queries)
    settings.DEBUG = False

    print(
        f"\nmonthly statistics PDF for 安和县 ({COUNTY}), {month}: {stats.persons_on_register:,} persons on the register"
    )
    print(f"  end to end (statistics + PDF + audit): first run {runs[0]:.2f} s, second run {runs[1]:.2f} s")
    print(f"  statistics alone: {statistics_s:.2f} s in {queries} queries; PDF {len(export.content):,} bytes")
    print(f"  register by kind {stats.register}; status {stats.status}")
    print(
        f"  category {stats.category}; aftercare risk {stats.aftercare_risk}; mental-health risk {stats.mh_risk}"
    )
    print(f"  opened {stats.opened}; intakes {stats.intakes}; releases {stats.releases}; "
          f"lost contact {stats.lost_contact_events} (found {stats.lost_contact_found})")  # fmt: skip
    for name in ("on_time_report", "handover", "pickup", "support", "mh_standard", "checkin"):
        print(f"  {name:<15} {getattr(stats, name).text()}")
    print("  check-ins by duty: " + "; ".join(f"{k} {r.text()}" for k, r in stats.checkin_by_duty.items()))
    print(f"  alerts {stats.alerts_total:,} (acknowledged {stats.alerts_acknowledged:,}, resolved {stats.alerts_resolved:,}); "
          f"median to acknowledge {stats.ack_median_minutes} min, to resolve {stats.resolve_median_minutes} min; "
          f"escalations {stats.escalation_steps:,}")  # fmt: skip
    print(f"  location orders in force {stats.orders_in_force}, expiring {stats.orders_expiring}; "
          f"tag wearers {stats.tag_wearers}, phone checks {stats.phone_holders} (apart); app check-ins {stats.app_checkins:,}")  # fmt: skip
    worst = max(runs)
    print(f"\n{args.persons:,} persons: {worst:.2f} s (target ≤ 10 s): {'met' if worst <= 10 else 'NOT MET'}")


if __name__ == "__main__":
    main()
