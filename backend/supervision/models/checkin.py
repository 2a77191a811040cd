"""Check-in plans (报告/签到计划) and check-ins (签到/报告记录).

A plan row is one duty of one case: "in person, once a week", "≥ 12 h education a month".  Defaults
come from the case's category (分类管理, docs/supervision.md "Check-ins"; ``backend/supervision/plans.py``);
an officer may override a duty for one person.  Windows are calendar weeks (Monday 00:00) or months in
Asia/Shanghai.
"""

from __future__ import annotations

from django.db import models

from backend.core.crypto.fields import EncryptedJSONField, EncryptedTextField
from backend.supervision.models.scoping import CaseScopedQuerySet


class CheckinKind(models.TextChoices):
    APP = "app", "手机签到（含定位）"
    PHONE = "phone", "电话报告"
    IN_PERSON = "in_person", "当面报到"
    WRITTEN = "written", "书面报告"
    EDUCATION = "education", "教育学习（小时）"
    COMMUNITY_SERVICE = "community_service", "社区服务（小时）"


HOUR_KINDS = (CheckinKind.EDUCATION, CheckinKind.COMMUNITY_SERVICE)


class Period(models.TextChoices):
    WEEK = "week", "每周"
    MONTH = "month", "每月"


class CheckinPlan(models.Model):
    """One duty of one case.  ``required`` counts check-ins per window, or hours for education/service."""

    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="checkin_plans")
    kind = models.CharField(max_length=20, choices=CheckinKind.choices)
    period = models.CharField(max_length=8, choices=Period.choices)
    required = models.PositiveSmallIntegerField(default=1)
    override = models.BooleanField(
        default=False
    )  # set by an officer for this person, not the category default
    active = models.BooleanField(default=True)
    # When this duty (in its current period) came into force.  The window it starts in is a grace window:
    # someone who reports on a Sunday evening has not missed that week's written report (plans.py).
    active_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="one_plan_per_duty")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}/{self.period}×{self.required}"


class CheckinQuerySet(CaseScopedQuerySet):
    def counting(self) -> CheckinQuerySet:
        """The check-ins that meet a duty: all but an app check-in confidently outside the permitted area
        (verified False); one not judged (None: no zone, or a fix straddling a boundary) still counts."""
        return self.exclude(verified=False)


class Checkin(models.Model):
    """One check-in or report.  App check-ins carry a location, verified against the inclusion zones."""

    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="checkins")
    kind = models.CharField(max_length=20, choices=CheckinKind.choices)
    at = models.DateTimeField()
    hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.ForeignKey(
        "monitoring.Device", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    point = EncryptedJSONField("位置", null=True, blank=True)  # {"lat", "lon", "accuracy_m"}
    # App check-ins: inside every inclusion zone that applies at that moment (None: not judged, no zone).
    verified = models.BooleanField(null=True)
    note = EncryptedTextField("备注", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CheckinQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by the window-end check: a case's check-ins of a kind within a window.
            models.Index(fields=["case", "kind", "at"], name="checkin_by_case"),
        ]

    def __str__(self) -> str:
        return f"Checkin {self.pk} {self.kind}"
