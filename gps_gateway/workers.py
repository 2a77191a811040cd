"""Several gateway processes on the same ports (SO_REUSEPORT), so the gateway uses every core.

The parent starts the workers, waits for each to say it is ready, forwards SIGTERM, and stops them all
if one dies (``manage.py up`` or the service manager then restarts the gateway as a whole).  Each worker
asks the kernel to kill it when the parent dies, so a ``kill -9`` of the gateway leaves no orphans that
keep the ports.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL this process when its parent goes; exit at once if it is already gone."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: the parent's SIGTERM handling still stops the workers
    if os.getppid() != parent_pid:
        os._exit(1)


def supervise(argv: list[str], workers: int, ready_timeout: float = 60) -> int:
    """Run ``argv`` (the same rungateway command) as ``workers`` worker processes until SIGTERM."""
    env = {**os.environ, "ANBANG_GATEWAY_PARENT_PID": str(os.getpid())}
    children: list[subprocess.Popen] = []
    readiness: list[threading.Event] = []
    for index in range(workers):
        ready = threading.Event()
        child = subprocess.Popen(  # noqa: S603 (our own command line)
            [sys.executable, *argv, "--worker-index", str(index)], env=env, stdout=subprocess.PIPE, text=True
        )
        threading.Thread(target=_relay, args=(child, ready), daemon=True).start()
        children.append(child)
        readiness.append(ready)
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deadline = time.monotonic() + ready_timeout
    while not all(r.is_set() for r in readiness):
        if stopping.is_set() or time.monotonic() > deadline or any(c.poll() is not None for c in children):
            break
        time.sleep(0.05)
    else:
        print("gateway ready", flush=True)
    failed = None
    while not stopping.is_set() and failed is None:
        time.sleep(0.2)
        failed = next((c for c in children if c.poll() is not None), None)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
    return 1 if failed is not None else 0


def _relay(child: subprocess.Popen, ready: threading.Event) -> None:
    for line in child.stdout:
        if line.strip() == "gateway ready":
            ready.set()
            continue
        sys.stdout.write(line)
        sys.stdout.flush()
