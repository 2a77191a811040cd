"""Several gateway processes on the same ports (SO_REUSEPORT), so the gateway uses every core.

The parent starts the workers, waits for each to say it is ready, and on SIGTERM stops them all.  A worker
that dies is started again with backoff (``gps_gateway.supervisor``) while the others keep serving: the
kernel hands new connections to the listeners that are left, and the new worker joins them.  Each worker
asks the kernel to kill it when the parent dies, so a ``kill -9`` of the gateway leaves no orphans that
keep the ports.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace

from gps_gateway.supervisor import ENGLISH, Backoff, Supervisor

logger = logging.getLogger("anbang.gateway")
GATEWAY_MESSAGES = replace(
    ENGLISH, died="gateway: " + ENGLISH.died, restarted="gateway: " + ENGLISH.restarted
)


def supervise(argv: list[str], workers: int, backoff: Backoff, ready_timeout: float = 60) -> int:
    """Run ``argv`` (the same rungateway command) as ``workers`` worker processes until SIGTERM."""
    env = {**os.environ, "ANBANG_GATEWAY_PARENT_PID": str(os.getpid())}
    readiness = [threading.Event() for _ in range(workers)]

    def starter(index: int):
        def start() -> subprocess.Popen:
            child = subprocess.Popen(  # noqa: S603 (our own command line)
                [sys.executable, *argv, "--worker-index", str(index)],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            threading.Thread(target=_relay, args=(child, index, readiness[index]), daemon=True).start()
            return child

        return start

    supervisor = Supervisor(
        {f"worker {index}": starter(index) for index in range(workers)},
        backoff=backoff,
        logger=logger,
        messages=GATEWAY_MESSAGES,
    )
    supervisor.start_all()
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deadline = time.monotonic() + ready_timeout
    while not all(r.is_set() for r in readiness):
        if stopping.is_set() or time.monotonic() > deadline:
            break
        supervisor.check()
        time.sleep(0.05)
    else:
        print("gateway ready", flush=True)
    supervisor.run(stopping.is_set)
    supervisor.stop(timeout=60)
    return 0


def _relay(child: subprocess.Popen, index: int, ready: threading.Event) -> None:
    for line in child.stdout:
        if line.strip() == "gateway ready":
            if ready.is_set():  # a restarted worker
                logger.info("gateway: worker %d ready (pid %d)", index, child.pid)
            ready.set()
            continue
        sys.stdout.write(line)
        sys.stdout.flush()
