"""``transition_case``: the one place a case changes status.  Refusals are 409s that say why."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import User
from backend.core.policy import require
from backend.people.actions.cases import _mark, open_aftercare_case
from backend.people.models import (
    AftercareDetail,
    AftercareOrigin,
    Case,
    CaseKind,
    CaseStatus,
    CaseTransition,
    Category,
    CorrectionDetail,
    MarkKind,
    SubStatus,
)
from backend.people.transitions import REASON_LABELS, TRANSITIONS, Transition


def _label(status: str) -> str:
    return CaseStatus(status).label if status in CaseStatus.values else status


def _refuse_unless_allowed(case: Case, t: Transition) -> None:
    if case.status not in t.sources:
        raise Conflict(
            f"当前状态为「{_label(case.status)}」，不能执行「{t.label}」",
            {"status": case.status, "action": t.action, "allowed_from": list(t.sources)},
        )
    if t.sub_sources is not None and case.sub_status not in t.sub_sources:
        current = SubStatus(case.sub_status).label if case.sub_status else "无"
        raise Conflict(
            f"当前为「{current}」，不能执行「{t.label}」", {"sub_status": case.sub_status, "action": t.action}
        )


def _preconditions(case: Case, t: Transition, on: dt.date, extra: dict[str, Any]) -> None:
    """Rules beyond the table: dates, pending revocations, hand-over records."""
    if case.kind == CaseKind.CORRECTION:
        detail: CorrectionDetail = case.correction
        if t.action == "end_term" and on < detail.term_end:
            raise Conflict(
                f"矫正期至 {detail.term_end} 届满，尚未期满", {"term_end": detail.term_end.isoformat()}
            )
        if t.action == "release" and case.revocation_pending:
            # 实施办法 Art.53: never release while a revocation or committal is being decided.
            raise Conflict("撤销缓刑/假释或收监执行正在审批，不能解除矫正", {"revocation_pending": True})
        if t.action == "request_revocation" and case.revocation_pending:
            raise Conflict("已提请撤销/收监，正在审批中")
        if t.action == "reject_revocation" and not case.revocation_pending:
            raise Conflict("没有正在审批的撤销/收监提请")
        if t.action == "report" and on < detail.judgment_effective_on:
            raise Invalid("报到日期不能早于判决生效日期", {"field": "effective_on"})
    if case.kind == CaseKind.AFTERCARE:
        detail: AftercareDetail = case.aftercare
        if t.action == "hand_over" and detail.key_person and not extra.get("handover"):
            # 必接必送: a key releasee is met at the gate and escorted; the record says who, where, when.
            raise Conflict(
                "重点帮教对象须填写必接必送衔接记录（接收人、地点、公安登记情况）", {"field": "handover"}
            )
        if t.action == "end_period" and on < detail.period_end:
            raise Conflict(
                f"帮教期至 {detail.period_end} 届满，尚未期满", {"period_end": detail.period_end.isoformat()}
            )


def _effects(case: Case, t: Transition, on: dt.date, by: User, extra: dict[str, Any]) -> dict[str, Any]:
    """Changes that come with the transition, inside its transaction.  Returns audit details."""
    details: dict[str, Any] = {}
    if t.action == "report":
        CorrectionDetail.objects.filter(case=case).update(reported_on=on)
        # New subjects start 严管 (strict) for their first months (rules.correction_initial_strict_months).
        _mark(case=case, kind=MarkKind.CATEGORY, value=Category.STRICT, on=on, reason="入矫初期严管", by=by)
    elif t.action == "request_revocation":
        Case.objects.filter(pk=case.pk).update(revocation_pending=True)
    elif t.action in {"reject_revocation", "terminate"}:
        Case.objects.filter(pk=case.pk).update(revocation_pending=False)
    elif t.action == "hand_over":
        AftercareDetail.objects.filter(case=case).update(handed_over_on=on, handover=extra.get("handover"))
    if t.target in {CaseStatus.RELEASED, CaseStatus.TERMINATED, CaseStatus.ENDED, CaseStatus.CLOSED}:
        Case.objects.filter(pk=case.pk).update(closed_on=on, close_reason=extra.get("reason") or t.action)
    if t.action == "release":
        # 解除矫正 opens the aftercare (安置帮教) case, already handed over (社区矫正法 Art.45; 安置帮教 rules).
        aftercare = open_aftercare_case(
            by=by, person=case.person, origin=AftercareOrigin.CORRECTION_END, release_on=on, source_case=case,
            officer=case.officer,
        )  # fmt: skip
        details["aftercare_case"] = aftercare.pk
    return details


def transition_case(
    *,
    by: User,
    case: Case,
    action: str,
    effective_on: dt.date | None = None,
    reason: str = "",
    note: str | None = None,
    handover: dict[str, Any] | None = None,
) -> Case:
    require(by, "case.manage", case)
    t = TRANSITIONS.get((case.kind, action))
    if t is None:
        raise Conflict(
            f"{CaseKind(case.kind).label}案件没有「{action}」操作", {"action": action, "kind": case.kind}
        )
    on = effective_on or timezone.localdate()
    if on > timezone.localdate():
        raise Invalid("生效日期不能晚于今天", {"field": "effective_on"})
    if t.reasons and reason not in t.reasons:
        labels = "、".join(REASON_LABELS[r] for r in t.reasons)
        raise Invalid(f"「{t.label}」需要说明原因：{labels}", {"field": "reason", "allowed": list(t.reasons)})
    _refuse_unless_allowed(case, t)
    _preconditions(case, t, on, {"handover": handover})
    target = t.target or case.status
    sub_target = case.sub_status if t.sub_target is None else t.sub_target
    with transaction.atomic():
        # Conditional on the state we checked: two officers acting at once cannot both succeed.
        moved = Case.objects.filter(pk=case.pk, status=case.status, sub_status=case.sub_status).update(
            status=target, sub_status=sub_target
        )
        if not moved:
            raise Conflict("案件状态已被他人修改，请刷新后重试")
        CaseTransition.objects.create(
            case=case, action=t.action, from_status=case.status, to_status=target, from_sub_status=case.sub_status,
            to_sub_status=sub_target, reason=reason, note=note, effective_on=on, by=by,
        )  # fmt: skip
        details = _effects(case, t, on, by, {"reason": reason, "handover": handover})
        record_audit(
            actor=by, action=AuditAction(f"case.{t.action}"), target=case,
            details={"from": case.status, "to": target, "sub_from": case.sub_status, "sub_to": sub_target, "reason": reason, **details},
        )  # fmt: skip
    case.refresh_from_db()
    return case
