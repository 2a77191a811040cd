"""Check-in windows: ISO weeks from Monday 00:00 or calendar months, on the Asia/Shanghai wall clock, end
exclusive.  The planner, the handlers, custody and the statistics all count in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from backend.supervision.models import Period

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Window:
    period: str
    key: str  # "2026-W49" (ISO year and week) or "2026-12"
    start: dt.datetime  # aware, Shanghai; included
    end: dt.datetime  # aware, Shanghai; excluded

    def next(self) -> Window:
        return window_of(self.period, self.end)

    def label(self) -> str:
        if self.period == Period.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        last = (self.end - dt.timedelta(days=1)).date()
        return f"本周（{self.start.month}月{self.start.day}日—{last.month}月{last.day}日）"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)


def window_of(period: str, moment: dt.datetime) -> Window:
    """The window of ``period`` that contains the aware ``moment`` (judged on the Shanghai wall clock)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    day = moment.astimezone(SHANGHAI).date()
    if period == Period.WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        return Window(
            period, f"{year}-W{week:02d}", _midnight(monday), _midnight(monday + dt.timedelta(days=7))
        )
    if period == Period.MONTH:
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return Window(period, f"{first.year}-{first.month:02d}", _midnight(first), _midnight(following))
    raise ValueError(f"unknown period {period!r}")


def window_by_key(period: str, key: str) -> Window:
    if period == Period.WEEK:
        year, week = key.split("-W")
        return window_of(period, _midnight(dt.date.fromisocalendar(int(year), int(week), 1)))
    year, month = key.split("-")
    return window_of(period, _midnight(dt.date(int(year), int(month), 1)))


def windows_overlapping(period: str, start: dt.datetime, end: dt.datetime) -> list[Window]:
    found, window = [], window_of(period, start)
    while window.start < end:
        found.append(window)
        window = window.next()
    return found
