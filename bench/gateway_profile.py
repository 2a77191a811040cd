"""Where the gateway's CPU goes per fix, sampled while bench/gateway.py's closed loop runs.

Run: .venv/bin/python bench/gateway_profile.py            # py-spy comes with the dev extras (make setup)

Starts ``bench/gateway.py --paced-rate 0`` (the closed loop only), waits until its devices send, lets the
gateway warm up, then samples every thread of the gateway's worker processes with py-spy (``--nonblocking``:
the gateway is not stopped to be read, so it runs at its normal speed; idle threads are not sampled).
Each sample is 1/rate of a thread's time; divided by the fixes acknowledged in the sampled window (read
off the bench's progress lines) it gives microseconds of a thread per fix.  ``self`` is time in the
function itself, including the C code it calls (SQLite, sockets, AES); ``incl.`` adds what it calls.
The gateway's CPU per fix that bench/gateway.py prints is the whole process's; these are the parts.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Steps of the per-fix path, shown with their inclusive time: (thread, function as py-spy names it, a
# part of its file's path, what it is).  A stack counts once for a step however often the step recurs.
STEPS = (
    ("event loop", "TrackerProtocol.data_received", "tracker_protocol", "frames read, decoded and queued"),
    ("event loop", "Jt808Session.handle", "sessions/jt808", "JT/T 808: session check and decode"),
    ("event loop", "decode", "gps_gateway/protocols/", "  the decoders (JT/T 808, GT06), with the reply"),
    ("event loop", "prepare", "gps_gateway/ingest", "filters, late flag, device state"),
    ("event loop", "BatchWriter.enqueue", "monitoring/ingest/writer", "handed to the writer"),
    ("event loop", "TrackerProtocol._flush", "tracker_protocol", "acks in order, written to the sockets"),
    ("event loop", "OsmAndServer.handle", "http_osmand", "OsmAnd HTTP requests"),
    (
        "writer",
        "Encoder.batch",
        "monitoring/ingest/encoder",
        "parameters: dates, JSON, AES-GCM of point and attributes",
    ),
    (
        "writer",
        "WriteLock.__enter__",
        "monitoring/ingest/lock",
        "waiting for the other worker's commit (flock)",
    ),
    ("writer", "BatchWriter._insert", "monitoring/ingest/writer", "INSERT statements (SQLite)"),
    ("writer", "BaseDatabaseWrapper._commit", "django/db", "COMMIT (WAL write and fsync)"),
    ("writer", "BatchWriter._run_hooks", "monitoring/ingest/writer", "post-commit hooks"),
)
PROGRESS = re.compile(r"^\s+([\d,]+) acked\s")
FRAME = re.compile(r"^(.*) \((.*?):\d+\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("py-spy is not installed: run make setup (it is in the dev extras)")
    return found


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def gateway_pid(bench: subprocess.Popen) -> int:
    for pid in children(bench.pid):
        if "rungateway" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
            return pid
    raise SystemExit("the gateway process of bench/gateway.py was not found")


class Progress:
    """The bench's output, passed through, with (time, fixes acknowledged) at each progress line."""

    def __init__(self, stream) -> None:
        self.points: list[tuple[float, int]] = []
        self.sending = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            print(line, end="", flush=True)
            if "sending" in line and not self.points:
                self.points.append((time.monotonic(), 0))
                self.sending.set()
            elif match := PROGRESS.match(line):
                self.points.append((time.monotonic(), int(match.group(1).replace(",", ""))))

    def acked_at(self, when: float) -> float:
        """Fixes acknowledged by ``when``, linear between the progress lines around it."""
        before = max((p for p in self.points if p[0] <= when), default=self.points[0])
        after = min((p for p in self.points if p[0] >= when), default=self.points[-1])
        if after[0] == before[0]:
            return before[1]
        return before[1] + (after[1] - before[1]) * (when - before[0]) / (after[0] - before[0])

    def join(self) -> None:
        self._thread.join()


def thread_kind(name: str) -> str:
    if "gateway-writer" in name:
        return "writer"
    if "MainThread" in name:
        return "event loop"
    return "other"


def read_samples(path: Path) -> tuple[collections.Counter, collections.Counter, collections.Counter]:
    """py-spy's raw output (one collapsed stack and its count per line) into samples by thread kind, by
    (kind, innermost frame) and by step (``STEPS``).  The gateway's parent process (the supervisor) is
    left out: it only waits."""
    by_kind: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    steps: collections.Counter = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if len(frames) < 4 or not frames[1].startswith("process"):
            continue  # the supervisor's own threads, not a worker's
        kind, calls = thread_kind(frames[2]), [_call(frame) for frame in frames[3:]]
        by_kind[kind] += int(count)
        own[kind, "{} ({})".format(*calls[-1])] += int(count)
        for step in STEPS:
            if step[0] == kind and any(name == step[1] and step[2] in file for name, file in calls):
                steps[step] += int(count)
    return by_kind, own, steps


def _call(frame: str) -> tuple[str, str]:
    match = FRAME.match(frame)
    return (match.group(1), match.group(2)) if match else (frame, "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixes", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after sending starts")
    parser.add_argument("--seconds", type=float, default=40.0, help="seconds sampled")
    parser.add_argument("--rate", type=int, default=100, help="samples per second per thread")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    spy = py_spy()
    command = [sys.executable, "bench/gateway.py", "--paced-rate", "0", "--fixes", str(args.fixes)]
    command += ["--devices", str(args.devices)]
    bench = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    progress = Progress(bench.stdout)
    with tempfile.TemporaryDirectory(prefix="anbang-profile-") as folder:
        raw = Path(folder) / "samples.txt"
        if not progress.sending.wait(timeout=600):
            bench.kill()
            raise SystemExit("bench/gateway.py did not start sending")
        time.sleep(args.warmup)
        pid = gateway_pid(bench)
        started = time.monotonic()
        sampler = [spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--threads"]
        sampler += ["--rate", str(args.rate), "--duration", str(int(args.seconds)), "--format", "raw"]
        sampled = subprocess.run([*sampler, "-o", str(raw)], capture_output=True, text=True)
        if sampled.returncode != 0:
            bench.kill()
            raise SystemExit(f"py-spy failed (it needs ptrace permission):\n{sampled.stderr}")
        ended = time.monotonic()
        bench.wait()
        progress.join()
        fixes = progress.acked_at(ended) - progress.acked_at(started)
        if fixes <= 0 or not raw.exists():
            raise SystemExit("no fixes acknowledged while sampling; sample a shorter window (--seconds)")
        by_kind, own, steps = read_samples(raw)
    per_fix = 1e6 / args.rate / fixes  # µs of a thread per fix, for one sample
    print(
        f"\nsampled {ended - started:.1f} s of the closed loop at {args.rate}/s per thread; "
        f"{fixes:,.0f} fixes acknowledged meanwhile ({fixes / (ended - started):,.0f}/s)"
    )
    print("µs of a thread per fix, all worker processes together")
    for kind, samples in by_kind.most_common():
        print(f"  {kind:<11} {samples * per_fix:6.1f}")
    print(f"  {'total':<11} {sum(by_kind.values()) * per_fix:6.1f}")
    print("\nsteps (incl.)")
    for step in STEPS:
        kind, name, _, what = step
        print(f"  {kind:<11} {steps[step] * per_fix:6.1f}  {name:<30} {what}")
    print(f"\nthe {args.top} largest (self)")
    for (kind, name), samples in own.most_common(args.top):
        print(f"  {kind:<11} {samples * per_fix:6.1f}  {name}")


if __name__ == "__main__":
    main()
