"""JT/T 808 registration (终端注册) bound to the first terminal: whoever knows a tag's number cannot take it
over by registering again.

The gateway asks ``register_terminal`` (from a worker thread; the workers are separate processes, so the
decision is one conditional UPDATE in the database, not a cached flag).  A registered terminal — one that
registered, or authenticated with the code issued at provisioning (``close_registration``) — is refused
until an officer calls ``reset_registration``; every refusal is counted on the device, and a device alert
is raised when they repeat (rules().jt808_reregistration_alert_count within the window).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import User
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import AlertKind, Device, Protocol, Severity

FIELD_LENGTH = 64  # Device.registered_* columns


@dataclass(frozen=True)
class Registration:
    accepted: bool
    same_terminal: bool = False  # a refusal: the maker, model and terminal id match the bound ones
    alerted: bool = False  # a refusal that reached the threshold and raised the device alert


def register_terminal(
    *, device_id: int, maker: str, model: str, terminal_id: str, code_digest: str
) -> Registration:
    """Bind the registration and store the new code's digest if the terminal is not registered yet;
    otherwise count the refusal (and raise the alert when they repeat).  Nothing changes on a refusal
    but the count: the registered terminal's code keeps working."""
    now = timezone.now()
    binding = {
        "registered_maker": maker[:FIELD_LENGTH],
        "registered_model": model[:FIELD_LENGTH],
        "registered_terminal_id": terminal_id[:FIELD_LENGTH],
    }
    # updated_at too: the other workers' directories reload what changed (``DeviceDirectory.refresh``).
    claimed = Device.objects.filter(pk=device_id, registered_at__isnull=True, retired_at__isnull=True).update(
        auth_code_digest=code_digest, registered_at=now, refused_registrations=0,
        refused_registrations_since=None, updated_at=now, **binding,
    )  # fmt: skip
    if claimed:
        return Registration(accepted=True)
    return _refuse(device_id, binding, now)


def _refuse(device_id: int, binding: dict[str, str], now: dt.datetime) -> Registration:
    r = rules()
    window = dt.timedelta(minutes=r.jt808_reregistration_alert_window_minutes)
    with transaction.atomic():
        # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the person join.
        device = (
            Device.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(pk=device_id)
            .first()
        )
        if device is None:
            return Registration(accepted=False)
        since = device.refused_registrations_since
        if since is None or now - since >= window:
            count, since = 1, now
        else:
            count = device.refused_registrations + 1
        Device.objects.filter(pk=device_id).update(
            refused_registrations=count, refused_registrations_since=since
        )
        same = all(getattr(device, field) == value for field, value in binding.items())
        # One alert occurrence per window in which the refusals reach the threshold (0: never).
        alerted = count == r.jt808_reregistration_alert_count
        if alerted:
            raise_alert(
                kind=AlertKind.REGISTRATION_REFUSED, severity=Severity.HIGH, person=device.person, device=device,
                subject=f"device:{device.pk}", at=now,
                details={"device": device.pk, "attempts": count,
                         "window_minutes": r.jt808_reregistration_alert_window_minutes, "same_terminal": same},
            )  # fmt: skip
    return Registration(accepted=False, same_terminal=same, alerted=alerted)


def close_registration(device_id: int) -> bool:
    """A terminal proved it holds the device's code without registering (the code issued at provisioning,
    or the one it kept after a reset): from now on it is the registered terminal.  True if this closed it."""
    now = timezone.now()
    return bool(
        Device.objects.filter(pk=device_id, registered_at__isnull=True).update(
            registered_at=now, updated_at=now
        )
    )


def reset_registration(*, by: User, device: Device) -> Device:
    """重置注册: the next 0x0100 for this terminal is accepted and bound (a replaced or re-flashed terminal).
    The code issued before stays valid until then, so the terminal in use is not cut off by the reset."""
    require(by, "device.manage")
    if device.protocol != Protocol.JT808:
        raise Invalid("只有 JT/T 808 终端需要注册，无需重置", {"field": "protocol"})
    if device.retired_at is not None:
        raise Conflict("设备已停用")
    now = timezone.now()
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(
            registered_at=None, registered_maker="", registered_model="", registered_terminal_id="",
            refused_registrations=0, refused_registrations_since=None, updated_at=now,
        )  # fmt: skip
        record_audit(
            actor=by, action=AuditAction.DEVICE_RESET_REGISTRATION, target=device,
            details={"was_registered": device.registered_at is not None, "refused": device.refused_registrations},
        )  # fmt: skip
    device.refresh_from_db()
    return device
