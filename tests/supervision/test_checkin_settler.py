"""The set-based half of the check-in handlers: met duties are finished in SQL with the handlers' outcomes,
and everything with an effect or a different outcome is left to the handlers."""

from __future__ import annotations

import pytest

from backend.supervision.actions.checkins import record_checkin
from backend.supervision.due import run_planners
from backend.supervision.handlers.checkins import settle_met_duties
from backend.supervision.models import CheckinPlan, DueItem, DueKind
from backend.supervision.sweep import sweep
from tests.supervision.test_checkin_plans import active_case, at

pytestmark = pytest.mark.django_db


def items(case, kind, window):
    return {
        i.details["duty"]: i for i in DueItem.objects.filter(case=case, kind=kind, details__window=window)
    }


def test_met_duties_are_settled_in_sql_and_unmet_ones_are_left_pending(officers, tree):
    met, unmet = active_case(officers, tree), active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    for case in (met, unmet):
        record_checkin(by=officers.owner, case=case, kind="written", at=at(2026, 11, 4, 10))
    record_checkin(by=officers.owner, case=met, kind="in_person", at=at(2026, 11, 8, 23, 59))
    record_checkin(by=officers.owner, case=unmet, kind="in_person", at=at(2026, 11, 9, 0, 0))  # next week
    settled = settle_met_duties(at(2026, 11, 9, 0, 0))
    assert settled[DueKind.CHECKIN_WINDOW_END] == 3  # met: in person + written; unmet: written
    ends = items(met, DueKind.CHECKIN_WINDOW_END, "2026-W45")
    assert {d: (i.state, i.outcome) for d, i in ends.items()} == {
        "in_person": ("done", "ok"),
        "written": ("done", "ok"),
    }
    assert items(unmet, DueKind.CHECKIN_WINDOW_END, "2026-W45")["in_person"].state == "pending"
    assert settle_met_duties(at(2026, 11, 9, 0, 0)) == {}  # nothing twice


def test_summed_hours_are_compared_with_the_required_hours(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 9, 30, 12))
    record_checkin(by=officers.owner, case=case, kind="education", at=at(2026, 10, 1, 0, 0), hours=4)
    record_checkin(by=officers.owner, case=case, kind="education", at=at(2026, 10, 31, 23, 59), hours="8.0")
    record_checkin(by=officers.owner, case=case, kind="community_service", at=at(2026, 10, 12, 9), hours=11.5)
    settle_met_duties(at(2026, 11, 1, 0, 0))
    ends = items(case, DueKind.CHECKIN_WINDOW_END, "2026-10")
    assert (ends["education"].state, ends["community_service"].state) == ("done", "pending")


def test_a_stale_reminder_and_a_switched_off_duty_are_left_for_the_handlers_to_label(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    record_checkin(by=officers.owner, case=case, kind="in_person", at=at(2026, 11, 2, 8))
    record_checkin(by=officers.owner, case=case, kind="written", at=at(2026, 11, 2, 8))
    CheckinPlan.objects.filter(case=case, kind="written").update(active=False)
    late = at(2026, 11, 2, 16)  # the opening reminders (09:00) are 7 h late: stale
    assert settle_met_duties(late).get(DueKind.CHECKIN_OPENS, 0) == 0
    sweep(late)
    opens = items(case, DueKind.CHECKIN_OPENS, "2026-W45")
    assert opens["in_person"].outcome == "stale" and opens["written"].outcome == "inactive"
