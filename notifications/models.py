"""The outbox (发送队列): who is told about which alert, over which channel, and how each attempt went.

One ``Delivery`` per (alert, recipient, channel, escalation step) — a unique constraint, so planning the
same step twice queues nothing new.  The sender claims due rows with a conditional UPDATE and a lease
(``claimed_by`` / ``lease_until``): a sender killed mid-send leaves a row whose lease runs out and which
another sender then retries under the same idempotency key.  Addresses are looked up at send time from
``ContactPoint`` (encrypted), never copied into the outbox.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedTextField
from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q
from backend.monitoring.models import Alert
from backend.supervision.models import DueItem


class Channel(models.TextChoices):
    INBOX = "inbox", "站内信"
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "Webhook"


ADDRESSED_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.WEBHOOK)  # need a contact point; inbox does not


class ContactPointQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        own = Q(user=user)
        return (own | jurisdiction_subtree_q(user, "user__jurisdiction")) if user.is_admin else own


class ContactPoint(models.Model):
    """Where one member of staff is reached on one channel (联系方式): a mobile, a mailbox or a webhook URL.

    ``address`` and the webhook's signing ``secret`` are encrypted at rest.
    """

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="contact_points")
    channel = models.CharField(max_length=8, choices=[(c.value, c.label) for c in ADDRESSED_CHANNELS])
    address = EncryptedTextField("地址")
    secret = EncryptedTextField("签名密钥", null=True, blank=True)  # webhook only
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "channel"], name="contact_point_per_channel")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.channel}"


class RoutingRuleQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        return jurisdiction_subtree_q(user, "jurisdiction")


class RoutingRule(models.Model):
    """Who else hears of an alert (通知规则), on top of the built-in routes (notifications/routing.py).

    A rule set on a jurisdiction applies to alerts whose current escalation target lies in its subtree.
    It matches by alert kind (empty = every kind), minimum severity and escalation level (null = any), and
    names either a role — the holders of that role at the target jurisdiction — or one user.
    """

    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.CASCADE, related_name="+")
    name = models.CharField("名称", max_length=100)
    kinds = models.JSONField(default=list, blank=True)
    min_severity = models.CharField(max_length=8, default="low")
    escalation_level = models.PositiveSmallIntegerField(null=True, blank=True)
    role = models.CharField(max_length=32, blank=True, default="")
    user = models.ForeignKey("core.User", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    channels = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoutingRuleQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    DUE = "due", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    SKIPPED = "skipped", "无需发送"


class DeliveryQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        """Your own deliveries, and the deliveries of alerts you may see."""
        visible_alerts = Alert.objects.visible_to(user).values("pk")
        visible_items = DueItem.objects.visible_to(user).values("pk")
        return Q(recipient=user) | Q(alert__in=visible_alerts) | Q(due_item__in=visible_items)


class Delivery(models.Model):
    """One message to one recipient over one channel for one escalation step of an alert, one digest, or
    one reminder of a due item (to staff, or by SMS to the supervised person)."""

    alert = models.ForeignKey(
        "monitoring.Alert", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    digest_on = models.DateField(null=True, blank=True)  # a daily digest of low alerts instead of one alert
    due_item = models.ForeignKey(
        "supervision.DueItem", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        "core.User", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    # A reminder to the supervised person: SMS to their first phone (people.PersonPhone, encrypted).
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    step = models.PositiveSmallIntegerField(default=0)  # the alert's escalation level when planned
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.DUE)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=32, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")  # codes and statuses, never content
    provider_id = models.CharField(max_length=100, blank=True, default="")
    link_used_at = models.DateTimeField(null=True, blank=True)  # the acknowledge link or SMS reply, once
    # SMS only: the code a recipient texts back to acknowledge ("回复 123456 签收"), where replies reach us.
    reply_code = models.CharField(max_length=8, blank=True, default="", db_index=True)
    details = models.JSONField(default=dict, blank=True)  # a digest's alert ids; a reminder's title and text

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient", "channel", "step"],
                condition=Q(alert__isnull=False),
                name="delivery_once_per_alert_step",
            ),
            models.UniqueConstraint(
                fields=["recipient", "channel", "digest_on"],
                condition=Q(digest_on__isnull=False),
                name="delivery_once_per_digest",
            ),
            models.UniqueConstraint(
                fields=["due_item", "recipient", "channel"],
                condition=Q(due_item__isnull=False, recipient__isnull=False),
                name="delivery_once_per_reminder",
            ),
            models.UniqueConstraint(
                fields=["due_item", "person", "channel"],
                condition=Q(due_item__isnull=False, person__isnull=False),
                name="delivery_once_per_person_reminder",
            ),
        ]
        indexes = [
            # Used by sendnotifications to find due deliveries cheaply.
            models.Index(fields=["next_attempt_at"], name="delivery_due", condition=Q(state="due")),
            # Used by sendnotifications to take back deliveries whose sender died mid-send.
            models.Index(fields=["lease_until"], name="delivery_stale", condition=Q(state="sending")),
            # Used by the failed-deliveries list (API) and the alert detail.
            models.Index(fields=["state", "finished_at"], name="delivery_by_state"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} {self.channel}"

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt of this delivery: providers that honour it send once."""
        return f"anbang-d{self.pk}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: its outcome and, on failure, why (a code or status, never content)."""

    class Outcome(models.TextChoices):
        SENT = "sent", "成功"
        TRANSIENT = "transient", "暂时失败，将重试"
        PERMANENT = "permanent", "永久失败"
        ABANDONED = "abandoned", "发送方中断（租约过期）"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    error = models.CharField(max_length=200, blank=True, default="")
    retry_at = models.DateTimeField(null=True, blank=True)
    sender = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["delivery", "number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_once"),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.delivery_id}#{self.number}"


class InboxMessage(models.Model):
    """A message in a member of staff's in-app inbox (站内信); made by the inbox channel, one per delivery."""

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="inbox_message")
    recipient = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="inbox")
    alert = models.ForeignKey(
        "monitoring.Alert", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = EncryptedTextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Used by the unread badge: my unread messages.
            models.Index(fields=["recipient", "read_at"], name="inbox_unread"),
        ]

    def __str__(self) -> str:
        return f"Inbox {self.pk}"
