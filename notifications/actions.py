"""State changes of the notifications app; each writes its audit row (docs/architecture.md, "Rules every
capability follows": actions)."""

from __future__ import annotations

import logging
import re
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.models import Role, User
from backend.core.policy import require
from backend.monitoring.models import AlertKind, Severity
from notifications.channels.webhook import targets as webhook_targets
from notifications.models import ADDRESSED_CHANNELS, Channel, ContactPoint, InboxMessage, RoutingRule

logger = logging.getLogger("anbang.notifications")
MOBILE = re.compile(r"(?:\+86)?1[3-9]\d{9}")


def normalise_address(channel: str, address: str) -> str:
    address = address.strip()
    if channel == Channel.SMS:
        compact = re.sub(r"[\s-]", "", address)
        if not MOBILE.fullmatch(compact):
            raise Invalid("手机号格式不正确（11 位，1 开头）", {"field": "address"})
        return compact.removeprefix("+86")
    if channel == Channel.EMAIL:
        try:
            EmailValidator()(address)
        except ValidationError:
            raise Invalid("电子邮箱格式不正确", {"field": "address"}) from None
        return address
    try:
        URLValidator(schemes=["http", "https"])(address)
    except ValidationError:
        raise Invalid("Webhook 地址应为 http:// 或 https:// 开头的网址", {"field": "address"}) from None
    try:
        webhook_targets.check_url(address)
    except webhook_targets.BlockedTarget:
        logger.warning("拒绝 Webhook 地址：指向内网、本机或保留地址")
        raise Invalid(
            "Webhook 地址不能指向本机、内网、链路本地、组播或保留地址；如确需推送到内网系统，"
            "请管理员在 ANBANG_WEBHOOK_ALLOWED_NETWORKS 中登记该网段",
            {"field": "address", "reason": "blocked_address"},
        ) from None
    return address


def set_contact_point(
    *, by: User, user: User, channel: str, address: str, enabled: bool = True, rotate_secret: bool = False
) -> tuple[ContactPoint, str | None]:
    """Create or change a contact point.  Returns it and, for a new webhook or a rotated secret, the signing
    secret — shown this once; afterwards only the sender can read it."""
    require(by, "contact_point.manage", user)
    if channel not in ADDRESSED_CHANNELS:
        raise Invalid("渠道应为 sms、email 或 webhook", {"field": "channel"})
    address = normalise_address(channel, address)
    with transaction.atomic():
        point = ContactPoint.objects.filter(user=user, channel=channel).first()
        created = point is None
        point = point or ContactPoint(user=user, channel=channel)
        point.address, point.enabled = address, enabled
        new_secret = None
        if channel == Channel.WEBHOOK and (created or rotate_secret or not point.secret):
            new_secret = point.secret = secrets.token_urlsafe(32)
        point.save()
        record_audit(actor=by, action=AuditAction.CONTACT_POINT_SET, target=point,
                     details={"user": user.pk, "channel": channel, "created": created, "secret_rotated": bool(new_secret)})  # fmt: skip
    return point, new_secret


def remove_contact_point(*, by: User, user: User, channel: str) -> bool:
    require(by, "contact_point.manage", user)
    with transaction.atomic():
        deleted, _ = ContactPoint.objects.filter(user=user, channel=channel).delete()
        if deleted:
            record_audit(actor=by, action=AuditAction.CONTACT_POINT_REMOVE, target=("notifications.contactpoint", user.pk),
                         details={"user": user.pk, "channel": channel})  # fmt: skip
    return bool(deleted)


RULE_FIELDS = ("name", "kinds", "min_severity", "escalation_level", "role", "user", "channels", "enabled")


def _check_rule(by: User, rule: RoutingRule) -> None:
    require(by, "routing_rule.manage", rule)
    if bool(rule.role) == bool(rule.user_id):
        raise Invalid("请指定一个角色或一个用户（二选一）", {"field": "role"})
    if rule.role and rule.role not in Role.values:
        raise Invalid("角色不存在", {"field": "role", "allowed": Role.values})
    if unknown := sorted(set(rule.kinds) - set(AlertKind.values)):
        raise Invalid("告警类型不存在", {"field": "kinds", "unknown": unknown})
    if rule.min_severity not in Severity.values:
        raise Invalid("严重程度应为 low、medium、high 或 critical", {"field": "min_severity"})
    if not rule.channels or set(rule.channels) - set(Channel.values):
        raise Invalid("渠道应为 inbox、sms、email、webhook 中的一个或多个", {"field": "channels"})


def save_routing_rule(*, by: User, rule: RoutingRule) -> RoutingRule:
    _check_rule(by, rule)
    created = rule.pk is None
    with transaction.atomic():
        if created:
            rule.created_by = by
        rule.save()
        record_audit(actor=by, action=AuditAction.ROUTING_RULE_CREATE if created else AuditAction.ROUTING_RULE_UPDATE, target=rule,
                     details={"kinds": rule.kinds, "role": rule.role, "user": rule.user_id, "channels": rule.channels})  # fmt: skip
    return rule


def delete_routing_rule(*, by: User, rule: RoutingRule) -> None:
    _check_rule(by, rule)
    with transaction.atomic():
        record_audit(actor=by, action=AuditAction.ROUTING_RULE_DELETE, target=rule)
        rule.delete()


def mark_read(*, user: User, message_ids: list[int] | None = None) -> int:
    """Mark the user's inbox messages read (all when ``message_ids`` is None).  Returns how many changed."""
    unread = InboxMessage.objects.filter(recipient=user, read_at__isnull=True)
    if message_ids is not None:
        unread = unread.filter(pk__in=message_ids)
    return unread.update(read_at=timezone.now())
