"""Spreadsheet import of 10,000 persons with their cases (target ≤ 60 s: issue #25, "Done when").

Run: .venv/bin/python bench/imports.py [--rows 10000] [--csv] [--console]

Seeds a fresh SQLite database with the demo county, writes an XLSX (or CSV) of synthetic rows in the
import template's columns — names 测试甲00001…, resident ID numbers in the demo region 990102 with valid
check characters; a third each correction, aftercare and mental-health cases — and times what the console
does with it as a 司法所 officer: reading and checking every row (the dry run), then checking again and
writing all rows in one transaction.  Prints the timings and what was written.

``--console`` times the same file the way an officer imports it, over HTTP: gunicorn (1 worker, as
`manage.py up`), sign-in through /login/, the upload (multipart, CSRF field) whose answer is the dry run's
report page, 确认导入, then the progress bar's own polling of ``/console/import/<job>/progress`` (every
0.5 s, as ``static/console/import.js``) until the job is done — printing each percentage the bar showed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import environment, free_port  # noqa: E402


def synthetic_rows(count: int) -> list[list[str]]:
    """Template rows; every value obviously synthetic (demo region 99…, names 测试甲NNNNN)."""
    from backend.people.idcard import check_character

    rows = []
    for i in range(1, count + 1):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=(i * 7) % 12000)
        first17 = f"990102{birth:%Y%m%d}{i % 1000:03d}"
        id_number = first17 + check_character(first17)
        row = [f"测试甲{i:05d}", "居民身份证", id_number, "", "", "汉族", "演示省安和县东城路1号",
               "演示省安和县东城路2号", f"139{i:08d}", "990102001000"]  # fmt: skip
        kind = ("社区矫正", "安置帮教", "严重精神障碍")[i % 3]
        correction = ["缓刑", "盗窃罪", "安和县人民法院", "2025-01-10", "2025-01-10", "2027-01-09"]
        aftercare = ["刑满释放", "2025-03-01", "2025-02-20", "演示监狱", "否"]
        health = ["精神分裂症", str(i % 3), "2025-04-01"]
        row += [kind]
        row += correction if kind == "社区矫正" else [""] * 6
        row += aftercare if kind == "安置帮教" else [""] * 5
        row += health if kind == "严重精神障碍" else [""] * 3
        rows.append(row)
    return rows


def multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    """A form with one file, as a browser posts it: (body, Content-Type)."""
    boundary = "----anbangbench" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    kind = (
        "text/csv"
        if name.endswith(".csv")
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {kind}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def console(data: str, name: str, content: bytes, rows: int) -> None:
    """Upload → dry-run report → 确认导入 → progress polled until done, over HTTP as a browser does."""
    from backend.core.demo import demo_password
    from bench.api import Browser

    env = dict(os.environ)  # the keys the database was seeded with (environment() makes new ones each call)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backend.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(origin + "/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        browser = Browser(origin)
        browser.sign_in("demo_officer_dc", demo_password())
        _, status, html, _ = browser.fetch("/console/import/")
        body, content_type = multipart({"csrfmiddlewaretoken": browser.csrf_field(html)}, name, content)
        request = urllib.request.Request(origin + "/console/import/upload", data=body, method="POST")
        for key, value in {"Content-Type": content_type, "Origin": origin, "Referer": origin + "/console/import/",
                           "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}.items():  # fmt: skip
            request.add_header(key, value)
        started = time.perf_counter()
        try:
            response = browser.opener.open(request, timeout=300)
        except urllib.error.HTTPError as exc:  # the redirect to the report page (not followed)
            response = exc
        location = response.headers.get("Location", "")
        if response.status != 302 or not location.startswith("/console/import/"):
            raise SystemExit(f"upload: {response.status} {location!r}\n{response.read()[:800]!r}")
        _, status, report, _ = browser.fetch(location)
        uploaded = time.perf_counter() - started
        if status != 200 or 'id="import-run"' not in report:
            raise SystemExit(f"{location}: {status}, no 确认导入 form (errors in the file?)\n{report[:1500]}")
        print(f"console: upload + dry run + report page {uploaded:.1f} s ({location})")
        started = time.perf_counter()
        _, status, _, _ = browser.fetch(location + "run", {"csrfmiddlewaretoken": browser.csrf_field(report)})
        if status != 302:
            raise SystemExit(f"{location}run: {status}")
        shown: list[int] = []
        while True:
            _, status, text, _ = browser.fetch(location + "progress", headers={"Accept": "application/json"})
            state = json.loads(text)
            if not shown or shown[-1] != state["percent"]:
                shown.append(state["percent"])
            if state["state"] in ("done", "failed"):
                break
            time.sleep(0.5)
        ran = time.perf_counter() - started
        print(f"console: 确认导入 → done {ran:.1f} s, state {state['state']} {state.get('failure') or ''}")
        print(f"progress bar showed: {' → '.join(f'{p}%' for p in shown)}")
        print(f"console total (upload to done): {uploaded + ran:.1f} s for {rows:,} rows (target ≤ 60 s)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--csv", action="store_true", help="a CSV file instead of XLSX")
    parser.add_argument("--console", action="store_true", help="through the console over HTTP (gunicorn)")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="anbang-bench-imports-")
    os.environ.update(environment(data))
    import django

    django.setup()
    from django.core.management import call_command

    from backend.core.audit import verify_chain
    from backend.core.demo import seed as seed_core
    from backend.core.models import AuditEvent, User
    from backend.people.actions.imports import check_import, import_rows
    from backend.people.models import Case, Person
    from backend.people.transfer.template import template_csv, template_xlsx_rows

    call_command("migrate", verbosity=0)
    seed_core(io.StringIO())
    officer = User.objects.get(username="demo_officer_dc")

    started = time.perf_counter()
    rows = synthetic_rows(args.rows)
    content = template_csv(rows).encode("utf-8-sig") if args.csv else template_xlsx_rows(rows)
    made = time.perf_counter() - started
    name = "bench.csv" if args.csv else "bench.xlsx"
    print(f"{args.rows:,} rows, {name} {len(content) / 1e6:.2f} MB written in {made:.1f} s into {data}")
    if args.console:
        from django.db import connection

        connection.close()
        console(data, name, content, args.rows)
        print(f"database: {Person.objects.count():,} persons, {Case.objects.count():,} cases, "
              f"{AuditEvent.objects.count():,} audit events; chain ok: {verify_chain().ok}")  # fmt: skip
        return

    started = time.perf_counter()
    checked = check_import(officer, content, name)
    dry = time.perf_counter() - started
    print(f"dry run (read + check every row + duplicates): {dry:.1f} s, {len(checked.errors)} errors")
    assert checked.ok, checked.errors[:5]

    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter() - started

    imported = import_rows(by=officer, cells=checked.cells, progress=progress)
    run = time.perf_counter() - started
    write = run - marks.get("check", 0)
    print(
        f"import (check again + write in one transaction): {run:.1f} s, of which the transaction {write:.1f} s"
    )
    print(f"written: {imported.persons:,} persons, cases {imported.cases}")
    print(f"database: {Person.objects.count():,} persons, {Case.objects.count():,} cases, "
          f"{AuditEvent.objects.count():,} audit events; chain ok: {verify_chain().ok}")  # fmt: skip
    print(f"total dry run + import: {dry + run:.1f} s (target ≤ 60 s)")


if __name__ == "__main__":
    main()
