"""The scheduler's sweep: 1,000,000 due items that came due while it was down, handled by the real handlers.

Run: .venv/bin/python bench/scheduler.py [--cases 84000] [--miss 0.01] [--batch 5000]

Seeds a fresh SQLite database (WAL, synchronous=FULL) with synthetic correction subjects in 普管 (normal
category: in person monthly, phone weekly — the defaults), their plans, and check-ins that meet all but
``--miss`` of the duty windows.  The real planner (``plan_checkins``) then plans each duty's current and
next window: three items each (reminder at opening, reminder before closing, window-end check) — twelve
per subject.  The benchmark stands for a scheduler that was down for two hours: every item's due time is
moved into those two hours, so all of them are due, none stale, at the sweep.  The timed part is
``sweep(now)`` — claiming, the handlers' queries, SMS reminders queued for the unmet windows, one
missed_checkin alert each (with its audit row and deliveries) — until nothing is due.  Then it checks that
every item is done exactly once and that alerts and reminders match the unmet windows.
Target (docs/benchmarks.md, "Targets"): 1,000,000 items in ≤ 60 s, none missed, none doubled.
BENCH_PROFILE=<file> writes a cProfile of the sweep there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import environment  # noqa: E402


def seed(count: int, miss: float, now: dt.datetime) -> tuple[int, int]:
    """Subjects, their plans and check-ins.  Returns (plan windows, unmet plan windows)."""
    from django.core.management import call_command
    from django.db import transaction

    from backend.core.models import Jurisdiction, User
    from backend.people.idcard import check_character
    from backend.people.models import Case, CorrectionDetail, Person, PersonPhone
    from backend.supervision.models import Checkin, CheckinPlan
    from backend.supervision.plans import default_duties
    from backend.supervision.windows import window_of

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    offices = list(Jurisdiction.objects.filter(level="township").order_by("code"))
    officer = User.objects.get(username="demo_officer_dc")
    rng = random.Random(5)
    since = now - dt.timedelta(days=120)
    duties = default_duties("normal")
    windows, unmet = 0, 0
    started = time.perf_counter()
    for start in range(0, count, 4000):
        people = []
        for i in range(start, min(start + 4000, count)):
            birth = dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
            first17 = f"97{i // 1000:04d}{birth:%Y%m%d}{i % 1000:03d}"  # region 97xxxx: none
            people.append(Person(jurisdiction=offices[i % len(offices)], name=f"压测对象{i:06d}",
                                 id_number=first17 + check_character(first17), gender="male", birth_date=birth))  # fmt: skip
        with transaction.atomic():
            people = Person.objects.bulk_create(people, batch_size=1000)
            PersonPhone.objects.bulk_create(
                [PersonPhone(person=p, number=f"139{p.pk:08d}") for p in people], batch_size=1000
            )
            cases = Case.objects.bulk_create(
                [Case(person=p, kind="correction", jurisdiction=p.jurisdiction, status="active", officer=officer,
                      opened_on=since.date(), category="normal") for p in people], batch_size=1000)  # fmt: skip
            Case.objects.filter(pk__in=[c.pk for c in cases]).update(number=None)
            for case in cases:
                case.number = f"YC{case.pk:010d}"
            Case.objects.bulk_update(cases, ["number"], batch_size=1000)
            CorrectionDetail.objects.bulk_create(
                [CorrectionDetail(case=c, sentence_type="02", crime="压测", court="演示法院", judgment={},
                                  judgment_effective_on=since.date(), term_start=since.date(),
                                  term_end=(now + dt.timedelta(days=365)).date(), report_deadline=since.date(),
                                  reported_on=since.date()) for c in cases], batch_size=1000)  # fmt: skip
            plans = CheckinPlan.objects.bulk_create(
                [CheckinPlan(case=c, kind=d.kind, period=d.period, required=d.required, active_since=since)
                 for c in cases for d in duties.values()], batch_size=1000)  # fmt: skip
            checkins = []
            for plan in plans:
                current = window_of(plan.period, now)
                for window in (current, current.next()):
                    windows += 1
                    if rng.random() < miss:
                        unmet += 1
                        continue
                    checkins += [Checkin(case_id=plan.case_id, kind=plan.kind, at=window.start + dt.timedelta(hours=10 + n))
                                 for n in range(plan.required)]  # fmt: skip
            Checkin.objects.bulk_create(checkins, batch_size=2000)
        print(
            f"  seeded {min(start + 4000, count):>7,} subjects ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return windows, unmet


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=84_000, help="subjects (12 due items each)")
    parser.add_argument("--miss", type=float, default=0.01, help="share of duty windows left unmet")
    parser.add_argument("--batch", type=int, default=5000, help="items per claim")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="anbang-bench-scheduler-")
    os.environ.update(
        environment(data) | {"ANBANG_SMS_PROVIDER": "json", "ANBANG_SMS_URL": "http://127.0.0.1:9/"}
    )
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from backend.monitoring.models import Alert
    from backend.supervision.handlers.checkins import plan_checkins
    from backend.supervision.models import DueItem, DueState
    from backend.supervision.sweep import sweep
    from notifications.models import Delivery

    now = timezone.now()
    print(f"seeding {args.cases:,} subjects into {data}/anbang.sqlite3")
    windows, unmet = seed(args.cases, args.miss, now)
    started = time.perf_counter()
    planned = plan_checkins(now)
    print(f"planner: {planned:,} items for {windows:,} duty windows in {time.perf_counter() - started:.1f} s")
    # The scheduler was down for the two hours in which all of them came due (spread evenly at random).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_dueitem SET due_at = strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, "
            "'-' || ((abs(random()) %% 7200000) / 1000.0) || ' seconds') WHERE state = 'pending'",
            [now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")],
        )
    total = DueItem.objects.filter(state=DueState.PENDING, due_at__lte=now).count()
    deliveries_before = Delivery.objects.count()
    print(
        f"\n{total:,} due items pending, due over the last two hours; sweeping (batch {args.batch:,}) …",
        flush=True,
    )
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx(
            "handled = sweep(now, batch=args.batch)",
            globals(),
            scope := locals(),
            os.environ["BENCH_PROFILE"],
        )
        handled = scope["handled"]
    else:
        handled = sweep(now, batch=args.batch)
    elapsed = time.perf_counter() - started
    from django.db.models import Count

    by: dict[tuple[str, str], int] = {}
    for kind, outcome, n in DueItem.objects.values_list("kind", "outcome").annotate(n=Count("pk")):
        key = (kind, outcome.split(":")[0])
        by[key] = by.get(key, 0) + n
    left = DueItem.objects.exclude(state=DueState.DONE).count()
    alerts = Alert.objects.filter(kind="missed_checkin", case__number__startswith="YC").count()
    reminders = Delivery.objects.filter(due_item__isnull=False).count()
    print(
        f"swept {sum(handled.values()):,} items in {elapsed:.1f} s = {sum(handled.values()) / elapsed:,.0f} items/s"
    )
    for (kind, outcome), n in sorted(by.items()):
        print(f"  {kind:<22} {outcome or '—':<14} {n:>9,}")
    print(f"  not done afterwards {left:,}; handled twice: {sum(handled.values()) - total:,}")
    print(
        f"  missed_checkin alerts {alerts:,} for {unmet:,} unmet windows; reminder SMS queued {reminders:,}"
    )
    print(f"  deliveries queued in all {Delivery.objects.count() - deliveries_before:,}")
    ok = left == 0 and sum(handled.values()) == total and alerts == unmet
    print(f"\n{total:,} items in {elapsed:.1f} s (target 1,000,000 in ≤ 60 s): "
          f"{'met' if ok and elapsed <= 60 and total >= 1_000_000 else 'NOT MET'}; none missed, none doubled: {ok}")  # fmt: skip


if __name__ == "__main__":
    main()
