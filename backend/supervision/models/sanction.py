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


class SanctionState(models.TextChoices):
    PROPOSED = "proposed", "待县级决定"
    DECIDED = "decided", "已决定"
    REFUSED = "refused", "不予批准"
    EXPIRED = "expired", "逾期未决定"


class SanctionQuerySet(OfficeCaseScopedQuerySet):
    def decided(self) -> SanctionQuerySet:
        """The ledger: steps in force.  The ladder, the person page and the printed file count only these
        (a proposal is not in force until the county decides it: actions/sanctions.py)."""
        return self.filter(state=SanctionState.DECIDED)


class Sanction(models.Model):
    """A step, with who decided and why.  ``remedied`` closes an admonition for the repeat rule.

    A kind the county decides (``rules().sanction_county_decides_*``), entered by a 司法所, is first a
    proposal (``state`` proposed, no decider yet) in the county's queue; the county's decision makes the
    same row decided (decider, date) — or refused, or expired.  One row and one id from proposal to decision
    keep the API one resource; every reader of the ledger asks ``decided()``.  Rows from before proposals
    existed are decided (the default)."""

    case = models.ForeignKey("people.Case", on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=24, choices=SanctionKind.choices)
    state = models.CharField(max_length=10, choices=SanctionState.choices, default=SanctionState.DECIDED)
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A proposal: who proposed it and when (its expiry runs from then); the decision's moment and note (the
    # refusal's reason, told to the proposer).
    proposed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = EncryptedTextField("决定意见（不予批准理由）", null=True, blank=True)
    reason = EncryptedTextField("事实与理由")
    basis = models.CharField(
        "依据", max_length=64, blank=True, default=""
    )  # rule code, e.g. "lost_contact_gt_10d"
    suggestion = models.ForeignKey(
        "supervision.SanctionSuggestion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    remedied = models.BooleanField("已改正", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_on", "id"]
        indexes = [
            # Used by the county's proposal queue and the expiry sweep (few rows: the proposals waiting).
            models.Index(fields=["proposed_at"], name="sanction_proposed", condition=Q(state="proposed")),
        ]

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
