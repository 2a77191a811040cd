"""Provisioning trackers and assigning them to persons.  Each action writes its audit row."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.monitoring.actions.orders import require_order_for_tag
from backend.monitoring.models import Device, DeviceAssignment, DeviceKind, Protocol
from backend.people.models import Person
from gps_gateway.identifiers import normalize_identifier

_IMEI = re.compile(r"^\d{15}$")
_PHONE = re.compile(r"^\d{1,20}$")
_DEVICE_NUMBER = re.compile(r"^\d{10,15}$")


@dataclass(frozen=True)
class Provisioned:
    device: Device
    credential: str | None  # OsmAnd identifier or JT/T 808 auth code, shown once


def _check_identifier(protocol: str, identifier: str) -> str:
    if protocol == Protocol.GT06:
        # 15 digits; the Luhn digit is not enforced because some trackers ship IMEIs that fail it.
        if not _IMEI.fullmatch(identifier):
            raise Invalid("IMEI 应为 15 位数字", {"field": "identifier"})
    elif protocol in (Protocol.H02, Protocol.WATCH) and not _DEVICE_NUMBER.fullmatch(identifier):
        # H02 and Watch devices name themselves by a 10-digit serial or the IMEI.
        raise Invalid("设备号应为 10–15 位数字", {"field": "identifier"})
    elif protocol == Protocol.JT808 and not _PHONE.fullmatch(identifier):
        raise Invalid("JT/T 808 终端手机号应为 1–20 位数字", {"field": "identifier"})
    return identifier


def provision_device(
    *,
    by: User,
    jurisdiction: Jurisdiction,
    kind: str,
    protocol: str,
    identifier: str | None,
    model: str = "",
    label: str = "",
) -> Provisioned:
    """Register a tracker.  OsmAnd devices get an unguessable identifier from us (the app sends it as its
    id, so it works like a password: only its hash is kept); JT/T 808 terminals get an initial auth code."""
    require(by, "device.manage")
    if kind not in DeviceKind.values or protocol not in Protocol.values:
        raise Invalid("未知的设备类型或协议", {"field": "protocol"})
    credential = None
    if protocol == Protocol.OSMAND:
        credential = secrets.token_hex(10)  # 80 bits, typed into Traccar Client's "device identifier"
        identifier = credential
    elif not identifier:
        raise Invalid("请填写设备标识（IMEI 或终端手机号）", {"field": "identifier"})
    else:
        identifier = _check_identifier(protocol, identifier.strip())
    auth_digest = ""
    if protocol == Protocol.JT808:
        credential = secrets.token_hex(8)
        auth_digest = hashlib.sha256(credential.encode()).hexdigest()
    try:
        with transaction.atomic():
            device = Device.objects.create(
                jurisdiction=jurisdiction, kind=kind, protocol=protocol, identifier=normalize_identifier(protocol, identifier),
                model=model, label=label, auth_code_digest=auth_digest,
            )  # fmt: skip
            record_audit(
                actor=by,
                action=AuditAction.DEVICE_PROVISION,
                target=device,
                details={"protocol": protocol, "kind": kind},
            )
    except IntegrityError:
        raise Conflict("该设备标识已登记", {"field": "identifier"}) from None
    return Provisioned(device, credential)


def provision_and_assign(
    *,
    by: User,
    jurisdiction: Jurisdiction,
    person: Person,
    kind: str,
    protocol: str,
    identifier: str | None,
    model: str = "",
    label: str = "",
) -> Provisioned:
    """登记并绑定: register a tracker and hand it to ``person`` in one step, all or nothing — a tag refused
    for want of an order in force (Art. 29, ``require_order_for_tag``) leaves no device behind and issues
    no credential.  Both audit rows are written (``device.provision``, ``device.assign``)."""
    require(by, "device.manage")
    if kind == DeviceKind.TAG:
        require_order_for_tag(Device(kind=kind), person)  # refused before any identifier is issued
    with transaction.atomic():
        result = provision_device(
            by=by, jurisdiction=jurisdiction, kind=kind, protocol=protocol, identifier=identifier,
            model=model, label=label,
        )  # fmt: skip
        device = assign_device(by=by, device=result.device, person=person)
    return Provisioned(device, result.credential)


def update_device(*, by: User, device: Device, model: str | None = None, label: str | None = None) -> Device:
    """型号和备注名 (the model decides what the alarm bits mean); None leaves a field as it is."""
    require(by, "device.manage")
    changed = {k: v.strip() for k, v in (("model", model), ("label", label)) if v is not None}
    for name, value in changed.items():
        if len(value) > 64 or "\x00" in value:
            raise Invalid("最多 64 个字符，且不能含控制字符", {"field": name})
    changed = {k: v for k, v in changed.items() if v != getattr(device, k)}
    if changed:
        with transaction.atomic():
            Device.objects.filter(pk=device.pk).update(**changed, updated_at=timezone.now())
            record_audit(
                actor=by, action=AuditAction.DEVICE_UPDATE, target=device, details={"fields": sorted(changed)}
            )
        device.refresh_from_db()
    return device


def assign_device(*, by: User, device: Device, person: Person) -> Device:
    """佩戴/绑定: from now on the device's fixes are the person's.  One device, one person at a time."""
    require(by, "device.manage")
    if device.retired_at is not None:
        raise Conflict("设备已停用")
    if device.person_id is not None:
        raise Conflict("设备已绑定人员，请先解除绑定", {"person_id": device.person_id})
    require_order_for_tag(device, person)
    now = timezone.now()
    with transaction.atomic():
        if not Device.objects.filter(pk=device.pk, person__isnull=True).update(
            person=person, assigned_at=now, updated_at=now
        ):
            raise Conflict("设备已被他人绑定，请刷新")
        DeviceAssignment.objects.create(device=device, person=person, started_at=now, by=by)
        record_audit(actor=by, action=AuditAction.DEVICE_ASSIGN, target=device, details={"person": person.pk})
    device.refresh_from_db()
    return device


def unassign_device(*, by: User, device: Device) -> Device:
    require(by, "device.manage")
    if device.person_id is None:
        return device
    now = timezone.now()
    with transaction.atomic():
        DeviceAssignment.objects.filter(device=device, ended_at__isnull=True).update(ended_at=now)
        Device.objects.filter(pk=device.pk).update(person=None, assigned_at=None, updated_at=now)
        record_audit(
            actor=by, action=AuditAction.DEVICE_UNASSIGN, target=device, details={"person": device.person_id}
        )
    device.refresh_from_db()
    return device
