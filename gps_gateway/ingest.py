"""From decoded fixes to rows for the writer: filters, the late and implausible flags, the device's in-memory
state.  An impossible jump is stored flagged ``implausible`` (counted in ``flagged``), not refused: an
officer sees it on the device, zone evaluation skips it, and the next fix is judged against the last
plausible one."""

from __future__ import annotations

import datetime as dt

from gps_gateway.devices import DeviceInfo
from gps_gateway.filters import FilterLimits, LastPoint, has_point, reject_reason
from gps_gateway.protocols.common import CHINA_TZ, Fix
from gps_gateway.rows import FixRow
from gps_gateway.stats import GatewayCounters

ALARM_REASONS = {"no_position", "null_island", "invalid_no_fallback", "out_of_range"}
FLAGGED_REASONS = {"impossible_jump"}  # stored with the point, flagged


def prepare(
    fixes: list[Fix], device: DeviceInfo, now: dt.datetime, counters: GatewayCounters, limits: FilterLimits
) -> list[FixRow]:
    """Rows to store; rejected fixes are counted by reason.  Fixes are taken in fix-time order so that a
    batch that arrives shuffled (0x0704 back-fill) is flagged late consistently."""
    rows = []
    device.last_seen = now
    needs_order = device.kind == "tag" and device.person_id is not None
    for fix in sorted(fixes, key=lambda f: f.fix_time or now) if len(fixes) > 1 else fixes:
        counters.received += 1
        if fix.battery_pct is not None:
            device.battery_pct = fix.battery_pct
        device.dirty = True
        if needs_order and fix.fix_time is not None and not _order_allows(device, fix.fix_time):
            # Art. 29: location data from a tag is lawful only while the order runs; refuse and tell the officer.
            counters.rejected["no_location_order"] += 1
            device.refused_without_order += 1
            continue
        reason = reject_reason(fix, now, device.last_point, limits)
        implausible = reason in FLAGGED_REASONS
        if implausible:
            counters.flagged[reason] += 1
            reason = None
        keep_point = reason is None
        if reason is not None:
            if not (fix.alarms and reason in ALARM_REASONS and fix.fix_time is not None):
                counters.rejected[reason] += 1
                continue
            counters.rejected[f"{reason}_alarm_kept"] += 1  # the alarm is stored, the position is not
        late = device.newest_fix is not None and fix.fix_time <= device.newest_fix
        if not late:
            device.newest_fix = fix.fix_time
        if keep_point and not implausible and fix.valid and has_point(fix) and not late:
            device.last_point = LastPoint(fix.latitude, fix.longitude, fix.fix_time)
        rows.append(FixRow(device.id, device.person_id, fix, now, late, keep_point, implausible))
    return rows


def _order_allows(device: DeviceInfo, fix_time: dt.datetime) -> bool:
    return device.order_until is not None and fix_time.astimezone(CHINA_TZ).date() <= device.order_until
