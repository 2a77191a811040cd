"""One-time, expiring signed acknowledge links (签收链接) carried by every alert message.

The link names the delivery and is signed with the site's secret (Django's TimestampSigner, its own
salt); it acknowledges the alert as that delivery's recipient, once, within ANBANG_ACK_LINK_HOURS.
Where the SMS gateway passes replies on, texting the SMS's six-digit code back from the recipient's own
number does the same.
Opening it shows the alert and a button — link previewers in chat apps fetch URLs, so a GET changes
nothing; only the POST acknowledges.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.monitoring.actions.alerts import acknowledge_alert
from backend.monitoring.models import Alert
from notifications.models import ContactPoint, Delivery

SALT = "anbang.notifications.ack"


def ack_token(delivery: Delivery) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(delivery.pk))


def ack_link(delivery: Delivery) -> str:
    # In the query string, which the access log leaves out (%(U)s): the token is a credential for one act.
    return f"{settings.PUBLIC_URL}/ack/?t={ack_token(delivery)}"


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
    return _acknowledge(delivery_for_token(token), via="link")


def acknowledge_via_reply(sender_mobile: str, text: str) -> Alert:
    """An SMS reply carrying a delivery's code, from that delivery's recipient's own number (上行签收)."""
    code = "".join(ch for ch in text if ch.isdigit())
    since = timezone.now() - dt.timedelta(hours=settings.ACK_LINK_HOURS)
    mobile = sender_mobile.strip().removeprefix("+86")
    if len(code) == 6:
        for delivery in Delivery.objects.filter(channel="sms", reply_code=code, created_at__gte=since,
                                                alert__isnull=False).select_related("alert", "recipient"):  # fmt: skip
            point = ContactPoint.objects.filter(user_id=delivery.recipient_id, channel="sms").first()
            if point is not None and point.address == mobile:
                return _acknowledge(delivery, via="sms_reply")
    raise Invalid("回复码无效或已过期", {"reply": "invalid"})


def _acknowledge(delivery: Delivery, *, via: str) -> Alert:
    with transaction.atomic():
        used = Delivery.objects.filter(pk=delivery.pk, link_used_at__isnull=True).update(
            link_used_at=timezone.now()
        )
        if not used:
            raise Conflict("此签收链接已使用过", {"link": "used"})
        record_audit(
            actor=delivery.recipient, action=AuditAction(f"alert.acknowledge_{via}"), target=delivery.alert,
            details={"delivery": delivery.pk, "channel": delivery.channel},
        )  # fmt: skip
        note = "通过通知链接签收" if via == "link" else "通过短信回复签收"
        alert = acknowledge_alert(alert=delivery.alert, by=delivery.recipient, note=note)
    return alert
