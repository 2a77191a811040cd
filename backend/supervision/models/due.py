"""Due items (到期事项): every deadline the office or a person must meet, as a row with a due time.

The scheduler never keeps a deadline only in memory: ``runscheduler`` sweeps rows whose ``due_at`` has
passed, claims each batch with a conditional UPDATE (state pending → claimed, with a lease), hands it to
the handler registered for its kind, and marks each item done in the same transaction as its effect (the
alert raised, the reminder queued) — so a crash neither loses nor repeats one.  (kind, subject) is unique:
planning the same deadline twice makes one row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q


class DueKind(models.TextChoices):
    CHECKIN_OPENS = "checkin_opens", "签到窗口开启提醒"
    CHECKIN_CLOSING = "checkin_closing", "签到窗口即将关闭提醒"
    CHECKIN_WINDOW_END = "checkin_window_end", "签到窗口结束检查"
    INTAKE_DEADLINE = "intake_deadline", "报到期限"
    LEAVE_RETURN = "leave_return", "外出到期销假"
    CATEGORY_REVIEW = "category_review", "管理类别评估"
    TERM_END_TASKS = "term_end_tasks", "期满前总结与鉴定"
    RELEASE_DUE = "release_due", "矫正期满解除"
    ORDER_EXPIRY_NOTICE = "order_expiry_notice", "电子定位即将到期"
    ORDER_EXPIRED = "order_expired", "电子定位到期"
    AFTERCARE_PICKUP = "aftercare_pickup", "必接必送"
    AFTERCARE_CONTACT = "aftercare_contact", "帮教走访"
    AFTERCARE_RISK_REVIEW = "aftercare_risk_review", "帮教风险复评"
    AFTERCARE_PERIOD_END = "aftercare_period_end", "帮教期满"
    MH_FOLLOWUP = "mh_followup", "精神障碍患者随访"
    MH_HEALTH_CHECK = "mh_health_check", "年度健康体检"
    MH_EMERGENCY_RECORD = "mh_emergency_record", "应急处置记录"
    MH_RISK_RAISED = "mh_risk_raised", "患者危险性等级升高通报"  # immediately due: police liaison + care team


class DueState(models.TextChoices):
    PENDING = "pending", "待处理"
    CLAIMED = "claimed", "处理中"
    DONE = "done", "已处理"
    CANCELLED = "cancelled", "已取消"


class DueItemQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        return jurisdiction_subtree_q(user, "jurisdiction")


class DueItem(models.Model):
    kind = models.CharField(max_length=24, choices=DueKind.choices)
    # What it is about, unique per kind: "plan:12:2026-W49", "case:7", "leave:3" …
    subject = models.CharField(max_length=80)
    case = models.ForeignKey(
        "people.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="due_items"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=DueState.choices, default=DueState.PENDING)
    claimed_by = models.CharField(max_length=32, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=64, blank=True, default="")  # "alert:12", "reminded", "ok" …
    details = models.JSONField(default=dict, blank=True)  # ids and dates, never personal data
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DueItemQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "subject"], name="due_item_once")]
        indexes = [
            # Used by the sweep: pending items whose time has come, oldest first.
            models.Index(fields=["due_at"], name="due_pending", condition=Q(state="pending")),
            # Used by the sweep to take back items whose scheduler died mid-batch.
            models.Index(fields=["lease_until"], name="due_stale", condition=Q(state="claimed")),
            # Used by /api/v1/due-items and the case calendar.
            models.Index(fields=["case", "due_at"], name="due_by_case"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.subject}"
