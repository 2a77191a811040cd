"""设备: the list with last fix, battery and status, and provisioning (the JT/T 808 auth code or the OsmAnd
identifier is shown once, on the page that answers the form, and never stored in plaintext); one device's
page: its JT/T 808 registration (who registered, refused re-registrations, the officer's reset) and how
many impossible jumps it reported lately (counts and times only, no positions)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.errors import DomainError
from backend.core.models import Jurisdiction
from backend.core.policy import require
from backend.monitoring.actions import devices as actions
from backend.monitoring.actions.registration import reset_registration
from backend.monitoring.models import Device, DeviceKind, Position, Protocol
from backend.monitoring.queries import DEVICE_STATUSES, device_status_q, online_since

from ..names import give_names
from .common import act, int_or_none, staff_page

IMPLAUSIBLE_DAYS = 7  # the device page counts impossible jumps over the last week

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
    devices = list(queryset.order_by("id")[:500])
    give_names(request.user, devices)
    for device in devices:
        device.state = device.status()
    return render(request, "console/devices.html", {
        "devices": devices, "status": status, "statuses": STATUSES, "nav": "devices",
    })  # fmt: skip


@staff_page
def provision_page(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, "device.manage")
    except DomainError as exc:
        return render(request, "console/denied.html", {"message": exc.message, "nav": "devices"}, status=403)
    jurisdictions = Jurisdiction.objects.visible_to(request.user).order_by("path")[:300]
    context = {
        "jurisdictions": jurisdictions, "kinds": DeviceKind.choices, "protocols": Protocol.choices,
        "values": request.POST, "nav": "devices",
    }  # fmt: skip
    if request.method == "POST":
        home = get_object_or_404(
            Jurisdiction.objects.visible_to(request.user), pk=int_or_none(request.POST.get("jurisdiction_id"))
        )
        try:
            result = actions.provision_device(
                by=request.user, jurisdiction=home, kind=request.POST.get("kind", ""),
                protocol=request.POST.get("protocol", ""), identifier=request.POST.get("identifier") or None,
                model=request.POST.get("model", "")[:64], label=request.POST.get("label", "")[:64],
            )  # fmt: skip
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "console/device_new.html", context, status=422)
        response = render(request, "console/device_done.html", {
            "device": result.device, "credential": result.credential, "nav": "devices",
        })  # fmt: skip
        response["Cache-Control"] = "no-store"  # the credential must not come back from a cache
        return response
    return render(request, "console/device_new.html", context)


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
    return render(request, "console/device.html", {
        "device": device, "implausible": implausible, "implausible_days": IMPLAUSIBLE_DAYS, "nav": "devices",
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
