"""The alert contract's event side: who hears that an alert reached a step (opened, or escalated).

Monitoring raises and escalates alerts but does not know who is told; a package above it (notifications)
subscribes in its ``AppConfig.ready()``.  A subscriber is called **inside the transaction** that opens or
escalates the alert, so an alert is committed together with whatever the subscriber wrote (its deliveries)
or not at all: a subscriber that raises rolls the alert back.  Step 0 is an alert opened where it belongs;
step N ≥ 1 is an alert escalated to level N (or opened already at level N, 告警未能送达).

``batch()`` wraps work that raises many alerts at once (the due-item sweep): each subscriber may enter a
context of its own there (notifications reads each office's recipients once per batch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass

from backend.monitoring.models import Alert

OnStep = Callable[[Alert, int], object]
BatchContext = Callable[[], AbstractContextManager[object]]


@dataclass(frozen=True)
class Subscriber:
    on_step: OnStep
    batch: BatchContext | None = None


_subscribers: list[Subscriber] = []


def subscribe(on_step: OnStep, *, batch: BatchContext | None = None) -> None:
    """Call ``on_step(alert, step)`` for every step an alert reaches.  Subscribing the same function again
    (a second ``ready()``) replaces the first, so a step is never handled twice by one subscriber."""
    _subscribers[:] = [s for s in _subscribers if s.on_step is not on_step]
    _subscribers.append(Subscriber(on_step, batch))


def subscribers() -> tuple[Subscriber, ...]:
    return tuple(_subscribers)


def step_reached(alert: Alert, step: int) -> None:
    """Tell every subscriber; called by the alert actions inside their transaction."""
    for subscriber in _subscribers:
        subscriber.on_step(alert, step)


@contextmanager
def batch() -> Iterator[None]:
    """Many alerts are about to be raised together: every subscriber's batch context is held around them."""
    with ExitStack() as stack:
        for subscriber in _subscribers:
            if subscriber.batch is not None:
                stack.enter_context(subscriber.batch())
        yield
