"""When a zone applies: weekly windows on the Shanghai wall clock, scalar and vectorised."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from backend.monitoring.geo.schedule import Schedule, WeeklyWindow

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2024, 6, 3, tzinfo=SHANGHAI)  # a Monday
SUNDAY = MONDAY + timedelta(days=6)
CURFEW_ALL_WEEK = Schedule([WeeklyWindow(day, time(22), time(6)) for day in range(7)])


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute)


def test_the_reference_days_are_what_the_tests_assume():
    assert (MONDAY.weekday(), SUNDAY.weekday()) == (0, 6)


def test_a_same_day_window_is_active_inside_it_and_not_outside_it():
    office_hours = Schedule([WeeklyWindow(0, time(9), time(17, 30))])
    assert office_hours.active(at(MONDAY, 9))  # the start is included
    assert office_hours.active(at(MONDAY, 17, 29))
    assert not office_hours.active(at(MONDAY, 17, 30))  # the end is not
    assert not office_hours.active(at(MONDAY, 8, 59))
    assert not office_hours.active(at(MONDAY + timedelta(days=1), 10))  # Tuesday


def test_an_overnight_curfew_from_22_to_06_covers_the_night_and_ends_at_six():
    monday_only = Schedule([WeeklyWindow(0, time(22), time(6))])
    tuesday = MONDAY + timedelta(days=1)
    assert monday_only.active(at(MONDAY, 23, 30))
    assert monday_only.active(at(tuesday, 5, 59))
    assert not monday_only.active(at(tuesday, 6, 1))
    assert not monday_only.active(at(MONDAY, 21, 59))
    assert not monday_only.active(at(tuesday, 23, 30))  # Tuesday night is not Monday night


def test_a_sunday_night_window_runs_on_into_monday_morning():
    sunday_night = Schedule([WeeklyWindow(6, time(23), time(2))])
    assert sunday_night.active(at(SUNDAY, 23))
    assert sunday_night.active(at(SUNDAY + timedelta(days=1), 1, 59))
    assert sunday_night.active(at(MONDAY, 1))  # the same wrap, a week earlier
    assert not sunday_night.active(at(MONDAY, 2))
    assert not sunday_night.active(at(SUNDAY, 22, 59))


def test_a_window_that_ends_where_it_starts_lasts_a_whole_day():
    whole_day = Schedule([WeeklyWindow(2, time(8), time(8))])
    wednesday = MONDAY + timedelta(days=2)
    assert whole_day.active(at(wednesday + timedelta(days=1), 7, 59))
    assert not whole_day.active(at(wednesday, 7, 59))


def test_an_always_on_schedule_is_active_at_any_moment_and_an_empty_one_never():
    assert Schedule(None).active(at(MONDAY, 3))
    assert Schedule().active(datetime(2031, 1, 1, tzinfo=UTC))
    assert not Schedule([]).active(at(MONDAY, 3))


def test_a_moment_given_in_utc_is_judged_on_the_shanghai_clock():
    monday_only = Schedule([WeeklyWindow(0, time(22), time(6))])
    # 15:30 UTC on Monday is 23:30 in Shanghai: inside; in UTC's own reading it would be outside.
    assert monday_only.active(datetime(2024, 6, 3, 15, 30, tzinfo=UTC))
    # 23:30 UTC on Monday is 07:30 on Tuesday in Shanghai: outside, though UTC reads "Monday night".
    assert not monday_only.active(datetime(2024, 6, 3, 23, 30, tzinfo=UTC))
    new_york = datetime(2024, 6, 3, 11, 30, tzinfo=ZoneInfo("America/New_York"))  # 23:30 Shanghai
    assert monday_only.active(new_york)


def test_a_naive_moment_and_a_bad_window_are_refused():
    with pytest.raises(ValueError):
        CURFEW_ALL_WEEK.active(datetime(2024, 6, 3, 23, 0))
    with pytest.raises(ValueError):
        WeeklyWindow(7, time(22), time(6))
    with pytest.raises(ValueError):
        WeeklyWindow(0, time(22, tzinfo=UTC), time(6))


@pytest.mark.parametrize(
    "schedule",
    [
        CURFEW_ALL_WEEK,
        Schedule([WeeklyWindow(6, time(23), time(2)), WeeklyWindow(2, time(9, 15), time(11, 45, 30))]),
        Schedule(None),
        Schedule([]),
    ],
    ids=["curfew", "sunday-night-and-wednesday", "always", "never"],
)
def test_the_vectorised_mask_equals_the_scalar_answer_for_ten_thousand_random_moments(schedule):
    rng = np.random.default_rng(8)
    start, end = datetime(2000, 1, 1, tzinfo=UTC).timestamp(), datetime(2040, 1, 1, tzinfo=UTC).timestamp()
    moments = rng.integers(int(start), int(end), 10_000)
    # and every window edge, a second either side, where an off-by-one would hide
    edges = [
        int(at(MONDAY + timedelta(days=d), h).timestamp()) + s
        for d in range(8)
        for h in (2, 6, 22, 23)
        for s in (-1, 0, 1)
    ]
    moments = np.concatenate([moments, edges])
    mask = schedule.active_mask(moments)
    scalar = [schedule.active(datetime.fromtimestamp(int(t), tz=UTC)) for t in moments]
    assert mask.tolist() == scalar


def test_a_missing_moment_is_never_active_in_the_mask():
    assert Schedule(None).active_mask([np.nan, 0.0]).tolist() == [False, True]
    assert CURFEW_ALL_WEEK.active_mask([np.nan]).tolist() == [False]
