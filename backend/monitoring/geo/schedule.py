"""When a zone applies: weekly windows in China Standard Time (e.g. a home curfew 22:00–06:00, 宵禁).

Windows are judged on the Shanghai wall clock whatever time zone a moment arrives in, because a court
order or a curfew is written in local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import ArrayLike, NDArray

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_S = 86_400
WEEK_S = 7 * DAY_S
# China has kept UTC+8 all year since it dropped summer time in 1991, so the vectorised path may add a
# fixed offset; the scalar path still asks zoneinfo, and the two agree for any moment after 1991.
_CST_OFFSET_S = 8 * 3600
# 1970-01-01 (epoch 0) was a Thursday: three days after a Monday 00:00.
_EPOCH_SECOND_OF_WEEK = 3 * DAY_S


@dataclass(frozen=True)
class WeeklyWindow:
    """From `start` on `weekday` (Monday = 0) until `end`; an `end` at or before `start` is on the next
    day (22:00–06:00 runs overnight; 08:00–08:00 is a whole day).  Start included, end excluded."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) … 6 (Sunday), not {self.weekday!r}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are Shanghai wall-clock times and take no tzinfo")

    @property
    def opens_s(self) -> float:
        """Seconds from Monday 00:00 to the opening."""
        return self.weekday * DAY_S + _seconds(self.start)

    @property
    def length_s(self) -> float:
        length = (_seconds(self.end) - _seconds(self.start)) % DAY_S
        return length or DAY_S


@dataclass(frozen=True)
class Schedule:
    """The windows during which a zone applies; None means always, an empty list never."""

    windows: list[WeeklyWindow] | None = None

    def active(self, moment: datetime) -> bool:
        """Whether the zone applies at an aware moment, judged on the Shanghai wall clock."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("moment must be timezone-aware; a naive time would be guessed, not known")
        if self.windows is None:
            return True
        local = moment.astimezone(SHANGHAI)
        second = local.weekday() * DAY_S + _seconds(local.time())
        return any((second - w.opens_s) % WEEK_S < w.length_s for w in self.windows)

    def active_mask(self, epoch_seconds: ArrayLike) -> NDArray[np.bool_]:
        """`active` for many Unix times at once; a NaN time is never active."""
        t = np.asarray(epoch_seconds, dtype=np.float64)
        known = np.isfinite(t)
        if self.windows is None:
            return known
        second = np.mod(np.where(known, t, 0.0) + _CST_OFFSET_S + _EPOCH_SECOND_OF_WEEK, WEEK_S)
        mask = np.zeros(t.shape, dtype=bool)
        for w in self.windows:  # a handful of windows; the fixes themselves are never looped over
            mask |= np.mod(second - w.opens_s, WEEK_S) < w.length_s
        return mask & known


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
