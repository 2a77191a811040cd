"""One-time, expiring signed acknowledge links (签收链接) carried by every alert message.

The link names the delivery and is signed with the site's secret (Django's TimestampSigner, its own
salt); it acknowledges the alert as that delivery's recipient, once, within ANBANG_ACK_LINK_HOURS.
Opening it shows the alert and a button — link previewers in chat apps fetch URLs, so a GET changes
nothing; only the POST acknowledges.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.errors import Conflict, Invalid
from backend.monitoring.actions.alerts import acknowledge_alert
from backend.monitoring.models import Alert
from notifications.models import Delivery

SALT = "anbang.notifications.ack"


def ack_token(delivery: Delivery) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(delivery.pk))


def ack_link(delivery: Delivery) -> str:
    return f"{settings.PUBLIC_URL}/ack/{ack_token(delivery)}"


def delivery_for_token(token: str) -> Delivery:
    """The delivery a link names; Invalid for a forged, damaged or expired link."""
    try:
        pk = signing.TimestampSigner(salt=SALT).unsign(token, max_age=settings.ACK_LINK_HOURS * 3600)
    except signing.SignatureExpired:
        raise Invalid("签收链接已过期，请登录控制台签收", {"link": "expired"}) from None
    except signing.BadSignature:
        raise Invalid("签收链接无效", {"link": "invalid"}) from None
    delivery = Delivery.objects.select_related("alert", "recipient").filter(pk=int(pk)).first()
    if delivery is None or delivery.alert is None:
        raise Invalid("签收链接无效", {"link": "invalid"})
    return delivery


def acknowledge_via_link(token: str) -> Alert:
    """Acknowledge as the link's recipient; the link then stops working.  Audited as that user."""
    delivery = delivery_for_token(token)
    with transaction.atomic():
        used = Delivery.objects.filter(pk=delivery.pk, link_used_at__isnull=True).update(
            link_used_at=timezone.now()
        )
        if not used:
            raise Conflict("此签收链接已使用过", {"link": "used"})
        record_audit(
            actor=delivery.recipient, action="alert.acknowledge_link", target=delivery.alert,
            details={"delivery": delivery.pk, "channel": delivery.channel},
        )  # fmt: skip
        alert = acknowledge_alert(alert=delivery.alert, by=delivery.recipient, note="通过通知链接签收")
    return alert
