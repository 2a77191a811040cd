"""Opening cases of the three kinds, their dated histories, placements and emergency records."""

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
from backend.people.models import (
    AftercareDetail,
    AftercareOrigin,
    AftercareRisk,
    Case,
    CaseKind,
    CaseMark,
    CaseStatus,
    Category,
    CorrectionDetail,
    Diagnosis,
    EmergencyRecord,
    MarkKind,
    MentalHealthDetail,
    Person,
    Placement,
    PlacementKind,
    SentenceType,
    Stability,
    Team,
)

NUMBER_PREFIX = {CaseKind.CORRECTION: "JZ", CaseKind.AFTERCARE: "BJ", CaseKind.MENTAL_HEALTH: "JS"}


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def _new_case(
    *, person: Person, kind: str, status: str, by: User, opened_on: dt.date, officer: User | None
) -> Case:
    if Case.objects.open().filter(person=person, kind=kind).exists():
        raise Conflict(f"该人员已有进行中的{CaseKind(kind).label}案件", {"kind": kind})
    case = Case.objects.create(
        person=person,
        kind=kind,
        status=status,
        jurisdiction=person.jurisdiction,
        opened_on=opened_on,
        officer=officer or by,
    )
    case.number = f"{NUMBER_PREFIX[kind]}{opened_on.year}{case.pk:06d}"
    Case.objects.filter(pk=case.pk).update(number=case.number)
    Team.objects.create(case=case)
    return case


def check_correction(
    *, by: User, sentence_type: str, judgment_effective_on: dt.date, term_start: dt.date, term_end: dt.date
) -> None:
    """What opening a correction case checks before the database (also the spreadsheet import's)."""
    require(by, "case.open", CaseKind.CORRECTION)
    if sentence_type not in SentenceType.values:
        raise Invalid("矫正类别应为 01 管制、02 缓刑、03 假释 或 04 暂予监外执行", {"field": "sentence_type"})
    if term_end <= term_start:
        raise Invalid("矫正终止日期必须晚于起始日期", {"field": "term_end"})
    if judgment_effective_on > timezone.localdate():
        raise Invalid("判决生效日期不能晚于今天", {"field": "judgment_effective_on"})


def correction_detail(
    *, case: Case, sentence_type: str, crime: str, court: str, judgment_effective_on: dt.date,
    term_start: dt.date, term_end: dt.date, judgment: dict[str, Any] | None = None,
    prohibition_orders: str | None = None,
) -> CorrectionDetail:  # fmt: skip
    """The unsaved detail row; the report (报到) is due ``correction_report_days`` after the judgment."""
    return CorrectionDetail(
        case=case,
        sentence_type=sentence_type,
        crime=crime,
        judgment=judgment or {},
        court=court,
        judgment_effective_on=judgment_effective_on,
        term_start=term_start,
        term_end=term_end,
        report_deadline=judgment_effective_on + dt.timedelta(days=rules().correction_report_days),
        prohibition_orders=prohibition_orders,
    )


def check_aftercare(*, by: User, origin: str, release_on: dt.date, release_notice_on: dt.date | None) -> None:
    require(by, "case.open", CaseKind.AFTERCARE)
    if origin not in AftercareOrigin.values:
        raise Invalid("来源应为 prison_release 或 correction_end", {"field": "origin"})
    if release_notice_on and release_notice_on > release_on:
        raise Invalid("释放通知日期不能晚于释放日期", {"field": "release_notice_on"})


def aftercare_status(origin: str) -> str:
    """Release from correction opens the file already handed over; a release notice opens it 待衔接."""
    return CaseStatus.ACTIVE if origin == AftercareOrigin.CORRECTION_END else CaseStatus.NOTIFIED


def aftercare_detail(
    *, case: Case, origin: str, release_on: dt.date, release_notice_on: dt.date | None = None,
    prison: str = "", key_person: bool = False, source_case: Case | None = None,
) -> AftercareDetail:  # fmt: skip
    """The unsaved detail row; the support period runs ``aftercare_period_years`` from release."""
    return AftercareDetail(
        case=case,
        origin=origin,
        source_case=source_case,
        prison=prison,
        release_notice_on=release_notice_on,
        release_on=release_on,
        period_end=add_years(release_on, rules().aftercare_period_years),
        key_person=key_person,
        handed_over_on=release_on if origin == AftercareOrigin.CORRECTION_END else None,
    )


def check_mental_health(*, by: User, diagnosis: str, risk_level: int) -> None:
    require(by, "case.open", CaseKind.MENTAL_HEALTH)
    if diagnosis not in Diagnosis.values:
        raise Invalid("诊断应为六类严重精神障碍之一", {"field": "diagnosis"})
    _check_risk_level(risk_level)


def open_correction_case(
    *,
    by: User,
    person: Person,
    sentence_type: str,
    crime: str,
    court: str,
    judgment_effective_on: dt.date,
    term_start: dt.date,
    term_end: dt.date,
    judgment: dict[str, Any] | None = None,
    prohibition_orders: str | None = None,
    officer: User | None = None,
) -> Case:
    """接收 a correction subject: the case waits for the report (报到) due effective date + 10 days."""
    check_correction(
        by=by, sentence_type=sentence_type, judgment_effective_on=judgment_effective_on,
        term_start=term_start, term_end=term_end,
    )  # fmt: skip
    with transaction.atomic():
        case = _new_case(
            person=person, kind=CaseKind.CORRECTION, status=CaseStatus.PENDING_REPORT, by=by,
            opened_on=judgment_effective_on, officer=officer,
        )  # fmt: skip
        correction_detail(
            case=case, sentence_type=sentence_type, crime=crime, judgment=judgment, court=court,
            judgment_effective_on=judgment_effective_on, term_start=term_start, term_end=term_end,
            prohibition_orders=prohibition_orders,
        ).save(force_insert=True)  # fmt: skip
        record_audit(
            actor=by,
            action=AuditAction.CASE_OPEN,
            target=case,
            details={"kind": case.kind, "sentence_type": sentence_type},
        )
    return case


def open_aftercare_case(
    *,
    by: User,
    person: Person,
    origin: str,
    release_on: dt.date,
    release_notice_on: dt.date | None = None,
    prison: str = "",
    key_person: bool = False,
    source_case: Case | None = None,
    officer: User | None = None,
) -> Case:
    """A release notice opens the file (待衔接); release from correction opens it already handed over."""
    check_aftercare(by=by, origin=origin, release_on=release_on, release_notice_on=release_notice_on)
    with transaction.atomic():
        case = _new_case(
            person=person, kind=CaseKind.AFTERCARE, status=aftercare_status(origin),
            by=by, opened_on=release_notice_on or release_on, officer=officer,
        )  # fmt: skip
        aftercare_detail(
            case=case, origin=origin, source_case=source_case, prison=prison,
            release_notice_on=release_notice_on, release_on=release_on, key_person=key_person,
        ).save(force_insert=True)  # fmt: skip
        record_audit(
            actor=by, action=AuditAction.CASE_OPEN, target=case, details={"kind": case.kind, "origin": origin}
        )
    return case


def stability_for(level: int) -> str:
    """0 stable; 1–2 basically stable; ≥ 3 unstable (工作规范 2018, risk assessment)."""
    if level >= rules().mental_health_unstable_risk:
        return Stability.UNSTABLE
    return Stability.STABLE if level == 0 else Stability.BASICALLY_STABLE


def open_mental_health_case(
    *,
    by: User,
    person: Person,
    diagnosis: str,
    risk_level: int,
    opened_on: dt.date,
    treatment: dict | None = None,
    medication: dict | None = None,
    officer: User | None = None,
) -> Case:
    check_mental_health(by=by, diagnosis=diagnosis, risk_level=risk_level)
    with transaction.atomic():
        case = _new_case(
            person=person,
            kind=CaseKind.MENTAL_HEALTH,
            status=CaseStatus.ACTIVE,
            by=by,
            opened_on=opened_on,
            officer=officer,
        )
        guardian = person.contacts.filter(is_guardian=True).first()
        MentalHealthDetail.objects.create(
            case=case, diagnosis=diagnosis, treatment=treatment, medication=medication, guardian=guardian
        )
        _mark(
            case=case, kind=MarkKind.RISK_LEVEL, value=str(risk_level), on=opened_on, reason="建档评估", by=by
        )
        record_audit(
            actor=by,
            action=AuditAction.CASE_OPEN,
            target=case,
            details={"kind": case.kind, "risk_level": risk_level},
        )
    return case


def _check_risk_level(level: int) -> None:
    if not isinstance(level, int) or not 0 <= level <= 5:
        raise Invalid("危险性评估等级应为 0–5", {"field": "risk_level"})


def _mark(*, case: Case, kind: str, value: str, on: dt.date, reason: str | None, by: User | None) -> CaseMark:
    mark = CaseMark.objects.create(case=case, kind=kind, value=value, effective_on=on, reason=reason, by=by)
    latest = case.marks.filter(kind=kind).order_by("-effective_on", "-id").first()
    if latest.pk == mark.pk:  # a back-dated entry fills history without changing the current value
        if kind == MarkKind.CATEGORY:
            Case.objects.filter(pk=case.pk).update(category=value)
        elif kind == MarkKind.AFTERCARE_RISK:
            Case.objects.filter(pk=case.pk).update(aftercare_risk=value)
        else:
            Case.objects.filter(pk=case.pk).update(risk_level=int(value))
            MentalHealthDetail.objects.filter(case=case).update(stability=stability_for(int(value)))
    case.refresh_from_db()
    return mark


MARK_RULES = {
    MarkKind.CATEGORY: (CaseKind.CORRECTION, Category.values, "管理类别应为 strict/normal/lenient"),
    MarkKind.AFTERCARE_RISK: (CaseKind.AFTERCARE, AftercareRisk.values, "帮教风险等级应为 high/medium/low"),
    MarkKind.RISK_LEVEL: (CaseKind.MENTAL_HEALTH, [str(n) for n in range(6)], "危险性评估等级应为 0–5"),
}


def record_mark(
    *, by: User, case: Case, kind: str, value: str, effective_on: dt.date, reason: str
) -> CaseMark:
    """Change the category (分类调整) or record a risk assessment; the reason is required and kept encrypted."""
    require(by, "case.manage", case)
    if kind not in MARK_RULES:
        raise Invalid("未知的记录类型", {"field": "kind"})
    case_kind, allowed, message = MARK_RULES[kind]
    if case.kind != case_kind:
        raise Conflict(f"{CaseKind(case.kind).label}案件没有「{MarkKind(kind).label}」")
    if str(value) not in allowed:
        raise Invalid(message, {"field": "value"})
    if not reason.strip():
        raise Invalid("请填写调整理由", {"field": "reason"})
    if effective_on > timezone.localdate():
        raise Invalid("生效日期不能晚于今天", {"field": "effective_on"})
    before = {MarkKind.CATEGORY: case.category, MarkKind.AFTERCARE_RISK: case.aftercare_risk}.get(
        kind, case.risk_level
    )
    with transaction.atomic():
        mark = _mark(case=case, kind=kind, value=str(value), on=effective_on, reason=reason, by=by)
        record_audit(
            actor=by,
            action=AuditAction(f"case.{kind}"),
            target=case,
            details={"from": before, "to": str(value)},
        )
    return mark


def add_placement(
    *, by: User, case: Case, kind: str, start_on: dt.date, end_on: dt.date | None, note: str | None
) -> Placement:
    require(by, "case.manage", case)
    if case.kind != CaseKind.AFTERCARE:
        raise Conflict("只有安置帮教案件有安置记录")
    if kind not in PlacementKind.values:
        raise Invalid("未知的安置方式", {"field": "kind"})
    if end_on and end_on < start_on:
        raise Invalid("结束日期不能早于开始日期", {"field": "end_on"})
    with transaction.atomic():
        placement = Placement.objects.create(
            case=case, kind=kind, start_on=start_on, end_on=end_on, note=note, by=by
        )
        record_audit(actor=by, action=AuditAction.CASE_PLACEMENT, target=case, details={"kind": kind})
    return placement


def add_emergency(*, by: User, case: Case, occurred_at: dt.datetime, description: str) -> EmergencyRecord:
    require(by, "case.manage", case)
    if case.kind != CaseKind.MENTAL_HEALTH:
        raise Conflict("只有严重精神障碍案件有应急处置记录")
    if occurred_at > timezone.now():
        raise Invalid("发生时间不能晚于现在", {"field": "occurred_at"})
    with transaction.atomic():
        record = EmergencyRecord.objects.create(
            case=case, occurred_at=occurred_at, description=description, by=by
        )
        late = timezone.now() - occurred_at > dt.timedelta(hours=24)
        record_audit(actor=by, action=AuditAction.CASE_EMERGENCY, target=case, details={"late": late})
    return record


EDITABLE_DETAILS = {
    CaseKind.CORRECTION: ("crime", "judgment", "court", "prohibition_orders", "term_end"),
    CaseKind.AFTERCARE: ("prison", "key_person", "release_notice_on"),
    CaseKind.MENTAL_HEALTH: ("diagnosis", "treatment", "medication"),
}
HEALTH_ONLY = {"diagnosis", "treatment", "medication"}


def update_case(
    *, by: User, case: Case, officer: User | None = None, details: dict[str, Any] | None = None
) -> Case:
    """Correct a case's particulars (e.g. a sentence reduction moves the term end).  Status changes go
    through ``transition_case``; health fields only by health staff, criminal details only by the office."""
    require(by, "case.manage", case)
    details = {k: v for k, v in (details or {}).items() if v is not None}
    unknown = sorted(set(details) - set(EDITABLE_DETAILS[CaseKind(case.kind)]))
    if unknown:
        raise Invalid("这些字段不能在此修改", {"fields": unknown})
    if HEALTH_ONLY & set(details):
        require(by, "case.edit_health_details")
    if case.kind == CaseKind.CORRECTION and details:
        require(by, "case.edit_criminal_details")
    if "diagnosis" in details and details["diagnosis"] not in Diagnosis.values:
        raise Invalid("诊断应为六类严重精神障碍之一", {"field": "diagnosis"})
    detail = getattr(
        case,
        {"correction": "correction", "aftercare": "aftercare", "mental_health": "mental_health"}[case.kind],
    )
    if "term_end" in details and details["term_end"] <= detail.term_start:
        raise Invalid("矫正终止日期必须晚于起始日期", {"field": "term_end"})
    with transaction.atomic():
        changed = []
        if officer is not None and officer.pk != case.officer_id:
            Case.objects.filter(pk=case.pk).update(officer=officer)
            changed.append("officer")
        for key, value in details.items():
            setattr(detail, key, value)
            changed.append(key)
        if details:
            detail.save()
        record_audit(actor=by, action=AuditAction.CASE_UPDATE, target=case, details={"fields": changed})
    case.refresh_from_db()
    return case
