"""/api/v1/inbox (站内信) and /api/v1/notifications (deliveries, contact points, routing rules)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.errors import NotFound
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.security import SMS_GATEWAY
from backend.core.http.types import Id
from backend.core.models import Jurisdiction, User
from notifications import actions
from notifications.links import acknowledge_via_reply
from notifications.models import ContactPoint, Delivery, InboxMessage, RoutingRule

inbox_router = Router(tags=["站内信"])
router = Router(tags=["通知"])


# --- Inbox -----------------------------------------------------------------------------------------
class InboxOut(Schema):
    id: int
    alert_id: int | None
    title: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxFilters(Schema):
    unread: bool = Field(False, description="只看未读")


class CountOut(Schema):
    count: int


class ReadIn(Schema):
    ids: list[Id] | None = Field(None, description="要标记已读的消息；不填则全部标记")


@inbox_router.get("", response=Page[InboxOut], summary="我的站内信（新消息在前）")
def list_inbox(request: HttpRequest, filters: Query[InboxFilters], page: Query[CursorParams]):
    queryset = InboxMessage.objects.filter(recipient=request.auth)
    if filters.unread:
        queryset = queryset.filter(read_at__isnull=True)
    return paginate(queryset, page, newest_first=True)


@inbox_router.get("/unread-count", response=CountOut, summary="未读数")
def unread_count(request: HttpRequest):
    return {"count": InboxMessage.objects.filter(recipient=request.auth, read_at__isnull=True).count()}


@inbox_router.post("/{int:message_id}/read", response=InboxOut, summary="标记已读")
def read_one(request: HttpRequest, message_id: Id):
    message = get_object_or_404(InboxMessage, pk=message_id, recipient=request.auth)
    actions.mark_read(user=request.auth, message_ids=[message.pk])
    message.refresh_from_db()
    return message


@inbox_router.post("/read", response=CountOut, summary="批量标记已读")
def read_many(request: HttpRequest, payload: ReadIn):
    return {"count": actions.mark_read(user=request.auth, message_ids=payload.ids)}


# --- Deliveries ------------------------------------------------------------------------------------
class DeliveryFilters(Schema):
    alert_id: Id | None = None
    state: str | None = Field(None, description="due / sending / sent / failed / skipped")
    channel: str | None = None
    recipient_id: Id | None = None


class DeliveryOut(Schema):
    id: int
    alert_id: int | None
    digest_on: dt.date | None
    recipient_id: int
    channel: str
    step: int
    state: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    finished_at: dt.datetime | None
    last_error: str
    idempotency_key: str


class AttemptOut(Schema):
    number: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: str
    error: str
    retry_at: dt.datetime | None
    sender: str


class DeliveryDetailOut(DeliveryOut):
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_attempt_log(obj) -> list:
        return list(obj.attempt_log.all())


@router.get(
    "/deliveries", response=Page[DeliveryOut], summary="投递记录（可按告警、状态筛选；失败的在此可见）"
)
def list_deliveries(request: HttpRequest, filters: Query[DeliveryFilters], page: Query[CursorParams]):
    queryset = Delivery.objects.visible_to(request.auth)
    for key in ("alert_id", "state", "channel", "recipient_id"):
        if (value := getattr(filters, key)) is not None:
            queryset = queryset.filter(**{key: value})
    return paginate(queryset, page, newest_first=True)


@router.get(
    "/deliveries/{int:delivery_id}", response=DeliveryDetailOut, summary="投递详情与每次尝试（含重试时间）"
)
def get_delivery(request: HttpRequest, delivery_id: Id):
    return get_object_or_404(Delivery.objects.visible_to(request.auth), pk=delivery_id)


# --- SMS replies (上行短信) -------------------------------------------------------------------------
class InboundIn(Schema):
    from_: str = Field(alias="from", max_length=20)
    text: str = Field(max_length=500)


class InboundOut(Schema):
    alert_id: int
    state: str


@router.post(
    "/sms/inbound", auth=SMS_GATEWAY, response=InboundOut, summary="短信网关推送的回复（回复码签收）"
)
def sms_inbound(request: HttpRequest, payload: InboundIn):
    alert = acknowledge_via_reply(payload.from_, payload.text)
    return {"alert_id": alert.pk, "state": alert.state}


# --- Contact points --------------------------------------------------------------------------------
class ContactPointIn(Schema):
    address: str = Field(min_length=1, max_length=500, description="手机号、电子邮箱或 Webhook 地址")
    enabled: bool = True
    rotate_secret: bool = Field(False, description="Webhook：重新生成签名密钥")


class ContactPointOut(Schema):
    channel: str
    address: str = Field(description="脱敏显示")
    enabled: bool
    updated_at: dt.datetime

    @staticmethod
    def resolve_address(obj) -> str:
        return mask(obj.channel, obj.address)


class ContactPointSetOut(ContactPointOut):
    secret: str | None = Field(None, description="Webhook 签名密钥，仅在生成时显示一次")

    @staticmethod
    def resolve_secret(obj) -> str | None:
        return getattr(obj, "new_secret", None)


class WhoParams(Schema):
    user_id: Id | None = Field(None, description="管理员设置本辖区其他用户时填写")


def mask(channel: str, address: str) -> str:
    if channel == "sms":
        return address[:3] + "****" + address[-4:]
    if channel == "email":
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return address.split("?", 1)[0][:40] + ("…" if len(address) > 40 else "")


def _whose(request: HttpRequest, who: WhoParams) -> User:
    if who.user_id is None or who.user_id == request.auth.pk:
        return request.auth
    return get_object_or_404(User.objects.visible_to(request.auth), pk=who.user_id)


@router.get(
    "/contact-points", response=list[ContactPointOut], summary="联系方式（本人，或管理员查看本辖区用户）"
)
def list_contact_points(request: HttpRequest, who: Query[WhoParams]):
    user = _whose(request, who)
    return list(ContactPoint.objects.visible_to(request.auth).filter(user=user).order_by("channel"))


@router.put(
    "/contact-points/{channel}", response=ContactPointSetOut, summary="设置联系方式（sms / email / webhook）"
)
def put_contact_point(request: HttpRequest, channel: str, payload: ContactPointIn, who: Query[WhoParams]):
    point, secret = actions.set_contact_point(
        by=request.auth, user=_whose(request, who), channel=channel, address=payload.address,
        enabled=payload.enabled, rotate_secret=payload.rotate_secret,
    )  # fmt: skip
    point.new_secret = secret
    return point


@router.delete("/contact-points/{channel}", response={204: None}, summary="删除联系方式")
def delete_contact_point(request: HttpRequest, channel: str, who: Query[WhoParams]):
    if not actions.remove_contact_point(by=request.auth, user=_whose(request, who), channel=channel):
        raise NotFound("未设置该联系方式")
    return Status(204, None)


# --- Routing rules ---------------------------------------------------------------------------------
class RuleIn(Schema):
    jurisdiction_id: Id
    name: str = Field(min_length=1, max_length=100)
    kinds: list[str] = Field(default_factory=list, description="告警类型；空为全部")
    min_severity: str = "low"
    escalation_level: int | None = Field(None, ge=0, le=10, description="只在该升级级别通知；空为任意")
    role: str = ""
    user_id: Id | None = None
    channels: list[str] = Field(min_length=1)
    enabled: bool = True


class RuleOut(Schema):
    id: int
    jurisdiction_id: int
    name: str
    kinds: list[str]
    min_severity: str
    escalation_level: int | None
    role: str
    user_id: int | None
    channels: list[str]
    enabled: bool


def _fill(request: HttpRequest, rule: RoutingRule, payload: RuleIn) -> RoutingRule:
    rule.jurisdiction = get_object_or_404(
        Jurisdiction.objects.visible_to(request.auth), pk=payload.jurisdiction_id
    )
    rule.user = (
        get_object_or_404(User.objects.visible_to(request.auth), pk=payload.user_id)
        if payload.user_id
        else None
    )
    for name in ("name", "kinds", "min_severity", "escalation_level", "role", "channels", "enabled"):
        setattr(rule, name, getattr(payload, name))
    return rule


@router.get("/routing-rules", response=Page[RuleOut], summary="通知规则")
def list_rules(request: HttpRequest, page: Query[CursorParams]):
    return paginate(RoutingRule.objects.visible_to(request.auth), page)


@router.post("/routing-rules", response={201: RuleOut}, summary="新建通知规则（管理员）")
def create_rule(request: HttpRequest, payload: RuleIn):
    return Status(
        201, actions.save_routing_rule(by=request.auth, rule=_fill(request, RoutingRule(), payload))
    )


@router.put("/routing-rules/{int:rule_id}", response=RuleOut, summary="修改通知规则（管理员）")
def update_rule(request: HttpRequest, rule_id: Id, payload: RuleIn):
    rule = get_object_or_404(RoutingRule.objects.visible_to(request.auth), pk=rule_id)
    return actions.save_routing_rule(by=request.auth, rule=_fill(request, rule, payload))


@router.delete("/routing-rules/{int:rule_id}", response={204: None}, summary="删除通知规则（管理员）")
def delete_rule(request: HttpRequest, rule_id: Id):
    rule = get_object_or_404(RoutingRule.objects.visible_to(request.auth), pk=rule_id)
    actions.delete_routing_rule(by=request.auth, rule=rule)
    return Status(204, None)
