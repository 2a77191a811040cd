"""Follow-ups and office tasks: mental-health follow-ups and checks (随访/体检), aftercare contacts
(帮教走访), risk reviews, term-end tasks, pick-ups (必接必送), incidents and their emergency records."""

from __future__ import annotations

from django.db import models

from backend.core.crypto.fields import EncryptedJSONField, EncryptedTextField
from backend.supervision.models.scoping import CaseScopedQuerySet


class FollowUpKind(models.TextChoices):
    MH_FOLLOWUP = "mh_followup", "精神障碍患者随访"
    MH_HEALTH_CHECK = "mh_health_check", "健康体检"
    AFTERCARE_CONTACT = "aftercare_contact", "帮教走访/联系"
    AFTERCARE_RISK_REVIEW = "aftercare_risk_review", "帮教风险复评"
    AFTERCARE_PICKUP = "aftercare_pickup", "接送（必接必送）"
    CATEGORY_REVIEW = "category_review", "管理类别评估"
    SELF_SUMMARY = "self_summary", "个人总结"
    WRITTEN_ASSESSMENT = "written_assessment", "书面鉴定"
    EMERGENCY_RECORD = "emergency_record", "应急处置记录"
    INCIDENT = "incident", "肇事肇祸/突发事件"


HEALTH_KINDS = (
    FollowUpKind.MH_FOLLOWUP,
    FollowUpKind.MH_HEALTH_CHECK,
    FollowUpKind.EMERGENCY_RECORD,
    FollowUpKind.INCIDENT,
)


class FollowUp(models.Model):
    """One thing done for a case: a follow-up, a contact, a review, a record.  ``findings`` (encrypted)
    holds the health detail of mental-health kinds and is shown to health roles only."""

    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=24, choices=FollowUpKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    risk_level = models.PositiveSmallIntegerField(
        null=True, blank=True
    )  # mental health 0–5 at this follow-up
    aftercare_risk = models.CharField(max_length=8, blank=True, default="")  # aftercare review result
    findings = EncryptedJSONField("情况", null=True, blank=True)
    note = EncryptedTextField("备注", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by the calendar (last follow-up of a kind) and the yearly 规范管理 count.
            models.Index(fields=["case", "kind", "at"], name="followup_by_case"),
        ]

    def __str__(self) -> str:
        return f"FollowUp {self.pk} {self.kind}"
