"""API latency with 100,000 persons: exact search and the first list pages, over real HTTP.

Run: .venv/bin/python bench/api.py [--persons 100000] [--requests 200]

Seeds a fresh SQLite database (WAL, synchronous=FULL) with synthetic persons — encrypted fields and blind
indexes as the product writes them — then starts gunicorn (1 worker, as `manage.py up` would on a small
machine) and times each request from a client on loopback.  Every timed request also writes its audit
row, as in production.  Target (design.md): p95 ≤ 50 ms for each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import environment, free_port  # noqa: E402


def seed(count: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction

    from backend.core.actions.accounts import create_token
    from backend.core.models import Jurisdiction, User
    from backend.people.demo import check_character
    from backend.people.models import Case, Person, PersonPhone

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    offices = list(Jurisdiction.objects.filter(level="township").order_by("code"))
    county_officer = User.objects.get(username="demo_county_officer")
    rng = random.Random(7)
    ids, phones, names = [], [], []
    started = time.perf_counter()
    kinds = ["correction"] * 40 + ["aftercare"] * 35 + ["mental_health"] * 25
    for start in range(0, count, 5000):
        persons, batch_phones, cases = [], [], []
        for i in range(start, min(start + 5000, count)):
            birth = dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
            # Region 98xxxx does not exist; region and sequence together make every number unique.
            first17 = f"98{i // 1000:04d}{birth:%Y%m%d}{i % 1000:03d}"
            id_number = first17 + check_character(first17)
            name = f"压测对象{i:06d}"
            persons.append(Person(jurisdiction=offices[i % 3], name=name, id_number=id_number, gender="male",
                                  birth_date=birth, residence_address=f"压测地址{i}号"))  # fmt: skip
            ids.append(id_number)
            names.append(name)
        with transaction.atomic():
            created = Person.objects.bulk_create(persons, batch_size=1000)
            for person in created:
                number = f"1{rng.randint(3000000000, 9999999999)}"
                phones.append(number)
                batch_phones.append(PersonPhone(person=person, number=number))
                kind = rng.choice(kinds)
                cases.append(Case(person=person, kind=kind, jurisdiction=person.jurisdiction, status="active",
                                  opened_on=dt.date(2026, 1, 1), category="normal" if kind == "correction" else "",
                                  aftercare_risk="low" if kind == "aftercare" else "",
                                  risk_level=rng.randint(0, 5) if kind == "mental_health" else None))  # fmt: skip
            PersonPhone.objects.bulk_create(batch_phones, batch_size=1000)
            Case.objects.bulk_create(cases, batch_size=1000)
        print(
            f"  seeded {min(start + 5000, count):>7,} persons ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    township_officer = User.objects.get(username="demo_officer_dc")
    return {
        "ids": ids,
        "phones": phones,
        "names": names,
        "county_token": create_token(user=county_officer, name="bench").plaintext,
        "township_token": create_token(user=township_officer, name="bench").plaintext,
    }


def call(base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[float, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read())
    return (time.perf_counter() - started) * 1000, payload


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="anbang-bench-api-")
    env = environment(data)
    os.environ.update(env)
    import django

    django.setup()
    print(f"seeding {args.persons:,} persons into {data}/anbang.sqlite3")
    facts = seed(args.persons)
    from django.db import connection

    connection.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backend.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "4", "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        rng = random.Random(11)
        _, first = call(base, facts["county_token"], "GET", "/persons?limit=50")
        cursor = first["next_cursor"]
        cases = {
            "search by ID number (POST /persons/search)": lambda: call(
                base,
                facts["county_token"],
                "POST",
                "/persons/search",
                {"id_number": rng.choice(facts["ids"])},
            ),
            "search by ID number (GET ?id_number=)": lambda: call(
                base, facts["county_token"], "GET", f"/persons?id_number={rng.choice(facts['ids'])}"
            ),
            "search by phone": lambda: call(
                base, facts["county_token"], "POST", "/persons/search", {"phone": rng.choice(facts["phones"])}
            ),
            "search by name": lambda: call(
                base, facts["county_token"], "POST", "/persons/search", {"name": rng.choice(facts["names"])}
            ),
            "list, first page (county, 50 rows)": lambda: call(
                base, facts["county_token"], "GET", "/persons?limit=50"
            ),
            "list, second page (county, 50 rows)": lambda: call(
                base, facts["county_token"], "GET", f"/persons?limit=50&cursor={cursor}"
            ),
            "list, first page (township, 50 rows)": lambda: call(
                base, facts["township_token"], "GET", "/persons?limit=50"
            ),
            "list, correction subjects (filtered)": lambda: call(
                base, facts["county_token"], "GET", "/persons?limit=50&case_kind=correction&status=active"
            ),
        }
        print(
            f"\n{args.persons:,} persons, {args.requests} requests each, gunicorn 1 worker on loopback, SQLite WAL"
        )
        print(f"{'request':<44}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}  rows")
        worst = 0.0
        for label, run in cases.items():
            for _ in range(5):
                run()  # warm the page cache and the keyring
            timings, rows = [], 0
            for _ in range(args.requests):
                elapsed, payload = run()
                timings.append(elapsed)
                rows = len(payload["items"])
            p95 = percentile(timings, 0.95)
            worst = max(worst, p95)
            print(
                f"{label:<44}{percentile(timings, 0.5):>8.1f}{p95:>8.1f}{percentile(timings, 0.99):>8.1f}  {rows}"
            )
        print(f"\nworst p95: {worst:.1f} ms (target ≤ 50 ms): {'met' if worst <= 50 else 'NOT MET'}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
