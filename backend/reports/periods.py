"""Parsing the periods a report is asked for: a month (YYYY-MM) or a day range, in Asia/Shanghai.

Bad input is a 422 with a Chinese message (``Invalid``), the same shape as every other API error.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from backend.core import bounds
from backend.core.errors import Invalid

SHANGHAI = ZoneInfo("Asia/Shanghai")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Period:
    """Whole local days ``first``…``last`` (both included); ``start``/``end`` are the aware bounds [start, end)."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        return midnight(self.last + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def label(self) -> str:
        return f"{self.first:%Y年%m月%d日}至{self.last:%Y年%m月%d日}"


def parse_month(value: str | None) -> Period:
    match = _MONTH.fullmatch((value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise Invalid("月份格式应为 YYYY-MM（如 2026-11）", {"field": "month"})
    year, month = int(match.group(1)), int(match.group(2))
    # monthrange, not "first + 32 days": December 9999 has no following month (issue #23: a 500).
    return Period(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))


def parse_day(value: str, field: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise Invalid(f"{field} 应为日期 YYYY-MM-DD", {"field": field}) from None
    return bounds.check_day(day, field)


def parse_range(
    first: str | None, last: str | None, *, max_days: int, default_days: int, today: dt.date
) -> Period:
    """``from``/``to`` as local dates, both included; missing ones default to the ``default_days`` up to today."""
    last_day = parse_day(last, "to") if last else today
    first_day = parse_day(first, "from") if first else last_day - dt.timedelta(days=default_days - 1)
    if last_day < first_day:
        raise Invalid("结束日期不能早于开始日期", {"field": "to"})
    if (last_day - first_day).days + 1 > max_days:
        raise Invalid(f"时间范围不能超过 {max_days} 天", {"field": "to"})
    return Period(first_day, last_day)
