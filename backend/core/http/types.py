"""Bounded parameter types for every API schema: ids, years, months, dates and times.

A plain ``int`` or ``date`` lets 2**63 or 9999-12-31 through to the database driver or the calendar
arithmetic, where it is a 500 (issue #23).  These types refuse such values during validation (a 422 in the
usual error shape) and show the bounds in the OpenAPI document: ``minimum``/``maximum`` for integers,
``x-minimum``/``x-maximum`` for dates and times.  ``tests/core/test_api_boundary_input.py`` fails when an
operation takes an integer, date or time without them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from annotated_types import Interval
from django.utils import timezone
from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic_core import core_schema

from backend.core import bounds

# Row ids: PostgreSQL bigint / SQLite INTEGER.
Id = Annotated[int, Interval(ge=1, le=bounds.ID_MAX)]
# Any other whole number bound for a column: the action checks the domain range (1–20 fixes, …).
Int64 = Annotated[int, Interval(ge=-bounds.ID_MAX - 1, le=bounds.ID_MAX)]
Year = Annotated[int, Interval(ge=bounds.earliest_year(), le=bounds.latest_year())]


class InRange:
    """Refuses a date, time or YYYY-MM month whose year is outside ``EARLIEST_YEAR``–``LATEST_YEAR``."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler):
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> dict:
        out = handler(schema)
        first, last = bounds.earliest_year(), bounds.latest_year()
        if out.get("format") == "date-time":
            out.update({"x-minimum": f"{first}-01-01T00:00:00Z", "x-maximum": f"{last}-12-31T23:59:59Z"})
        elif out.get("format") == "date":
            out.update({"x-minimum": f"{first}-01-01", "x-maximum": f"{last}-12-31"})
        else:
            out.update({"x-minimum": f"{first}-01", "x-maximum": f"{last}-12"})
        return out

    @staticmethod
    def _check(value: Any) -> Any:
        year = int(value[:4]) if isinstance(value, str) else value.year
        if not bounds.year_in_range(year):
            raise ValueError(f"年份应在 {bounds.range_text()}之间")
        return value


def _office_time(value: dt.datetime) -> dt.datetime:
    """A time given without an offset is the office's (settings.TIME_ZONE, China Standard Time), as a form's
    ``datetime-local`` field means it; comparing it with an aware "now" would otherwise be a 500."""
    if value.tzinfo is None:
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


Day = Annotated[dt.date, InRange()]
Moment = Annotated[dt.datetime, InRange(), AfterValidator(_office_time)]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN), InRange()]
