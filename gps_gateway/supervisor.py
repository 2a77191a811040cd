"""Keeping child processes running: one that dies is logged and started again, with capped backoff.

``manage.py up`` supervises the web server, the gateway, the sender and the scheduler; the gateway
supervises its workers.  A child that dies is started again after ``base·2^(n−1)`` (at most ``max``), n
counting its deaths in a row; one that ran ``stable_s`` before dying starts the count afresh, so a crash
loop backs off while a rare crash restarts at once.  The other children keep running throughout.
No Django here: it lives on the gateway's ground floor, and ``up`` (above) uses it too.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> None:
    """Linux: have the kernel send ``sig`` to this process when its parent goes; exit at once if the
    parent is already gone.  A supervisor killed with ``kill -9`` then leaves no orphans holding ports.

    Called in the child: at its start, or as ``preexec_fn`` between fork and exec (the setting survives
    exec).  Keyed to the parent *thread*: the supervisors start children from their main thread.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except OSError:
        pass  # not Linux: the parent's SIGTERM handling still stops its children
    if os.getppid() != parent_pid:
        os._exit(1)


@dataclass(frozen=True)
class Backoff:
    base_s: float = 1.0
    max_s: float = 60.0
    stable_s: float = 60.0

    @classmethod
    def from_settings(cls, settings) -> Backoff:
        return cls(settings.RESTART_BASE_MS / 1000, settings.RESTART_MAX_MS / 1000, settings.RESTART_STABLE_S)

    def delay(self, deaths: int) -> float:
        return min(self.max_s, self.base_s * 2 ** max(0, deaths - 1))


@dataclass(frozen=True)
class Messages:
    """Log lines, in the language of the log they go to. Fields: name, pid, how, delay, deaths."""

    died: str
    restarted: str
    by_signal: str
    by_code: str


CHINESE = Messages(
    died="进程 {name}（pid {pid}）意外退出（{how}），{delay:.1f} 秒后重启（连续第 {deaths} 次）",
    restarted="进程 {name} 已重启（pid {pid}）",
    by_signal="信号 {n}",
    by_code="代码 {n}",
)
ENGLISH = Messages(
    died="{name} (pid {pid}) died ({how}); restarting in {delay:.1f} s (death {deaths} in a row)",
    restarted="{name} restarted (pid {pid})",
    by_signal="signal {n}",
    by_code="exit code {n}",
)


@dataclass
class Child:
    name: str
    start: Callable[[], subprocess.Popen]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    deaths: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        starters: dict[str, Callable[[], subprocess.Popen]],
        *,
        backoff: Backoff,
        logger: logging.Logger,
        messages: Messages = CHINESE,
    ) -> None:
        self.children = {name: Child(name, start) for name, start in starters.items()}
        self.backoff, self.logger, self.messages = backoff, logger, messages

    def start_all(self) -> None:
        for child in self.children.values():
            self._start(child)

    def _start(self, child: Child) -> None:
        child.process = child.start()
        child.started_at = time.monotonic()
        child.restart_at = None

    def pids(self) -> dict[str, int | None]:
        return {name: c.process.pid if c.process else None for name, c in self.children.items()}

    def check(self) -> None:
        """One look at every child: note the dead, start those whose wait is over."""
        now = time.monotonic()
        for child in self.children.values():
            process = child.process
            if process is not None and process.poll() is not None:
                code = process.returncode
                child.deaths = 1 if now - child.started_at >= self.backoff.stable_s else child.deaths + 1
                delay = self.backoff.delay(child.deaths)
                child.process, child.restart_at = None, now + delay
                how = (self.messages.by_signal if code < 0 else self.messages.by_code).format(n=abs(code))
                self.logger.warning(
                    self.messages.died.format(
                        name=child.name, pid=process.pid, how=how, delay=delay, deaths=child.deaths
                    )
                )
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                self._start(child)
                self.logger.warning(self.messages.restarted.format(name=child.name, pid=child.process.pid))

    def run(self, stopping: Callable[[], bool], tick: float = 0.2) -> None:
        while not stopping():
            self.check()
            time.sleep(tick)

    def stop(self, timeout: float) -> None:
        """SIGTERM every running child, wait up to ``timeout`` for all, then SIGKILL what is left."""
        running = [c.process for c in self.children.values() if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
