"""Recording follow-ups (随访/走访/复评/总结/鉴定/接送/突发事件) and what each one moves in the calendar.

Who: mental-health kinds (随访, 体检, 突发事件, 应急处置记录) by health staff only (工作规范 2018; 个人信息保护法
Art. 28 — health data); every kind needs the right to manage the case (the policy's ``case.manage``).

Effects, in the follow-up's transaction: the next due item of a cycle is planned at once (a contact, a
follow-up, a risk review), a risk result goes into the case's dated risk history through people's
``record_mark``, a rise to ≥ ``mental_health_unstable_risk`` (3) plans an immediately due notice to the
police liaison and the care team (DueKind.MH_RISK_RAISED), an incident plans its 24-hour emergency record.
"""

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
from backend.core.rules import rules
from backend.people.actions.cases import record_mark
from backend.people.models import AftercareRisk, Case, CaseKind, MarkKind
from backend.people.models.case import OPEN_STATUSES
from backend.supervision import calendar
from backend.supervision.due import cancel, plan_for_case, plan_many
from backend.supervision.models import HEALTH_KINDS, DueItem, DueKind, DueState, FollowUp, FollowUpKind

K = FollowUpKind
TERM_END_DOCUMENTS = (K.SELF_SUMMARY, K.WRITTEN_ASSESSMENT)
CASE_KIND_OF = {
    K.MH_FOLLOWUP: CaseKind.MENTAL_HEALTH,
    K.MH_HEALTH_CHECK: CaseKind.MENTAL_HEALTH,
    K.EMERGENCY_RECORD: CaseKind.MENTAL_HEALTH,
    K.INCIDENT: CaseKind.MENTAL_HEALTH,
    K.AFTERCARE_CONTACT: CaseKind.AFTERCARE,
    K.AFTERCARE_RISK_REVIEW: CaseKind.AFTERCARE,
    K.AFTERCARE_PICKUP: CaseKind.AFTERCARE,
    K.CATEGORY_REVIEW: CaseKind.CORRECTION,
    K.SELF_SUMMARY: CaseKind.CORRECTION,
    K.WRITTEN_ASSESSMENT: CaseKind.CORRECTION,
}


def _validate(
    *, by: User, case: Case, kind: str, at: dt.datetime, risk_level, aftercare_risk: str, findings
) -> None:
    if kind not in K.values:
        raise Invalid("未知的记录类型", {"field": "kind", "allowed": K.values})
    require(by, "followup.record", kind)
    require(by, "case.manage", case)
    if case.kind != CASE_KIND_OF[kind]:
        raise Conflict(
            f"「{K(kind).label}」只适用于{CaseKind(CASE_KIND_OF[kind]).label}案件",
            {"kind": kind, "case_kind": case.kind},
        )
    if case.status not in OPEN_STATUSES:
        raise Conflict("案件已结束，不能再登记", {"status": case.status})
    if at > timezone.now():
        raise Invalid("时间不能晚于现在", {"field": "at"})
    if calendar.local_date(at) < case.opened_on:
        raise Invalid("时间不能早于立案日期", {"field": "at", "opened_on": case.opened_on.isoformat()})
    if kind == K.MH_FOLLOWUP:
        if not isinstance(risk_level, int) or isinstance(risk_level, bool) or not 0 <= risk_level <= 5:
            raise Invalid("随访须评估危险性等级（0–5）", {"field": "risk_level"})
    elif risk_level is not None:
        raise Invalid("只有精神障碍患者随访记录危险性等级", {"field": "risk_level"})
    if kind == K.AFTERCARE_RISK_REVIEW:
        if aftercare_risk not in AftercareRisk.values:
            raise Invalid("复评结果应为 high/medium/low", {"field": "aftercare_risk"})
    elif aftercare_risk:
        raise Invalid("只有帮教风险复评记录风险等级", {"field": "aftercare_risk"})
    if findings is not None and kind not in HEALTH_KINDS:
        raise Invalid("只有精神障碍类记录可以填写情况（findings），其他请写在备注中", {"field": "findings"})


def record_followup(
    *,
    by: User,
    case: Case,
    kind: str,
    at: dt.datetime,
    risk_level: int | None = None,
    aftercare_risk: str = "",
    findings: dict[str, Any] | None = None,
    note: str | None = None,
) -> FollowUp:
    """登记 one follow-up and move the calendar accordingly (see the module docstring)."""
    if timezone.is_naive(at):
        at = at.replace(tzinfo=calendar.SHANGHAI)
    _validate(
        by=by,
        case=case,
        kind=kind,
        at=at,
        risk_level=risk_level,
        aftercare_risk=aftercare_risk,
        findings=findings,
    )
    previous_risk = case.risk_level
    with transaction.atomic():
        followup = FollowUp.objects.create(
            case=case,
            kind=kind,
            at=at,
            by=by,
            risk_level=risk_level,
            aftercare_risk=aftercare_risk,
            findings=findings,
            note=note or None,
        )
        details: dict[str, Any] = {"case": case.pk, "kind": kind}
        if risk_level is not None:
            details["risk_level"] = risk_level
        record_audit(actor=by, action=AuditAction.FOLLOWUP_RECORD, target=followup, details=details)
        _effects(followup, case, by, previous_risk)
    return followup


def _effects(followup: FollowUp, case: Case, by: User, previous_risk: int | None) -> None:
    kind, on = followup.kind, calendar.local_date(followup.at)
    one = Case.objects.filter(pk=case.pk)
    if kind == K.MH_FOLLOWUP:
        level = followup.risk_level
        if level != previous_risk:
            record_mark(
                by=by,
                case=case,
                kind=MarkKind.RISK_LEVEL,
                value=str(level),
                effective_on=on,
                reason="随访评估",
            )
        unstable = rules().mental_health_unstable_risk
        if level >= unstable and (previous_risk is None or previous_risk < unstable):
            plan_many(
                [
                    plan_for_case(
                        case,
                        DueKind.MH_RISK_RAISED,
                        f"risk_raised:{followup.pk}",
                        timezone.now(),
                        followup=followup.pk,
                        level=level,
                        previous=previous_risk,
                    )
                ]
            )
        calendar.supersede(case.pk, DueKind.MH_FOLLOWUP, list(calendar.mh_followup_plans(one).values()))
    elif kind == K.AFTERCARE_CONTACT:
        calendar.supersede(case.pk, DueKind.AFTERCARE_CONTACT, list(calendar.contact_plans(one).values()))
    elif kind == K.AFTERCARE_RISK_REVIEW:
        if followup.aftercare_risk != case.aftercare_risk:
            record_mark(
                by=by,
                case=case,
                kind=MarkKind.AFTERCARE_RISK,
                value=followup.aftercare_risk,
                effective_on=on,
                reason="帮教风险复评",
            )
        reviews = [p for pair in calendar.risk_review_plans(one).values() for p in pair]
        calendar.supersede(case.pk, DueKind.AFTERCARE_RISK_REVIEW, reviews)
        # A new risk grade changes the contact cycle (monthly for high risk).
        calendar.supersede(case.pk, DueKind.AFTERCARE_CONTACT, list(calendar.contact_plans(one).values()))
    elif kind == K.INCIDENT:
        plan_many(calendar.emergency_plans(FollowUp.objects.filter(pk=followup.pk)).values())
    elif kind == K.MH_HEALTH_CHECK:
        cancel(DueKind.MH_HEALTH_CHECK, f"check:{case.pk}:{on.year}", "done")
    elif kind == K.AFTERCARE_PICKUP:
        _cancel_pending(case, DueKind.AFTERCARE_PICKUP, due_after=followup.at)
    elif kind in TERM_END_DOCUMENTS:
        recorded = FollowUp.objects.filter(case=case, kind__in=TERM_END_DOCUMENTS).values_list(
            "kind", flat=True
        )
        if set(recorded) == set(TERM_END_DOCUMENTS):
            _cancel_pending(case, DueKind.TERM_END_TASKS)
    elif kind == K.CATEGORY_REVIEW:
        # The review that was due has been held (its outcome, if any, is a category entry in people).
        horizon = followup.at + dt.timedelta(days=rules().calendar_plan_ahead_days)
        _cancel_pending(case, DueKind.CATEGORY_REVIEW, due_before=horizon)


def _cancel_pending(
    case: Case, kind: str, *, due_after: dt.datetime | None = None, due_before: dt.datetime | None = None
) -> int:
    items = DueItem.objects.filter(case=case, kind=kind, state=DueState.PENDING)
    if due_after is not None:
        items = items.filter(due_at__gt=due_after)
    if due_before is not None:
        items = items.filter(due_at__lte=due_before)
    return items.update(state=DueState.CANCELLED, done_at=timezone.now(), outcome="done")


# --- 规范管理 (yearly tracking) -------------------------------------------------------------------------


def compliance(*, by: User, case: Case, year: int) -> dict[str, Any]:
    """工作规范 2018 规范管理: ≥ ``mh_followups_per_year`` (4) follow-ups and ≥ ``mh_health_checks_per_year``
    (1) health check in the calendar year (Asia/Shanghai)."""
    require(by, "followup.read_compliance")
    if case.kind != CaseKind.MENTAL_HEALTH:
        raise Conflict("只有严重精神障碍案件有随访规范管理统计", {"case_kind": case.kind})
    r = rules()
    counts = calendar.yearly_counts([case.pk], year)[case.pk]
    followups, checks = counts[K.MH_FOLLOWUP], counts[K.MH_HEALTH_CHECK]
    return {
        "case_id": case.pk,
        "year": year,
        "followups": followups,
        "required_followups": r.mh_followups_per_year,
        "health_checks": checks,
        "required_health_checks": r.mh_health_checks_per_year,
        "compliant": followups >= r.mh_followups_per_year and checks >= r.mh_health_checks_per_year,
    }
