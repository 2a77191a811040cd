from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedTextField
from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q
from backend.people.models.scope import OFFICE_ROLES, person_scope_q


class AlertKind(models.TextChoices):
    ZONE_EXIT = "zone_exit", "离开允许区域（越界）"
    ZONE_ENTRY = "zone_entry", "进入禁止区域"
    SIGNAL_LOST = "signal_lost", "定位信号中断"
    SOS = "sos", "紧急求助"
    TAMPER = "tamper", "设备拆除/防拆报警"
    POWER_CUT = "power_cut", "设备断电/关机"
    LOW_BATTERY = "low_battery", "设备电量低"
    SEPARATION = "separation", "疑似人机分离"
    ABSCONDING = "absconding", "疑似脱管"
    ORDER_ENDED_TAG = "order_ended_tag", "电子定位期限已满，须拆除设备"
    REGISTRATION_REFUSED = "registration_refused", "终端被重复注册（疑似冒用）"
    IMPLAUSIBLE_FIXES = "implausible_fixes", "定位反复异常跳变（疑似伪造定位或设备故障）"
    MISSED_INTAKE = "missed_intake", "逾期未报到（漏管）"
    MISSED_CHECKIN = "missed_checkin", "未按时签到或报告"
    CHECKIN_UNVERIFIED = "checkin_unverified", "手机签到位置不在允许区域"
    LEAVE_OVERDUE = "leave_overdue", "外出逾期未销假"
    FOLLOWUP_DUE = "followup_due", "随访逾期"
    NOTIFY_FAILED = "notify_failed", "告警未能送达"
    OTHER = "other", "其他"


# Alerts that must be closed by a person, never by the system (a self-clearing tamper alert preceded a
# murder in one programme: docs/monitoring.md, "Alerts").
NEVER_AUTO_RESOLVED = frozenset({AlertKind.TAMPER, AlertKind.SOS, AlertKind.ABSCONDING, AlertKind.SEPARATION})


class Severity(models.TextChoices):
    CRITICAL = "critical", "紧急"
    HIGH = "high", "高"
    MEDIUM = "medium", "中"
    LOW = "low", "低"


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class AlertState(models.TextChoices):
    OPEN = "open", "待处理"
    ACKNOWLEDGED = "acknowledged", "已签收"
    RESOLVED = "resolved", "已办结"


class Resolution(models.TextChoices):
    HANDLED = "handled", "已核实处置"
    FALSE_ALARM = "false_alarm", "误报"
    DEVICE_FAULT = "device_fault", "设备故障"
    AUTHORISED = "authorised", "经批准（如外出）"
    DUPLICATE = "duplicate", "重复告警"
    CLEARED = "cleared", "情况已消除（系统）"


class AlertQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        """Office staff see alerts in their jurisdiction subtree — which includes alerts escalated up to
        them; anyone else sees the alerts of the people they may see."""
        if of is not None:
            return person_scope_q(user, "person__", of)  # the alerts about a person in reach
        of_visible_person = person_scope_q(user, "person__")
        if user.has_role(*OFFICE_ROLES):
            return jurisdiction_subtree_q(user, "jurisdiction") | of_visible_person
        return of_visible_person

    def unresolved(self) -> AlertQuerySet:
        return self.exclude(state=AlertState.RESOLVED)


class Alert(models.Model):
    """Every problem the system finds, from any source, as one row with an owner and a due time (告警).

    At most one unresolved alert per (person, kind, subject): a repeat raises ``occurrences`` and
    ``last_seen_at`` instead of a new row, so an officer sees one item, not hundreds.
    """

    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    state = models.CharField(max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    case = models.ForeignKey(
        "people.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    device = models.ForeignKey(
        "monitoring.Device", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    # What the alert is about within its kind, e.g. "zone:12"; part of the one-open-alert rule.
    subject = models.CharField(max_length=64, blank=True, default="")
    dedupe_key = models.CharField(max_length=160)
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="alerts")
    owner = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="owned_alerts"
    )
    assignee = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_alerts"
    )
    opened_at = models.DateTimeField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    late = models.BooleanField(default=False)  # raised from late or back-filled data
    due_at = models.DateTimeField()
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_to = models.ForeignKey(
        "core.Jurisdiction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True, default="")
    resolution_note = EncryptedTextField(null=True, blank=True)
    details = models.JSONField(default=dict)  # ids, times, counts — never plaintext personal data

    objects = AlertQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(state="resolved"), name="alert_one_unresolved_per_subject"
            )
        ]
        indexes = [
            # Used by the escalation sweep: open alerts past their due time.
            models.Index(fields=["due_at"], name="alert_due", condition=Q(state="open")),
            # Used by the dashboard: my people's unresolved alerts, newest first.
            models.Index(fields=["jurisdiction", "state", "opened_at"], name="alert_by_jurisdiction"),
            models.Index(fields=["person", "state"], name="alert_by_person"),
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk} {self.kind}"


class AlertEvent(models.Model):
    """The history of one alert: opened, acknowledged, assigned, escalated, noted, resolved."""

    class Kind(models.TextChoices):
        OPENED = "opened", "生成"
        ACKNOWLEDGED = "acknowledged", "签收"
        ASSIGNED = "assigned", "指派"
        ESCALATED = "escalated", "升级"
        NOTE = "note", "备注"
        RESOLVED = "resolved", "办结"
        SEVERITY_RAISED = "severity_raised", "升级严重程度"
        REPEATED = "repeated", "再次发生"  # one per occurrence counted on the open alert

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = EncryptedTextField(null=True, blank=True)
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"AlertEvent {self.pk} {self.kind}"
