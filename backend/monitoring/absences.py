"""Excused absences: spans in which a person's inclusion zones do not apply, each with the destination
zone that applies instead, if one was drawn.  Approved leave (外出, 实施办法 Art. 27) is one; it lives in
supervision, which sits above monitoring, so it is added here at start (``SupervisionConfig.ready`` →
``add_absence_source``).  The zone cache asks its sources only when it checks for changes (every few
seconds) and reloads, never per fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from backend.monitoring.models import Zone


@dataclass(frozen=True)
class Absence:
    person_id: int
    start: dt.datetime  # aware; included
    end: dt.datetime  # aware; excluded (an early return ends it then)
    destination: Zone | None  # an inclusion zone for [start, end) only


class AbsenceSource(Protocol):
    def stamp(self) -> tuple:
        """A value that changes whenever the absences may have changed (one cheap query)."""

    def ending_since(self, day: dt.date) -> Iterable[Absence]:
        """The absences that end on ``day`` or later (one query)."""


_SOURCES: dict[str, AbsenceSource] = {}


def add_absence_source(name: str, source: AbsenceSource) -> None:
    """Let ``source`` excuse absences from the zone watch (called from an app's ``ready``; again under a
    name replaces it)."""
    _SOURCES[name] = source


def absence_sources() -> dict[str, AbsenceSource]:
    """The sources added so far, by name."""
    return dict(_SOURCES)
