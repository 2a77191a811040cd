"""What the system accepts as a row id, a year, a date or a time: anything outside is refused with a 422
before it reaches calendar arithmetic or a database driver.  Issue #23: ``year=9999`` overflowed
``date(year + 1, 1, 1)``, ``0001-01-01`` overflowed on the way to UTC, and an id of 2**63 made the
drivers raise ``OverflowError``; each was a 500.

The API's typed parameters (``backend/core/http/types.py``) and the reports' own parsing
(``backend/reports/periods.py``) both check through here, so the console and the API agree.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from backend.core.errors import Invalid

# PostgreSQL bigint and SQLite INTEGER are signed 64-bit: larger ids cannot name a row.
ID_MAX = 2**63 - 1


def earliest_year() -> int:
    return settings.EARLIEST_YEAR


def latest_year() -> int:
    return settings.LATEST_YEAR


def range_text() -> str:
    return f"{earliest_year()}–{latest_year()} 年"


def year_in_range(year: int) -> bool:
    return earliest_year() <= year <= latest_year()


def check_year(year: int, field: str) -> int:
    if not year_in_range(year):
        raise Invalid(f"{field} 应在 {range_text()}之间", {"field": field})
    return year


def check_day(day: dt.date, field: str) -> dt.date:
    """``day`` (a date or a datetime) if its year is in range, else a 422 naming ``field``."""
    check_year(day.year, field)
    return day


def check_id(value: int, field: str) -> int:
    if not 1 <= value <= ID_MAX:
        raise Invalid(f"{field} 不是有效的编号", {"field": field})
    return value
