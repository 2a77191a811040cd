"""Chinese message templates.  What goes out: case number, alert kind and severity, time, the acknowledge
link — never the person's name, ID number, address or health and criminal details (docs/security.md,
"Personal data"): an SMS or e-mail may be read over a shoulder or by the provider."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.monitoring.models import Alert, AlertKind, Severity
from notifications.channels.base import Message
from notifications.links import ack_link
from notifications.models import Delivery

LOCAL = ZoneInfo("Asia/Shanghai")


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%m-%d %H:%M")


def case_number(alert: Alert) -> str:
    if alert.case_id and alert.case.number:
        return alert.case.number
    if alert.person_id:
        case = alert.person.cases.exclude(number__isnull=True).order_by("-opened_on", "-pk").first()
        if case is not None:
            return case.number
    return f"设备{alert.device_id}" if alert.device_id else "—"


def render_alert(delivery: Delivery) -> Message:
    alert = delivery.alert
    kind = AlertKind(alert.kind).label
    severity = Severity(alert.severity).label
    number, when = case_number(alert), local_time(alert.first_seen_at)
    link = ack_link(delivery)
    escalated = f"（已升级{delivery.step}级，原责任人未签收）" if delivery.step else ""
    reply = f" 或回复{delivery.reply_code}" if delivery.reply_code else ""  # a space ends the link for phones
    text = f"【安帮】{severity}告警{escalated}：{kind}，案件{number}，{when}。签收：{link}{reply}"
    body = "\n".join(
        [
            f"{severity}告警{escalated}：{kind}",
            f"案件：{number}",
            f"发生时间：{when}（已出现 {alert.occurrences} 次，最近 {local_time(alert.last_seen_at)}）",
            f"处置期限：{local_time(alert.due_at)}",
            "",
            f"签收：{link}",
            "（此链接仅限本人使用一次；请在控制台查看详情并办结。）",
        ]
    )
    payload = {
        "event": "alert",
        "delivery": delivery.idempotency_key,
        "alert": {
            "id": alert.pk,
            "kind": alert.kind,
            "kind_label": kind,
            "severity": alert.severity,
            "state": alert.state,
            "case_number": number,
            "first_seen_at": alert.first_seen_at.isoformat(),
            "last_seen_at": alert.last_seen_at.isoformat(),
            "due_at": alert.due_at.isoformat(),
            "occurrences": alert.occurrences,
            "escalation_level": delivery.step,
            "url": f"{settings.PUBLIC_URL}/api/v1/alerts/{alert.pk}",
        },
        "acknowledge_url": link,
    }
    params = {"severity": severity, "kind": kind, "case": number, "time": when, "link": link}
    return Message(f"[安帮] {severity}告警：{kind}（{number}）", text, body, link, payload, params)


def render_digest(delivery: Delivery, alerts: list[Alert]) -> Message:
    day = delivery.digest_on.isoformat()
    lines = [f"{day} 低级别告警汇总，共 {len(alerts)} 条：", ""]
    lines += [
        f"- {local_time(a.first_seen_at)} {AlertKind(a.kind).label}，案件{case_number(a)}，{a.get_state_display()}"
        for a in alerts
    ]
    lines += ["", f"请登录控制台处理：{settings.PUBLIC_URL}/"]
    body = "\n".join(lines)
    payload = {"event": "digest", "day": day, "alerts": [a.pk for a in alerts]}
    return Message(f"[安帮] {day} 低级别告警汇总（{len(alerts)} 条）", lines[0], body, "", payload, {})


def render_reminder(delivery: Delivery) -> Message:
    title, text = delivery.details.get("title", "安帮提醒"), delivery.details.get("text", "")
    sms = text if text.startswith("【") else f"【安帮】{text}"
    payload = {"event": "reminder", "delivery": delivery.idempotency_key, "due_item": delivery.due_item_id,
               "title": title, "text": text}  # fmt: skip
    return Message(f"[安帮] {title}", sms, text, "", payload, {})


def render_notice(delivery: Delivery) -> Message:
    """A decision told to the staff it concerns (notifications/notices.py): the caller's title and text, and
    the console link made absolute for e-mail."""
    title, text = delivery.details.get("title", "安帮通知"), delivery.details.get("text", "")
    path = delivery.details.get("link", "")
    link = f"{settings.PUBLIC_URL}{path}" if path.startswith("/") else path
    body = f"{text}\n\n详情：{link}" if link else text
    payload = {
        "event": "notice",
        "delivery": delivery.idempotency_key,
        "title": title,
        "text": text,
        "link": link,
    }
    return Message(f"[安帮] {title}", f"【安帮】{text}", body, link, payload, {})
