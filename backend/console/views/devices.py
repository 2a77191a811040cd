"""设备: the list with last fix, battery and status (provisioning and binding: ``device_flow.py``); one device's
page: its JT/T 808 registration (who registered, refused re-registrations, the officer's reset) and how
many impossible jumps it reported lately (counts and times only, no positions)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import DomainError
from backend.core.policy import require
from backend.monitoring.actions.registration import reset_registration
from backend.monitoring.models import Device, Position
from backend.monitoring.queries import DEVICE_STATUSES, device_status_q, online_since
from backend.people.models import Person

from ..exports import export_limit, wants_xlsx
from ..names import give_names
from . import list_exports
from .common import act, staff_page

IMPLAUSIBLE_DAYS = 7  # the device page counts impossible jumps over the last week
CANDIDATES = 300  # people offered in the device page's 绑定 select

STATUSES = (("online", "在线"), ("offline", "离线"), ("never", "从未上线"))


@staff_page
def device_list(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, "device.manage")
    except DomainError as exc:
        return render(request, "console/denied.html", {"message": exc.message, "nav": "devices"}, status=403)
    queryset = Device.objects.visible_to(request.user).filter(retired_at__isnull=True)
    status = request.GET.get("status", "")
    if status in DEVICE_STATUSES:
        queryset = queryset.filter(device_status_q(status, online_since()))
    devices = list(queryset.order_by("id")[: export_limit() if wants_xlsx(request) else 500])
    give_names(request.user, devices)
    for device in devices:
        device.state = device.status()
    if wants_xlsx(request):
        return list_exports.devices(request, devices, ["status"] if status else [])
    return render(request, "console/devices.html", {
        "devices": devices, "status": status, "statuses": STATUSES, "nav": "devices",
    })  # fmt: skip


def _device(request: HttpRequest, device_id: int) -> Device:
    require(request.user, "device.manage")
    return get_object_or_404(Device.objects.visible_to(request.user), pk=device_id)  # out of reach → 404


@staff_page
def device_page(request: HttpRequest, device_id: int) -> HttpResponse:
    try:
        device = _device(request, device_id)
    except DomainError as exc:
        return render(request, "console/denied.html", {"message": exc.message, "nav": "devices"}, status=403)
    give_names(request.user, [device])
    device.state = device.status()
    since = timezone.now() - dt.timedelta(days=IMPLAUSIBLE_DAYS)
    implausible = (
        Position.objects.on_device_seen_by(device, request.user)
        .filter(fix_time__gte=since, implausible=True)
        .aggregate(count=Count("id"), last=Max("fix_time"))
    )
    candidates = []
    if device.person_id is None and device.retired_at is None:
        # Whom the device may be bound to: the people of its office in reach (a select; or an ID number).
        candidates = list(
            Person.objects.visible_to(request.user)
            .filter(jurisdiction__path__startswith=device.jurisdiction.path)
            .only("id", "name")
            .order_by("id")[:CANDIDATES]
        )
        if candidates:
            record_audit(
                actor=request.user, action=AuditAction.PERSON_LIST,
                details={"ids": [p.pk for p in candidates], "page": "console.device"},
            )  # fmt: skip
    return render(request, "console/device.html", {
        "device": device, "implausible": implausible, "implausible_days": IMPLAUSIBLE_DAYS, "nav": "devices",
        "candidates": candidates,
    })  # fmt: skip


@require_POST
@staff_page
def reset_device_registration(request: HttpRequest, device_id: int) -> HttpResponse:
    try:
        device = _device(request, device_id)
    except DomainError as exc:
        return render(request, "console/denied.html", {"message": exc.message, "nav": "devices"}, status=403)
    return act(
        request, f"/console/devices/{device.pk}/",
        lambda: reset_registration(by=request.user, device=device),
        "已重置终端注册：下一次注册将被接受并重新绑定",
    )  # fmt: skip
