from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedTextField
from backend.core.scoping import ScopedQuerySet


class Ground(models.TextChoices):
    """The five lawful grounds for a wearable tag (社区矫正法 Art. 29)."""

    PROHIBITION_BREACH = "1", "违反人民法院禁止令"
    LEFT_WITHOUT_APPROVAL = "2", "无正当理由，未经批准离开所居住的市、县"
    REFUSED_AFTER_WARNING = "3", "拒不按照规定报告自己的活动情况，被给予警告"
    POLICE_PENALTY = "4", "违反监督管理规定，被给予治安管理处罚"
    REVOCATION_PENDING = "5", "拟提请撤销缓刑、假释或者暂予监外执行收监执行"


class LocationOrderQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        from backend.people.models.person import OFFICE_ROLES, person_scope_q

        if not user.has_role(*OFFICE_ROLES):
            return Q(pk__in=[])  # location data is for the correction office only (Art. 29)
        return person_scope_q(user, "person__", of)

    def in_force(self, on: dt.date) -> LocationOrderQuerySet:
        return self.filter(starts_on__lte=on, ends_on__gte=on, ended_early_on__isnull=True)


class LocationOrder(models.Model):
    """电子定位决定: the decision that lets a correction subject be made to wear a tag, for ≤ 3 months."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="location_orders")
    case = models.ForeignKey("people.Case", on_delete=models.PROTECT, related_name="location_orders")
    ground = models.CharField("适用情形", max_length=1, choices=Ground.choices)
    facts = EncryptedTextField("事实与理由")
    approved_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField("批准日期")
    starts_on = models.DateField("起始日期")
    # Moves with each renewal; the original term is in the first renewal's previous_end or starts_on + term.
    ends_on = models.DateField("届满日期", db_index=True)
    notice_signed_on = models.DateField("告知书签收日期")
    procuratorate_copy_sent_on = models.DateField("抄送检察院日期", null=True, blank=True)
    ended_early_on = models.DateField("提前解除日期", null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LocationOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"LocationOrder {self.pk}"

    def status(self, on: dt.date) -> str:
        if self.ended_early_on is not None:
            return "ended"
        if on < self.starts_on:
            return "pending"
        return "active" if on <= self.ends_on else "ended"


class LocationOrderRenewal(models.Model):
    """延长: each renewal ≤ 3 months, only after a re-assessment (复查评估)."""

    order = models.ForeignKey(LocationOrder, on_delete=models.CASCADE, related_name="renewals")
    previous_end = models.DateField()
    new_end = models.DateField()
    reassessment = EncryptedTextField("复查评估意见")
    approved_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"LocationOrderRenewal {self.pk}"
