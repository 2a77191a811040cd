"""The alert pipeline: ``raise_alert`` is the one way any part of the system reports a problem.

Lifecycle: open → acknowledged → resolved (a resolution code and a note are required).  An alert not
acknowledged by its due time escalates one jurisdiction level up (``escalate_due``), and again after the
same interval, up to ``rules().alert_max_escalation_levels``.  Every step writes an AlertEvent and the
audit row.  Concurrency: the one-unresolved-alert rule is a partial unique index; every state change is a
conditional UPDATE, so two officers (or two sweeps) acting at once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring import alert_events
from backend.monitoring.assignees import may_be_assigned
from backend.monitoring.models import (
    NEVER_AUTO_RESOLVED,
    SEVERITY_RANK,
    Alert,
    AlertEvent,
    AlertState,
    Device,
    LocationOrder,
    Resolution,
    Severity,
)
from backend.people.models import Case, CaseKind, Person


def due_delta(severity: str) -> dt.timedelta:
    r = rules()
    minutes = {
        Severity.CRITICAL: r.alert_due_minutes_critical,
        Severity.HIGH: r.alert_due_minutes_high,
        Severity.MEDIUM: r.alert_due_minutes_medium,
        Severity.LOW: r.alert_due_minutes_low,
    }[Severity(severity)]
    return dt.timedelta(minutes=minutes)


def _owner(person: Person | None, case: Case | None) -> User | None:
    if case is not None and case.officer_id:
        return case.officer
    if person is not None:
        open_case = person.cases.exclude(officer__isnull=True).order_by("-opened_on").first()
        return open_case.officer if open_case else None
    return None


def supervising_case(person: Person, on: dt.date) -> Case | None:
    """The open case ``person`` is supervised under for a location alert: the case of a location order in
    force on ``on``, else their correction case, else their latest open case (a phone check or a watch
    needs no order).  One query."""
    in_force = LocationOrder.objects.in_force(on).filter(case=OuterRef("pk"))
    is_correction = models.Case(models.When(kind=CaseKind.CORRECTION, then=1), default=0)
    return (
        Case.objects.open()
        .filter(person=person)
        .annotate(under_order=Exists(in_force), is_correction=is_correction)
        .select_related("officer")
        .order_by("-under_order", "-is_correction", "-opened_on", "-pk")
        .first()
    )


def raise_alert(
    *,
    kind: str,
    severity: str,
    person: Person | None = None,
    case: Case | None = None,
    device: Device | None = None,
    subject: str = "",
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    late: bool = False,
    route_to: Jurisdiction | None = None,
    level: int = 0,
    repeat_note: str = "",
) -> tuple[Alert, bool]:
    """Open an alert, or count a repeat of the one already unresolved.  Returns (alert, created).

    A new alert's subscribers (alert_events: notifications queues its deliveries) are called in the same
    transaction, so no alert is committed without what they write.  ``route_to``/``level`` open it
    already escalated (告警未能送达 goes to the level above the recipient who could not be reached).
    Every repeat counted leaves a timeline entry (AlertEvent ``repeated``) saying what happened:
    ``repeat_note``, or 再次发生 with the time and whether it came from late data.
    """
    if person is None and device is None:
        raise ValueError("an alert needs a person or a device")
    now = timezone.now()
    seen = at or now
    if case is None and person is not None:
        case = supervising_case(person, timezone.localdate(seen))
    jurisdiction = person.jurisdiction if person is not None else device.jurisdiction
    key = f"{person.pk if person else 'device:' + str(device.pk)}|{kind}|{subject}"
    for _ in range(3):  # the unresolved one may be resolved between our insert and our update: try again
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    kind=kind, severity=severity, person=person, case=case, device=device, subject=subject,
                    dedupe_key=key, jurisdiction=jurisdiction, owner=_owner(person, case), opened_at=now,
                    first_seen_at=seen, last_seen_at=seen, late=late, due_at=now + due_delta(severity),
                    details=details or {}, escalated_to=route_to, escalation_level=level if route_to else 0,
                )  # fmt: skip
                AlertEvent.objects.create(
                    alert=alert, kind=AlertEvent.Kind.OPENED, at=now, details={"late": late}
                )
                alert_events.step_reached(alert, alert.escalation_level)
                record_audit(actor=None, actor_label="system:alerts", action=AuditAction.ALERT_OPEN, target=alert,
                             details={"kind": kind, "severity": severity})  # fmt: skip
            return alert, True
        except IntegrityError:
            pass  # one is already unresolved for this person, kind and subject: count the repeat
        with transaction.atomic():
            alert = Alert.objects.unresolved().select_for_update().filter(dedupe_key=key).first()
            if alert is None:
                continue
            changes: dict[str, Any] = {"occurrences": F("occurrences") + 1}
            if seen > alert.last_seen_at:
                changes["last_seen_at"] = seen
            if SEVERITY_RANK[Severity(severity)] > SEVERITY_RANK[Severity(alert.severity)]:
                # A repeat that is worse (a breach that became suspected absconding) moves the due time up.
                changes.update(severity=severity, due_at=min(alert.due_at, now + due_delta(severity)))
                AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.SEVERITY_RAISED, at=now,
                                          details={"from": alert.severity, "to": severity})  # fmt: skip
            Alert.objects.filter(pk=alert.pk).update(**changes)
            if repeat_note or late or not _repeated_lately(alert, now):
                AlertEvent.objects.create(
                    alert=alert, kind=AlertEvent.Kind.REPEATED, at=now, note=repeat_note or _repeat_note(at, late),
                    details={"late": late, **({"fix_time": at.isoformat()} if at is not None else {})},
                )  # fmt: skip
        alert.refresh_from_db()
        return alert, False
    raise RuntimeError(f"could not open or update the alert {key!r}")


def _repeated_lately(alert: Alert, now: dt.datetime) -> bool:
    """A plain repeat already on the timeline within ``alert_repeat_entry_minutes`` (the count still rises)."""
    since = now - dt.timedelta(minutes=rules().alert_repeat_entry_minutes)
    return AlertEvent.objects.filter(alert=alert, kind=AlertEvent.Kind.REPEATED, at__gte=since).exists()


def local_time(moment: dt.datetime) -> str:
    """A moment as an officer reads it on a timeline: local (China) time, to the second."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _repeat_note(at: dt.datetime | None, late: bool) -> str:
    when = f"，时间 {local_time(at)}" if at is not None else ""
    return f"再次发生{when}{'（补传数据）' if late else ''}"


def acknowledge_alert(*, alert: Alert, by: User, note: str = "") -> Alert:
    """签收: the owner (or whoever acts) has seen it.  A second call is a no-op."""
    require(by, "alert.handle", alert)
    now = timezone.now()
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, state=AlertState.OPEN).update(
            state=AlertState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=by
        )
        if updated:
            AlertEvent.objects.create(
                alert=alert, kind=AlertEvent.Kind.ACKNOWLEDGED, at=now, actor=by, note=note or None
            )
            record_audit(actor=by, action=AuditAction.ALERT_ACKNOWLEDGE, target=alert)
    alert.refresh_from_db()
    if not updated and alert.state == AlertState.RESOLVED:
        raise Conflict("告警已办结，无需签收")
    return alert


def assign_alert(*, alert: Alert, by: User, assignee: User, note: str = "") -> Alert:
    """指派 to someone who may see the alert, open its person's file and see location data (assignees.py)."""
    require(by, "alert.handle", alert)
    if not may_be_assigned(alert, assignee):
        raise Invalid("指派对象无权查看该告警对象的档案或定位信息", {"field": "user_id"})
    if alert.state == AlertState.RESOLVED:
        raise Conflict("告警已办结，不能指派")
    now = timezone.now()
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk).exclude(state=AlertState.RESOLVED).update(assignee=assignee)
        AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.ASSIGNED, at=now, actor=by, note=note or None,
                                  details={"assignee": assignee.pk})  # fmt: skip
        record_audit(
            actor=by, action=AuditAction.ALERT_ASSIGN, target=alert, details={"assignee": assignee.pk}
        )
    alert.refresh_from_db()
    return alert


def resolve_alert(*, alert: Alert, by: User, resolution: str, note: str) -> Alert:
    """办结 with a resolution code and a note saying what was done; both are required."""
    require(by, "alert.handle", alert)
    if resolution not in Resolution.values or resolution == Resolution.CLEARED:
        raise Invalid(
            "请选择办结结论",
            {"field": "resolution", "allowed": [r for r in Resolution.values if r != "cleared"]},
        )
    if not note.strip():
        raise Invalid("请填写处置情况", {"field": "note"})
    return _resolve(alert, by=by, resolution=resolution, note=note)


def auto_resolve(*, alert: Alert, reason: str) -> Alert:
    """The system closes an alert whose cause went away (a breach that ended) — never a tamper, SOS,
    absconding or separation alert, which only a person may close."""
    if alert.kind in NEVER_AUTO_RESOLVED:
        raise Conflict("此类告警只能由工作人员办结", {"kind": alert.kind})
    return _resolve(alert, by=None, resolution=Resolution.CLEARED, note=reason)


def _resolve(alert: Alert, *, by: User | None, resolution: str, note: str) -> Alert:
    now = timezone.now()
    with transaction.atomic():
        updated = (
            Alert.objects.filter(pk=alert.pk)
            .exclude(state=AlertState.RESOLVED)
            .update(state=AlertState.RESOLVED, resolved_at=now, resolved_by=by, resolution=resolution)
        )
        if not updated:
            raise Conflict("告警已办结")
        alert.refresh_from_db()
        alert.resolution_note = note
        alert.save(update_fields=["resolution_note"])
        AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.RESOLVED, at=now, actor=by, note=note,
                                  details={"resolution": resolution})  # fmt: skip
        record_audit(actor=by, actor_label=None if by else "system:alerts", action=AuditAction.ALERT_RESOLVE, target=alert,
                     details={"resolution": resolution})  # fmt: skip
    return alert


def escalate_due(now: dt.datetime | None = None, *, limit: int = 1000) -> int:
    """Move every open alert past its due time one jurisdiction level up.  Returns how many moved.

    Each alert is claimed with a conditional UPDATE on its current level, so two sweeps running at
    once escalate it once.  The top of the tree (no parent) keeps its level and gets a new due time.
    """

    now = now or timezone.now()
    moved = 0
    due = list(
        Alert.objects.filter(state=AlertState.OPEN, due_at__lte=now).select_related(
            "jurisdiction", "escalated_to"
        )[:limit]
    )
    for alert in due:
        current = alert.escalated_to or alert.jurisdiction
        target = current.parent if current.parent_id else None
        at_top = target is None or alert.escalation_level >= rules().alert_max_escalation_levels
        with transaction.atomic():
            claimed = Alert.objects.filter(
                pk=alert.pk,
                state=AlertState.OPEN,
                escalation_level=alert.escalation_level,
                due_at=alert.due_at,
            ).update(
                escalation_level=alert.escalation_level + (0 if at_top else 1),
                escalated_to=current if at_top else target,
                due_at=now + due_delta(alert.severity),
            )
            if not claimed:
                continue
            level = alert.escalation_level + (0 if at_top else 1)
            AlertEvent.objects.create(
                alert=alert, kind=AlertEvent.Kind.ESCALATED, at=now,
                details={"level": level, "to": (current if at_top else target).pk, "at_top": at_top},
            )  # fmt: skip
            record_audit(actor=None, actor_label="system:escalation", action=AuditAction.ALERT_ESCALATE, target=alert,
                         details={"level": level})  # fmt: skip
            if not at_top:
                alert.escalation_level, alert.escalated_to = level, target
                alert_events.step_reached(alert, level)
            moved += 1
    return moved


def escalation_target(alert: Alert) -> Jurisdiction:
    return alert.escalated_to or alert.jurisdiction
