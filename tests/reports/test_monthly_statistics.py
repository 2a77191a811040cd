"""Monthly statistics (月度统计): the numbers, computed by hand from the October 2026 fixture."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.reports.periods import parse_month
from backend.reports.statistics import Rate, compute_monthly
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def stats(october, tree):
    return compute_monthly(tree.county_a, parse_month("2026-10"), as_of=at(2026, 12, 1))


def test_the_register_counts_cases_open_at_the_end_of_the_month_in_the_subtree_only(stats):
    # C1, C2, C3; A1–A5 (A2 still 待衔接); M1, M2, M4 (M3 opened in November).
    assert stats.register == {"correction": 3, "aftercare": 5, "mental_health": 3}
    assert stats.persons_on_register == 11
    assert stats.status["correction"] == {"active": 2, "pending_report": 1}
    assert stats.status["aftercare"] == {"active": 4, "notified": 1}
    assert stats.category == {"strict": 2, "": 1}


def test_movements_count_what_took_effect_in_the_month(stats):
    assert stats.intakes == 2
    assert stats.opened == {"correction": 1, "aftercare": 3}
    assert stats.lost_contact_events == 1
    assert stats.lost_contact_found == 1


def test_the_rates_follow_their_printed_definitions(stats):
    assert stats.on_time_report == Rate(1, 3)
    assert stats.handover == Rate(2, 3)
    assert stats.pickup == Rate(1, 2)
    assert stats.support == Rate(2, 4)  # A1 (new, team active) and A5 (contact in cycle); not A3, A4
    assert stats.mh_standard == Rate(2, 3)


def test_check_in_compliance_counts_the_windows_that_closed_in_the_month(stats):
    # C1: three weeks (met, met, in person missed); C2: two weeks (its first, from Monday 12 Oct, counts:
    # plans.counted), in person once; October (education, service) for both, nothing done.
    assert stats.checkin_by_duty == {"in_person": Rate(3, 5), "written": Rate(3, 5), "education": Rate(0, 2),
                                     "community_service": Rate(0, 2)}  # fmt: skip
    assert stats.checkin == Rate(6, 14)
    assert stats.checkin.text() == "6 / 14 = 42.9%"


def test_windows_not_over_when_the_report_is_made_are_left_out(october, tree):
    early = compute_monthly(tree.county_a, parse_month("2026-10"), as_of=at(2026, 10, 19, 12))
    # Only 5–11 and 12–18 Oct had ended: C1 met both duties twice, C2 neither in its first week.
    assert early.checkin == Rate(4, 6)


def test_alerts_by_kind_with_median_times_and_escalations(stats):
    assert stats.alerts_by_kind == {"missed_checkin": 2, "zone_exit": 1}
    assert stats.alerts_total == 3
    assert (stats.alerts_acknowledged, stats.alerts_resolved) == (2, 1)
    assert stats.ack_median_minutes == 20.0
    assert stats.resolve_median_minutes == 120.0
    assert (stats.escalation_steps, stats.escalated_alerts) == (1, 1)
    assert sum(stats.alerts_per_day) == 3 and stats.alerts_per_day[19] == 1 and stats.alerts_per_day[24] == 1


def test_location_orders_and_wearables_are_reported_apart_from_phone_checks(stats):
    assert (stats.orders_in_force, stats.orders_new, stats.orders_expiring) == (1, 1, 0)
    assert (stats.tag_wearers, stats.phone_holders) == (1, 1)


def test_a_township_sees_only_its_own_figures(october, tree):
    township = compute_monthly(tree.township_a2, parse_month("2026-10"), as_of=at(2026, 12, 1))
    assert township.register == {"correction": 1}
    # C2: in person 1 of 2 weeks, written 0 of 2, October's hours 0 of 2.
    assert township.checkin == Rate(1, 6)
    assert township.alerts_total == 1


def test_a_week_short_while_in_custody_is_left_out_of_check_in_compliance_and_a_met_one_still_counts(
    october, tree, officers
):
    from backend.people.actions.transitions import transition_case

    # C2 reported in person on 20 Oct but wrote nothing in the week of 19 Oct; detained from the 22nd.
    transition_case(
        by=officers.colleague, case=october.c2, action="detain", effective_on=dt.date(2026, 10, 22)
    )
    stats = compute_monthly(tree.county_a, parse_month("2026-10"), as_of=at(2026, 12, 1))
    # C2's written week of 19 Oct and its October hours are excused; its first week (12–18 Oct) is not.
    assert stats.checkin_by_duty == {"in_person": Rate(3, 5), "written": Rate(3, 4), "education": Rate(0, 1),
                                     "community_service": Rate(0, 1)}  # fmt: skip
    assert stats.checkin == Rate(6, 11)


@pytest.mark.parametrize(
    ("ended_early_on", "in_force"), [(dt.date(2026, 10, 22), 0), (dt.date(2026, 10, 23), 1)]
)
def test_an_order_released_early_counts_in_force_in_a_month_only_if_it_ran_one_day_of_it(
    october, tree, ended_early_on, in_force
):
    """The release day is the first day without an order (the one in-force rule, ``in_force_q``)."""
    from backend.monitoring.models import LocationOrder

    # The fixture's one order starts on 22 Oct: released that very day it never ran; a day later it ran one.
    LocationOrder.objects.filter(starts_on=dt.date(2026, 10, 22)).update(ended_early_on=ended_early_on)
    stats = compute_monthly(tree.county_a, parse_month("2026-10"), as_of=at(2026, 12, 1))
    assert stats.orders_in_force == in_force
