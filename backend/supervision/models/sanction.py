"""The sanctions ledger (考核奖惩) and the suggestions the rules make; a person always decides."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedTextField
from backend.supervision.models.scoping import OfficeCaseScopedQuerySet


class SanctionKind(models.TextChoices):
    PRAISE = "praise", "表扬"
    ADMONITION = "admonition", "训诫"
    WARNING = "warning", "警告"
    POLICE_PENALTY_REQUEST = "police_penalty_request", "提请治安管理处罚"
    REVOCATION_REQUEST = "revocation_request", "提请撤销缓刑/假释、收监执行"
    LOCATION_ORDER = "location_order", "提请使用电子定位装置"  # suggestions only


class Sanction(models.Model):
    """A decided step, with who decided and why.  ``remedied`` closes an admonition for the repeat rule."""

    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=24, choices=SanctionKind.choices)
    decided_on = models.DateField()
    decided_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField("事实与理由")
    basis = models.CharField(
        "依据", max_length=64, blank=True, default=""
    )  # rule code, e.g. "lost_contact_gt_10d"
    suggestion = models.ForeignKey(
        "supervision.SanctionSuggestion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    remedied = models.BooleanField("已改正", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OfficeCaseScopedQuerySet.as_manager()

    class Meta:
        ordering = ["decided_on", "id"]

    def __str__(self) -> str:
        return f"Sanction {self.pk} {self.kind}"


class SanctionSuggestion(models.Model):
    """What the rules propose (docs/supervision.md, "Sanctions"); the officer accepts (deciding) or
    dismisses."""

    class State(models.TextChoices):
        OPEN = "open", "待决定"
        ACCEPTED = "accepted", "已采纳"
        DISMISSED = "dismissed", "未采纳"

    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="sanction_suggestions")
    kind = models.CharField(max_length=24, choices=SanctionKind.choices)
    rule = models.CharField(max_length=64)  # which rule fired
    details = models.JSONField(default=dict)  # counts, days, the Art. 29 ground …
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = EncryptedTextField("决定说明（未采纳理由）", null=True, blank=True)

    objects = OfficeCaseScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "rule"], condition=Q(state="open"), name="one_open_suggestion"
            )
        ]

    def __str__(self) -> str:
        return f"Suggestion {self.pk} {self.kind}"
