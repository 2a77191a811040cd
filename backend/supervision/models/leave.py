"""Leave (外出申请), tiered approval by length (社区矫正法实施办法 Art. 27–29; docs/supervision.md "Leave")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import models

from backend.core.crypto.fields import EncryptedJSONField, EncryptedTextField
from backend.supervision.models.scoping import OfficeCaseScopedQuerySet

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in Asia/Shanghai (leave dates are local dates)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)


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
    # Undecided when it would start (actions/leave.py, expire_undecided_leave).
    EXPIRED = "expired", "逾期未审批"


class LeaveRequest(models.Model):
    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="leave_requests")
    starts_on = models.DateField("外出开始")
    ends_on = models.DateField("外出结束（须销假）")
    destination = EncryptedTextField("目的地")
    # Optional GeoJSON (or circle) of the destination: an inclusion zone for the leave's window.  A place the
    # person stays, like a home zone: encrypted.
    destination_geometry = EncryptedJSONField("目的地范围", null=True, blank=True)
    reason = EncryptedTextField("事由")
    frequent = models.BooleanField("经常性跨市县活动（一次审批六个月有效）", default=False)
    tier = models.CharField(max_length=10, choices=LeaveTier.choices)
    # Why this tier: "days" (length alone), "window" (> 30 days within 60 with earlier leave), "frequent".
    tier_basis = models.CharField(max_length=10, blank=True, default="")
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
    # The destination as a person zone, made on approval; zone_watch applies it only within the leave's window.
    destination_zone = models.OneToOneField(
        "monitoring.Zone", on_delete=models.SET_NULL, null=True, blank=True, related_name="leave_request"
    )
    return_recorded_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = OfficeCaseScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by zone evaluation (approved leave suspends inclusion zones) and the approval queue.
            models.Index(fields=["case", "state", "starts_on"], name="leave_by_case"),
            models.Index(fields=["state", "tier"], name="leave_queue"),
        ]

    def __str__(self) -> str:
        return f"Leave {self.pk}"

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def return_due_at(self) -> dt.datetime:
        """The person must have reported back (销假) by the end of ``ends_on``: the next day's midnight."""
        return day_start(self.ends_on + dt.timedelta(days=1))

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the leave in time; an early return (销假) ends it then."""
        start, end = day_start(self.starts_on), self.return_due_at
        if self.returned_at is not None:
            end = min(end, self.returned_at)
        return start, end
