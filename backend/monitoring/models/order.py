from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q

from backend.core.crypto.fields import EncryptedTextField
from backend.core.scoping import ScopedQuerySet
from backend.people.models.scope import OFFICE_ROLES, person_scope_q


class Ground(models.TextChoices):
    """The five lawful grounds for a wearable tag (社区矫正法 Art. 29)."""

    PROHIBITION_BREACH = "1", "违反人民法院禁止令"
    LEFT_WITHOUT_APPROVAL = "2", "无正当理由，未经批准离开所居住的市、县"
    REFUSED_AFTER_WARNING = "3", "拒不按照规定报告自己的活动情况，被给予警告"
    POLICE_PENALTY = "4", "违反监督管理规定，被给予治安管理处罚"
    REVOCATION_PENDING = "5", "拟提请撤销缓刑、假释或者暂予监外执行收监执行"


class Decision(models.TextChoices):
    """Where an order or a renewal stands (审批状态): proposed by the officer, then decided by a county head in
    the system — the approval is given, not recorded (Art. 29: 经县级司法行政部门负责人批准)."""

    PROPOSED = "proposed", "待批准"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "不予批准"
    EXPIRED = "expired", "逾期未批"
    WITHDRAWN = "withdrawn", "已撤回"


OPEN_DECISIONS = (Decision.PROPOSED, Decision.APPROVED)  # a person has at most one such order at a time


class LocationOrderQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        if not user.has_role(*OFFICE_ROLES):
            return Q(pk__in=[])  # location data is for the correction office only (Art. 29)
        return person_scope_q(user, "person__", of)

    def in_force(self, on: dt.date) -> LocationOrderQuerySet:
        return self.filter(in_force_q(on))

    def approved(self) -> LocationOrderQuerySet:
        return self.filter(decision=Decision.APPROVED)

    def proposed(self) -> LocationOrderQuerySet:
        return self.filter(decision=Decision.PROPOSED)


def in_force_q(on: dt.date, prefix: str = "") -> Q:
    """Orders in force on ``on`` (社区矫正法 Art. 29: location data only while an order runs): approved by the
    county head in the system (a proposal, a refusal or an expired proposal allows nothing), from
    ``starts_on`` through ``ends_on``, and before ``ended_early_on`` — the day an early release takes effect
    is the first day without an order.  The SQL twin of ``LocationOrder.in_force_on`` and ``last_day``."""
    return (
        Q(**{f"{prefix}decision": Decision.APPROVED})
        & Q(**{f"{prefix}starts_on__lte": on, f"{prefix}ends_on__gte": on})
        & (Q(**{f"{prefix}ended_early_on__isnull": True}) | Q(**{f"{prefix}ended_early_on__gt": on}))
    )


def in_force_during_q(first: dt.date, last: dt.date) -> Q:
    """Orders in force on at least one day from ``first`` through ``last``: the same rule as ``in_force_q``
    (approved only; the early-release day is the first day without an order), over a period instead of a day."""
    return Q(decision=Decision.APPROVED, starts_on__lte=last, ends_on__gte=first) & (
        Q(ended_early_on__isnull=True) | Q(ended_early_on__gt=first) & Q(ended_early_on__gt=F("starts_on"))
    )


class LocationOrder(models.Model):
    """电子定位决定: the decision that lets a correction subject be made to wear a tag, for ≤ 3 months.

    Proposed (提请) by an office officer, in force only once a county head over the person's jurisdiction
    approves it in the system (``decision``); refused with a reason, withdrawn by its proposer, or expired
    when nobody decided by its start date (docs/monitoring.md, "Location orders")."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="location_orders")
    case = models.ForeignKey("people.Case", on_delete=models.PROTECT, related_name="location_orders")
    ground = models.CharField("适用情形", max_length=1, choices=Ground.choices)
    facts = EncryptedTextField("事实与理由")
    # Safe by default: a row made any other way than by approve_order allows no location data.
    decision = models.CharField(
        "审批状态", max_length=10, choices=Decision.choices, default=Decision.PROPOSED
    )
    proposed_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_on = models.DateField("批准日期", null=True, blank=True)
    decision_reason = EncryptedTextField("审批意见（不予批准的理由）", null=True, blank=True)
    starts_on = models.DateField("起始日期")
    # Moves with each renewal; the original term is in the first renewal's previous_end or starts_on + term.
    ends_on = models.DateField("届满日期", db_index=True)
    notice_signed_on = models.DateField("告知书签收日期")
    procuratorate_copy_sent_on = models.DateField("抄送检察院日期", null=True, blank=True)
    ended_early_on = models.DateField("提前解除日期", null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True, default="")

    objects = LocationOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [
            # Used by the county head's approvals queue and the sweep that expires undecided proposals.
            models.Index(fields=["starts_on"], name="order_proposed", condition=Q(decision="proposed")),
        ]

    def __str__(self) -> str:
        return f"LocationOrder {self.pk}"

    @property
    def last_day(self) -> dt.date:
        """The last day the order allows location data (Art. 29; the rule is ``in_force_q``): its end, or
        the day before an early release takes effect; an order not approved allows none (the day before it
        would start)."""
        if self.decision != Decision.APPROVED:
            return self.starts_on - dt.timedelta(days=1)
        if self.ended_early_on is None:
            return self.ends_on
        return min(self.ends_on, self.ended_early_on - dt.timedelta(days=1))

    def in_force_on(self, on: dt.date) -> bool:
        return self.starts_on <= on <= self.last_day

    def status(self, on: dt.date) -> str:
        """active / pending (approved, not begun) / ended — or, undecided or not approved, the decision."""
        if self.decision != Decision.APPROVED:
            return self.decision
        if on > self.last_day or self.last_day < self.starts_on:  # over, or lifted before it began
            return "ended"
        return "pending" if on < self.starts_on else "active"


class LocationOrderRenewal(models.Model):
    """延长: each renewal ≤ 3 months, only after a re-assessment (复查评估); proposed by an officer like the
    order, and the order's end moves only when a county head approves it."""

    order = models.ForeignKey(LocationOrder, on_delete=models.CASCADE, related_name="renewals")
    previous_end = models.DateField()
    new_end = models.DateField()
    reassessment = EncryptedTextField("复查评估意见")
    decision = models.CharField(
        "审批状态", max_length=10, choices=Decision.choices, default=Decision.PROPOSED
    )
    proposed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_on = models.DateField(null=True, blank=True)
    decision_reason = EncryptedTextField("审批意见（不予批准的理由）", null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One renewal waiting for a decision per order: a second would race the first for the same end.
            models.UniqueConstraint(
                fields=["order"], condition=Q(decision="proposed"), name="one_open_renewal"
            ),
        ]

    def __str__(self) -> str:
        return f"LocationOrderRenewal {self.pk}"

    @property
    def starts_on(self) -> dt.date:
        """The first day the renewal adds: undecided by then, it expires like an order's proposal."""
        return self.previous_end + dt.timedelta(days=1)
