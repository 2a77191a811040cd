"""The sanctions ledger (考核奖惩) and the suggestion engine: the system suggests, a person decides.

Ladder (docs/supervision.md "Sanctions"; 社区矫正法实施办法 Arts. 32–35, 46–49; numbers from ``rules()``):
- lost contact (脱管) ≤ ``sanction_lost_contact_warning_days`` (10) days → 训诫, more → 警告, more than
  ``sanction_lost_contact_revocation_days`` (30) → 提请撤销;
- ``sanction_admonitions_to_warning`` (2) unremedied 训诫 since the last 警告 → 警告;
- ``sanction_warnings_to_revocation`` (2) 警告 since the last revocation request → 提请撤销;
- a decided 警告 for not reporting (a missed report or intake, or lost contact) meets ground 3 of
  社区矫正法 Art. 29 → an electronic-location suggestion carrying that ground.

Lost contact comes from the case's status history (people's ``report_lost_contact`` … ``found``
transitions, their ``effective_on`` dates): one episode from the transition into 脱管查找中 to the one out of
it, or to today while it lasts.  Each suggestion records what it was made from (the episode's transition,
the sanctions counted, the warning), so a dismissed one is not made again by the next hourly run.

Who decides (backend/supervision/sanction_tiers.py; 实施办法 Arts. 32, 35, 36, 46–49): a kind the county
agency decides (警告, 提请治安管理处罚, 提请撤销 by default), recorded by anyone but that county's officers, is a
**proposal** — in the county's queue, in force and counted by the ladder only once the county decides it
(``actions/sanction_proposals.py``: approve / refuse with a reason / expiry, each told to the proposer).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import User
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring.models import Ground, LocationOrder
from backend.people.actions.transitions import transition_case
from backend.people.models import Case, CaseKind, CaseTransition, SubStatus
from backend.people.models.case import OPEN_STATUSES
from backend.supervision.models import Sanction, SanctionKind, SanctionState, SanctionSuggestion
from backend.supervision.models.leave import SHANGHAI
from backend.supervision.sanction_tiers import proposes

logger = logging.getLogger("anbang.supervision")
K = SanctionKind
DECIDABLE = (K.PRAISE, K.ADMONITION, K.WARNING, K.POLICE_PENALTY_REQUEST, K.REVOCATION_REQUEST)

# Rule codes (also the ``basis`` of a sanction decided from the suggestion).
LOST_CONTACT_ADMONITION = "lost_contact_le_10d"
LOST_CONTACT_WARNING = "lost_contact_gt_10d"
LOST_CONTACT_REVOCATION = "lost_contact_gt_30d"
ADMONITIONS_TO_WARNING = "admonitions_unremedied"
WARNINGS_TO_REVOCATION = "warnings_repeated"
ART29_GROUND_3 = "art29_ground3"
# Bases that mean "did not report as required" (Art. 29 ground 3 once warned).
REPORT_BASES = ("missed_report", "missed_checkin", "missed_intake", "lost_contact")


def reports_failure(basis: str) -> bool:
    return any(basis == b or basis.startswith(f"{b}_") for b in REPORT_BASES)


# --- the ledger -------------------------------------------------------------------------------------


def record_sanction(
    *,
    by: User,
    case: Case,
    kind: str,
    reason: str,
    decided_on: dt.date | None = None,
    basis: str = "",
    suggestion: SanctionSuggestion | None = None,
) -> Sanction:
    """A step with who decided and why; the rules run again for the case right after.

    A kind the county decides, recorded by a 司法所 (or anyone but the case's county officers), is a
    proposal instead (``state`` proposed; ``decided_on`` is then the day the county decides, the one given
    is not used): nothing takes effect and the ladder does not count it until the county approves it."""
    require(by, "sanction.decide")
    if case.kind != CaseKind.CORRECTION:
        raise Invalid("考核奖惩只适用于社区矫正对象", {"field": "case_id"})
    if kind not in DECIDABLE:
        raise Invalid("奖惩种类无效", {"field": "kind", "allowed": list(DECIDABLE)})
    if not (reason or "").strip():
        raise Invalid("请填写事实与理由", {"field": "reason"})
    today = timezone.localdate()
    decided_on = decided_on or today
    if decided_on > today:
        raise Invalid("决定日期不能晚于今天", {"field": "decided_on"})
    if proposes(by, case, kind):
        return _propose(by=by, case=case, kind=kind, reason=reason, basis=basis, suggestion=suggestion)
    with transaction.atomic():
        sanction = Sanction.objects.create(
            case=case, kind=kind, reason=reason, decided_on=decided_on, decided_by=by, basis=basis or "",
            suggestion=suggestion,
        )  # fmt: skip
        record_audit(
            actor=by, action=AuditAction.SANCTION_CREATE, target=sanction,
            details={"case": case.pk, "kind": kind, "basis": basis, "suggestion": suggestion.pk if suggestion else None},
        )  # fmt: skip
        take_effect(by, case, sanction, today)
    return sanction


def _propose(
    *, by: User, case: Case, kind: str, reason: str, basis: str, suggestion: SanctionSuggestion | None
) -> Sanction:
    """提请: the proposal waits in the county's queue (``awaiting_q``); nothing takes effect yet."""
    with transaction.atomic():
        sanction = Sanction.objects.create(
            case=case, kind=kind, reason=reason, state=SanctionState.PROPOSED, proposed_by=by,
            proposed_at=timezone.now(), basis=basis or "", suggestion=suggestion,
        )  # fmt: skip
        record_audit(
            actor=by, action=AuditAction.SANCTION_PROPOSE, target=sanction,
            details={"case": case.pk, "kind": kind, "basis": basis, "suggestion": suggestion.pk if suggestion else None},
        )  # fmt: skip
    return sanction


def take_effect(by: User, case: Case, sanction: Sanction, today: dt.date) -> None:
    """What a decided step sets off, at its decision (directly, or the county's approval of a proposal)."""
    if sanction.kind == K.WARNING and reports_failure(sanction.basis):
        _suggest_location_order(case, sanction, today)
    if sanction.kind == K.REVOCATION_REQUEST and not case.revocation_pending:
        # 实施办法 Art. 46–49, 53: once revocation or committal is requested the case is pending it — it
        # cannot be released meanwhile — through the same transition the case page offers.
        transition_case(by=by, case=case, action="request_revocation", effective_on=sanction.decided_on,
                        note="考核奖惩：提请撤销/收监")  # fmt: skip
    suggest_for_case(case, today)


def remedy_sanction(*, by: User, sanction: Sanction) -> Sanction:
    """改正: an admonition the person has remedied no longer counts towards a warning."""
    require(by, "sanction.decide")
    if sanction.kind != K.ADMONITION:
        raise Invalid("只有训诫可以标记为已改正", {"field": "kind"})
    if sanction.state != SanctionState.DECIDED:
        raise Conflict("只有已决定的训诫可以标记为已改正", {"state": sanction.state})
    with transaction.atomic():
        if Sanction.objects.filter(pk=sanction.pk, remedied=False).update(remedied=True):
            record_audit(actor=by, action=AuditAction.SANCTION_REMEDY, target=sanction)
    sanction.refresh_from_db()
    return sanction


# --- suggestions: accept / dismiss ------------------------------------------------------------------


def _open(suggestion: SanctionSuggestion) -> None:
    if suggestion.state != SanctionSuggestion.State.OPEN:
        raise Conflict(
            f"该建议已「{SanctionSuggestion.State(suggestion.state).label}」", {"state": suggestion.state}
        )


def accept_suggestion(
    *, by: User, suggestion: SanctionSuggestion, reason: str, decided_on: dt.date | None = None
) -> tuple[SanctionSuggestion, Sanction | None]:
    """采纳: the officer decides the step — or, for a kind the county decides, proposes it (``record_sanction``).
    An electronic-location suggestion makes no ledger row: the order itself needs the county head's approval
    (POST /api/v1/location-orders)."""
    require(by, "sanction.decide")
    _open(suggestion)
    if not (reason or "").strip():
        raise Invalid("请填写事实与理由", {"field": "reason"})
    with transaction.atomic():
        moved = SanctionSuggestion.objects.filter(
            pk=suggestion.pk, state=SanctionSuggestion.State.OPEN
        ).update(state=SanctionSuggestion.State.ACCEPTED, decided_by=by, decided_at=timezone.now())
        if not moved:
            raise Conflict("该建议已被他人处理，请刷新后重试")
        record_audit(actor=by, action=AuditAction.SANCTION_SUGGESTION_ACCEPT, target=suggestion,
                     details={"kind": suggestion.kind, "rule": suggestion.rule})  # fmt: skip
        sanction = None
        if suggestion.kind != K.LOCATION_ORDER:
            sanction = record_sanction(
                by=by, case=suggestion.case, kind=suggestion.kind, reason=reason, decided_on=decided_on,
                basis=suggestion.rule, suggestion=suggestion,
            )  # fmt: skip
    suggestion.refresh_from_db()
    return suggestion, sanction


def dismiss_suggestion(*, by: User, suggestion: SanctionSuggestion, note: str) -> SanctionSuggestion:
    require(by, "sanction.decide")
    _open(suggestion)
    if not (note or "").strip():
        raise Invalid("不采纳须说明理由", {"field": "note"})
    with transaction.atomic():
        moved = SanctionSuggestion.objects.filter(
            pk=suggestion.pk, state=SanctionSuggestion.State.OPEN
        ).update(
            state=SanctionSuggestion.State.DISMISSED, decided_by=by, decided_at=timezone.now(), note=note
        )
        if not moved:
            raise Conflict("该建议已被他人处理，请刷新后重试")
        record_audit(actor=by, action=AuditAction.SANCTION_SUGGESTION_DISMISS, target=suggestion,
                     details={"kind": suggestion.kind, "rule": suggestion.rule})  # fmt: skip
    suggestion.refresh_from_db()
    return suggestion


# --- the engine -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    """One spell of 脱管: from the transition into it to the one out of it (None: still lost)."""

    start: CaseTransition
    end: CaseTransition | None

    def days(self, today: dt.date) -> int:
        return ((self.end.effective_on if self.end else today) - self.start.effective_on).days


def lost_contact_episodes(case: Case) -> list[Episode]:
    episodes: list[Episode] = []
    start = None
    lost = SubStatus.LOST_CONTACT
    for t in case.transitions.filter(Q(to_sub_status=lost) | Q(from_sub_status=lost)).order_by("at", "id"):
        if t.to_sub_status == lost and t.from_sub_status != lost:
            start = t
        elif t.from_sub_status == lost and t.to_sub_status != lost and start is not None:
            episodes.append(Episode(start, t))
            start = None
    if start is not None:
        episodes.append(Episode(start, None))
    return episodes


def _create(case: Case, kind: str, rule: str, details: dict[str, Any]) -> SanctionSuggestion | None:
    """One open suggestion per (case, kind, rule): a second one while the first waits is not made."""
    try:
        with transaction.atomic():
            suggestion = SanctionSuggestion.objects.create(case=case, kind=kind, rule=rule, details=details)
            record_audit(actor=None, actor_label="system:sanctions", action=AuditAction.SANCTION_SUGGEST, target=suggestion,
                         details={"case": case.pk, "kind": kind, "rule": rule})  # fmt: skip
        return suggestion
    except IntegrityError:
        return None


def _since(rows: list[Sanction], after: Sanction | None) -> list[Sanction]:
    if after is None:
        return rows
    return [s for s in rows if (s.decided_on, s.pk) > (after.decided_on, after.pk)]


def suggest_for_case(case: Case, today: dt.date) -> list[SanctionSuggestion]:
    """Apply the ladder to one correction case; returns the suggestions made now."""
    r = rules()
    made: list[SanctionSuggestion] = []
    previous = list(SanctionSuggestion.objects.filter(case=case))
    ledger = list(Sanction.objects.filter(case=case).decided().order_by("decided_on", "id"))  # not proposals

    def seen(rule: str, key: str, value: Any) -> bool:
        return any(s.rule == rule and s.details.get(key) == value for s in previous)

    def add(kind: str, rule: str, details: dict[str, Any]) -> None:
        suggestion = _create(case, kind, rule, details)
        if suggestion is not None:
            made.append(suggestion)
            previous.append(suggestion)

    for episode in lost_contact_episodes(case):
        days = episode.days(today)
        if days > r.sanction_lost_contact_revocation_days:
            kind, rule = K.REVOCATION_REQUEST, LOST_CONTACT_REVOCATION
        elif days > r.sanction_lost_contact_warning_days:
            kind, rule = K.WARNING, LOST_CONTACT_WARNING
        else:
            kind, rule = K.ADMONITION, LOST_CONTACT_ADMONITION
        if kind == K.REVOCATION_REQUEST and case.revocation_pending:
            continue
        since = episode.start.effective_on
        decided = any(s.kind == kind and s.basis == rule and s.decided_on >= since for s in ledger)
        if not decided and not seen(rule, "episode", episode.start.pk):
            add(kind, rule, {"episode": episode.start.pk, "lost_since": since.isoformat(), "days": days,
                             "ongoing": episode.end is None})  # fmt: skip

    warnings = [s for s in ledger if s.kind == K.WARNING]
    admonitions = [s for s in ledger if s.kind == K.ADMONITION and not s.remedied]
    counted = _since(admonitions, warnings[-1] if warnings else None)
    if len(counted) >= r.sanction_admonitions_to_warning:
        ids = [s.pk for s in counted]
        if not seen(ADMONITIONS_TO_WARNING, "sanctions", ids):
            add(K.WARNING, ADMONITIONS_TO_WARNING, {"sanctions": ids, "count": len(ids)})

    revocations = [s for s in ledger if s.kind == K.REVOCATION_REQUEST]
    counted = _since(warnings, revocations[-1] if revocations else None)
    if len(counted) >= r.sanction_warnings_to_revocation and not case.revocation_pending:
        ids = [s.pk for s in counted]
        if not seen(WARNINGS_TO_REVOCATION, "sanctions", ids):
            add(K.REVOCATION_REQUEST, WARNINGS_TO_REVOCATION, {"sanctions": ids, "count": len(ids)})
    return made


def _suggest_location_order(case: Case, warning: Sanction, today: dt.date) -> SanctionSuggestion | None:
    """社区矫正法 Art. 29 ground 3: refused to report and already warned → a tag may lawfully be ordered."""
    if LocationOrder.objects.filter(case=case).in_force(today).exists():
        return None
    return _create(case, K.LOCATION_ORDER, ART29_GROUND_3,
                   {"ground": Ground.REFUSED_AFTER_WARNING.value, "sanction": warning.pk, "basis": warning.basis})  # fmt: skip


def suggest_all(now: dt.datetime) -> int:
    """For the hourly planner: every open correction case with lost contact or enough admonitions/warnings."""
    today = timezone.localtime(now, SHANGHAI).date()
    lost = SubStatus.LOST_CONTACT
    open_cases = Case.objects.filter(kind=CaseKind.CORRECTION, status__in=OPEN_STATUSES)
    with_episodes = CaseTransition.objects.filter(Q(to_sub_status=lost) | Q(from_sub_status=lost)).values(
        "case_id"
    )
    with_ladder = Sanction.objects.decided().filter(kind__in=(K.ADMONITION, K.WARNING)).values("case_id")
    cases = open_cases.filter(Q(pk__in=with_episodes) | Q(pk__in=with_ladder))
    return sum(len(suggest_for_case(case, today)) for case in cases)
