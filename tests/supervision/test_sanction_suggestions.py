"""The sanctions ladder suggests (docs/supervision.md "Sanctions"), each rule at its edge: lost contact
≤ 10 days → 训诫, > 10 → 警告, > 30 → 提请撤销; 2 unremedied 训诫 → 警告; 2 警告 → 提请撤销; a 警告 for not reporting
→ an electronic-location suggestion on Art. 29 ground 3.  A person decides; a dismissed one stays dismissed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import AuditEvent, Role
from backend.monitoring.models import LocationOrder
from backend.people.actions.transitions import transition_case
from backend.supervision.actions.sanctions import dismiss_suggestion
from backend.supervision.handlers.leave_sanctions import suggest_sanctions
from backend.supervision.models import SanctionSuggestion
from tests.conftest import make_user
from tests.supervision.sanction_helpers import county_officer_of, decided
from tests.supervision.test_leave_requests import case, today  # noqa: F401

pytestmark = pytest.mark.django_db


def ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


def lose(officer, case, days_ago: int, *, found_days_ago: int | None = None) -> None:  # noqa: F811
    transition_case(by=officer, case=case, action="report_lost_contact", effective_on=ago(days_ago))
    if found_days_ago is not None:
        case.refresh_from_db()
        transition_case(by=officer, case=case, action="found", effective_on=ago(found_days_ago))


def open_ones(case) -> list[tuple[str, str]]:  # noqa: F811
    return list(
        SanctionSuggestion.objects.filter(case=case, state="open").order_by("id").values_list("kind", "rule")
    )


def decide(officer, case, kind: str, basis: str = "", **extra):  # noqa: F811
    return decided(officer, case, kind, reason="测试", basis=basis, **extra)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, ("admonition", "lost_contact_le_10d")),
        (10, ("admonition", "lost_contact_le_10d")),
        (11, ("warning", "lost_contact_gt_10d")),
        (30, ("warning", "lost_contact_gt_10d")),
        (31, ("revocation_request", "lost_contact_gt_30d")),
    ],
    ids=["same day", "10 days", "11 days", "30 days", "31 days"],
)
def test_ongoing_lost_contact_suggests_the_step_for_its_length(officers, case, days, expected):  # noqa: F811
    lose(officers.owner, case, days)
    assert suggest_sanctions(timezone.now()) == 1
    assert open_ones(case) == [expected]
    suggestion = SanctionSuggestion.objects.get()
    assert suggestion.details["days"] == days and suggestion.details["ongoing"] is True
    assert AuditEvent.objects.filter(action="sanction.suggest", target_id=str(suggestion.pk)).count() == 1


def test_an_ended_episode_counts_until_the_person_was_found(officers, case):  # noqa: F811
    lose(officers.owner, case, 20, found_days_ago=9)  # 11 days lost
    suggest_sanctions(timezone.now())
    assert open_ones(case) == [("warning", "lost_contact_gt_10d")]
    assert SanctionSuggestion.objects.get().details["ongoing"] is False


def test_a_growing_episode_moves_up_the_ladder_and_each_step_is_suggested_once(officers, case):  # noqa: F811
    lose(officers.owner, case, 10)
    now = timezone.now()
    assert suggest_sanctions(now) == 1
    assert suggest_sanctions(now) == 0
    assert suggest_sanctions(now + dt.timedelta(days=1)) == 1  # day 11
    assert suggest_sanctions(now + dt.timedelta(days=2)) == 0
    assert suggest_sanctions(now + dt.timedelta(days=21)) == 1  # day 31
    assert open_ones(case) == [
        ("admonition", "lost_contact_le_10d"), ("warning", "lost_contact_gt_10d"),
        ("revocation_request", "lost_contact_gt_30d"),
    ]  # fmt: skip


def test_a_dismissed_suggestion_is_not_made_again(officers, case):  # noqa: F811
    lose(officers.owner, case, 3)
    suggest_sanctions(timezone.now())
    dismiss_suggestion(
        by=officers.owner, suggestion=SanctionSuggestion.objects.get(), note="已查明有正当理由"
    )
    assert suggest_sanctions(timezone.now()) == 0
    assert open_ones(case) == []


def test_a_step_already_decided_for_the_episode_is_not_suggested(officers, case):  # noqa: F811
    lose(officers.owner, case, 3)
    decide(officers.owner, case, "admonition", "lost_contact_le_10d")
    assert open_ones(case) == []
    assert suggest_sanctions(timezone.now()) == 0


def test_no_revocation_is_suggested_while_one_is_pending(officers, case):  # noqa: F811
    lose(officers.owner, case, 31)
    case.refresh_from_db()
    type(case).objects.filter(pk=case.pk).update(revocation_pending=True)
    assert suggest_sanctions(timezone.now()) == 0


def test_one_unremedied_admonition_suggests_nothing_and_two_suggest_a_warning(officers, case):  # noqa: F811
    first = decide(officers.owner, case, "admonition", decided_on=ago(20))
    assert open_ones(case) == []
    second = decide(officers.owner, case, "admonition", decided_on=ago(2))  # the rules run right after
    assert open_ones(case) == [("warning", "admonitions_unremedied")]
    assert SanctionSuggestion.objects.get().details == {"sanctions": [first.pk, second.pk], "count": 2}


def test_a_remedied_admonition_does_not_count(officers, case):  # noqa: F811
    from backend.supervision.actions.sanctions import remedy_sanction

    remedy_sanction(
        by=officers.owner, sanction=decide(officers.owner, case, "admonition", decided_on=ago(20))
    )
    decide(officers.owner, case, "admonition")
    assert open_ones(case) == []


def test_admonitions_before_the_last_warning_do_not_count(officers, case):  # noqa: F811
    decide(officers.owner, case, "admonition", decided_on=ago(30))
    decide(officers.owner, case, "warning", decided_on=ago(20))
    decide(officers.owner, case, "admonition", decided_on=ago(2))
    assert open_ones(case) == []


def test_one_warning_suggests_nothing_and_two_suggest_revocation(officers, case):  # noqa: F811
    decide(officers.owner, case, "warning", decided_on=ago(40))
    assert open_ones(case) == []
    decide(officers.owner, case, "warning", decided_on=ago(1))
    assert open_ones(case) == [("revocation_request", "warnings_repeated")]


def test_a_warning_for_not_reporting_suggests_a_location_order_on_ground_3(officers, case):  # noqa: F811
    warning = decide(officers.owner, case, "warning", "missed_report")
    suggestion = SanctionSuggestion.objects.get(kind="location_order")
    assert (suggestion.rule, suggestion.details) == (
        "art29_ground3", {"ground": "3", "sanction": warning.pk, "basis": "missed_report"},
    )  # fmt: skip


def test_a_warning_decided_from_a_lost_contact_suggestion_suggests_a_location_order(officers, case):  # noqa: F811
    from backend.supervision.actions.sanction_proposals import approve_sanction
    from backend.supervision.actions.sanctions import accept_suggestion

    lose(officers.owner, case, 12)
    suggest_sanctions(timezone.now())
    _, proposal = accept_suggestion(
        by=officers.owner, suggestion=SanctionSuggestion.objects.get(), reason="脱管 12 日（测试）"
    )
    assert open_ones(case) == []  # the 司法所 proposed the warning: not in force yet
    approve_sanction(by=county_officer_of(case), sanction=proposal)
    assert open_ones(case) == [("location_order", "art29_ground3")]


@pytest.mark.parametrize("basis", ["", "other", "admonitions_unremedied"])
def test_a_warning_on_other_grounds_suggests_no_location_order(officers, case, basis):  # noqa: F811
    decide(officers.owner, case, "warning", basis)
    assert not SanctionSuggestion.objects.filter(kind="location_order").exists()


def test_no_location_order_is_suggested_while_one_is_in_force(tree, officers, case):  # noqa: F811
    head = make_user("head", tree.county_a, Role.COUNTY_HEAD)
    LocationOrder.objects.create(
        person=case.person, case=case, ground="1", facts="测试", decision="approved", decided_by=head,
        approved_on=ago(5), starts_on=ago(5), ends_on=today() + dt.timedelta(days=30), notice_signed_on=ago(5),
        proposed_by=head,
    )  # fmt: skip
    decide(officers.owner, case, "warning", "missed_intake")
    assert not SanctionSuggestion.objects.filter(kind="location_order").exists()


def test_one_open_suggestion_per_case_kind_and_rule(officers, case):  # noqa: F811
    lose(officers.owner, case, 3, found_days_ago=2)
    case.refresh_from_db()
    lose(officers.owner, case, 1)  # a second episode while the first one's suggestion waits
    assert suggest_sanctions(timezone.now()) == 1
    assert open_ones(case) == [("admonition", "lost_contact_le_10d")]
