"""Leave (外出申请), tiered approval by length (社区矫正法实施办法 Art. 27–29; domain.md "Leave")."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedTextField
from backend.core.scoping import ScopedQuerySet


class LeaveTier(models.TextChoices):
    TOWNSHIP = "township", "司法所审批（7 日以内）"
    COUNTY = "county", "县级社区矫正机构审批（8–30 日）"
    ABOVE = "above", "上一级审批（超过 30 日，报检察院）"


class LeaveState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予批准"
    CANCELLED = "cancelled", "已撤回"
    RETURNED = "returned", "已销假"


class LeaveQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        from backend.people.models import Case

        return Q(case__in=Case.objects.visible_to(user).values("pk"))


class LeaveRequest(models.Model):
    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="leave_requests")
    starts_on = models.DateField("外出开始")
    ends_on = models.DateField("外出结束（须销假）")
    destination = EncryptedTextField("目的地")
    # Optional GeoJSON (or circle) of the destination: an inclusion zone for the leave's window.
    destination_geometry = models.JSONField(null=True, blank=True)
    reason = EncryptedTextField("事由")
    frequent = models.BooleanField("经常性跨市县活动（一次审批六个月有效）", default=False)
    tier = models.CharField(max_length=10, choices=LeaveTier.choices)
    state = models.CharField(max_length=10, choices=LeaveState.choices, default=LeaveState.PENDING)
    applied_on = models.DateField()
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = EncryptedTextField("审批意见", null=True, blank=True)
    # > 30 days, or > 30 days within two months: the procuratorate is notified (a record of when).
    procuratorate_notified_on = models.DateField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_recorded_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = LeaveQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by zone evaluation (approved leave suspends inclusion zones) and the approval queue.
            models.Index(fields=["case", "state", "starts_on"], name="leave_by_case"),
            models.Index(fields=["state", "tier"], name="leave_queue"),
        ]

    def __str__(self) -> str:
        return f"Leave {self.pk}"
