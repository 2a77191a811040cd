"""What the console offers for a case, a leave request or a sanction: the links and buttons shown are the
actions allowed now, and a form page reached anyway says why not (the action refuses on its own too).

The rules are the actions': who may (the one policy, ``may``/``require``) and the case's kind and status
(check-ins and plans: an active correction case, ``actions/checkins.py``; follow-ups: an open case of the
kind each record type belongs to, ``actions/followups.py``; leave: an active correction case,
``actions/leave.py``; sanctions: correction cases, ``actions/sanctions.py``).  The messages are theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.core.errors import DomainError
from backend.core.models import User
from backend.core.policy import may, require
from backend.people.models import Case, CaseKind, CaseStatus
from backend.people.models.case import OPEN_STATUSES
from backend.supervision.actions.followups import CASE_KIND_OF
from backend.supervision.models import (
    FollowUpKind,
    LeaveRequest,
    LeaveState,
    Sanction,
    SanctionKind,
    SanctionState,
    SanctionSuggestion,
)

KIND_NAMES = {
    CaseKind.CORRECTION: "社区矫正",
    CaseKind.AFTERCARE: "安置帮教",
    CaseKind.MENTAL_HEALTH: "精神障碍患者服务管理",
}

# The person page's link to the follow-up form, named by what a case of each kind records there.
FOLLOWUP_LINKS = {
    CaseKind.CORRECTION: "登记评估、总结与鉴定",
    CaseKind.AFTERCARE: "登记帮教走访与复评",
    CaseKind.MENTAL_HEALTH: "登记随访与体检",
}


def _policy(user: User, action: str, obj=None) -> str:
    try:
        require(user, action, obj)
    except DomainError as exc:
        return exc.message
    return ""


def _active_correction(case: Case, what: str) -> str:
    if case.kind != CaseKind.CORRECTION:
        return f"只有社区矫正案件有{what}"
    if case.status != CaseStatus.ACTIVE:
        return f"案件当前状态为「{CaseStatus(case.status).label}」，不在矫，不能办理{what}"
    return ""


def checkin_refusal(user: User, case: Case) -> str:
    """Why check-ins (and plan changes) cannot be recorded for this case now; "" when they can."""
    return _policy(user, "case.manage", case) or _active_correction(case, "签到与报告")


def followup_kinds(user: User, case: Case) -> list[tuple[str, str]]:
    """The record types this user may enter for this case (mental-health ones: health staff only)."""
    return [
        (kind.value, kind.label)
        for kind in FollowUpKind
        if CASE_KIND_OF[kind] == case.kind and may(user, "followup.record", kind)
    ]


def followup_refusal(user: User, case: Case) -> str:
    if reason := _policy(user, "case.manage", case):
        return reason
    if case.status not in OPEN_STATUSES:
        return "案件已结束，不能再登记"
    if not followup_kinds(user, case):
        return "精神障碍患者随访、体检、突发事件与应急处置记录仅卫生人员可以登记"
    return ""


def leave_refusal(user: User, case: Case) -> str:
    return _policy(user, "leave.create") or _active_correction(case, "外出申请")


def sanction_refusal(user: User, case: Case) -> str:
    if reason := _policy(user, "sanction.decide"):
        return reason
    if case.kind != CaseKind.CORRECTION:
        return "考核奖惩只适用于社区矫正对象"
    if case.status not in OPEN_STATUSES:
        return "案件已结束，不能再作出奖惩决定"
    return ""


def may_cancel(user: User, leave: LeaveRequest) -> bool:
    """撤回: the submitter, before a decision."""
    return leave.state == LeaveState.PENDING and may(user, "leave.cancel", leave)


def return_refusal(user: User, leave: LeaveRequest) -> str:
    """销假: an approved leave, by office staff."""
    if leave.state != LeaveState.APPROVED:
        return f"外出申请为「{LeaveState(leave.state).label}」，不能销假"
    return _policy(user, "leave.return")


def may_remedy(user: User, sanction: Sanction) -> bool:
    """训诫已改正: an admonition not yet marked so."""
    return (
        sanction.kind == SanctionKind.ADMONITION
        and sanction.state == SanctionState.DECIDED  # a proposal is not in force yet
        and not sanction.remedied
        and may(user, "sanction.decide")
    )


def suggestion_refusal(user: User, suggestion: SanctionSuggestion) -> str:
    """采纳 / 不采纳: an open suggestion, by whoever may decide sanctions."""
    if suggestion.state != SanctionSuggestion.State.OPEN:
        return f"该建议已「{SanctionSuggestion.State(suggestion.state).label}」"
    return _policy(user, "sanction.decide")


@dataclass
class CaseOffers:
    """The supervision links of one case on the person page."""

    case: Case
    name: str
    kind_name: str
    followup_label: str
    checkin: bool
    followup: bool
    leave: bool
    sanction: bool

    @property
    def any(self) -> bool:
        return self.checkin or self.followup or self.leave or self.sanction


@dataclass
class Panel:
    """Everything the person page's supervision sections offer (``panel``)."""

    cases: list[CaseOffers] = field(default_factory=list)
    suggestions: list = field(default_factory=list)


def case_offers(user: User, case: Case) -> CaseOffers:
    number = case.number or case.pk
    return CaseOffers(
        case=case, name=f"{KIND_NAMES.get(case.kind, case.kind)} {number}", kind_name=KIND_NAMES.get(case.kind, case.kind),
        followup_label=FOLLOWUP_LINKS.get(case.kind, "登记随访与走访"),
        checkin=not checkin_refusal(user, case), followup=not followup_refusal(user, case),
        leave=not leave_refusal(user, case), sanction=not sanction_refusal(user, case),
    )  # fmt: skip


def panel(user: User, person, leave: list[LeaveRequest], sanctions: list[Sanction]) -> Panel:
    """The person page's supervision offers, from the cases, leave and sanctions the page already holds
    (each row gets ``can_cancel`` / ``can_return`` / ``can_remedy``); one query, for the open suggestions
    of the person's correction cases, and only for someone who may decide them."""
    cases = list(person.cases.all())  # prefetched by person_in_reach
    for row in leave:
        row.can_cancel = may_cancel(user, row)
        row.can_return = not return_refusal(user, row)
    for row in sanctions:
        row.can_remedy = may_remedy(user, row)
    offers = [o for o in (case_offers(user, case) for case in cases) if o.any]
    correction = [case.pk for case in cases if case.kind == CaseKind.CORRECTION]
    suggestions = []
    if correction and may(user, "sanction.decide"):
        suggestions = list(
            SanctionSuggestion.objects.visible_to(user, of=person)
            .filter(case_id__in=correction, state=SanctionSuggestion.State.OPEN)
            .exclude(kind=SanctionKind.LOCATION_ORDER)  # the county head's, on /console/approvals/
            .order_by("created_at", "id")[:20]
        )
    return Panel(offers, suggestions)
