"""GT06 status, heartbeat, alarm-event and text messages (状态/心跳/报警/指令回复).

These carry no position of their own: their fixes have no coordinates and hold what the device
reported (battery, alarms, command results) so that alarms become alerts even without a GPS fix.
"""

from __future__ import annotations

from ..common import Alarm, Fix
from .fields import (
    ACCIDENT,
    HARD_ACCELERATION,
    HARD_BRAKING,
    HARD_CORNERING,
    TEMPERATURE,
    Context,
    add_alarm,
    alarm_code,
    apply_status,
    bare_fix,
    read_gps,
    set_battery_level,
    set_battery_pct,
)
from .frames import build_reply

Result = tuple[str, list[Fix]]


def status(ctx: Context) -> Result:
    """0x13 heartbeat with terminal status.  Three layouts: OBD6 (length 0x13), the 16-byte
    information form, and the classic status/voltage/GSM/alarm/language one with model quirks."""
    r = ctx.reader
    fix = bare_fix()
    if ctx.length == 0x13:
        _obd6_status(ctx, fix)
    elif r.remaining == 16:
        _info_status(ctx, fix)
    else:
        _classic_status(ctx, fix)
    return "heartbeat", [fix]


def _classic_status(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    apply_status(fix, r.u8())
    if ctx.model == "R11":
        fix.attributes["power"] = r.u16() * 0.01
    else:
        set_battery_level(fix, r.u8())
    fix.attributes["rssi"] = r.u8()
    if ctx.lw:
        fix.attributes["power"] = (r.u16() & 0x0FFF) / 10  # LW4G puts supply volts ×10 here
        return
    extension = r.u8()
    if ctx.seeworld:
        fix.attributes["power"] = float(extension)  # SeeWorld: external supply in whole volts
    else:
        add_alarm(fix, alarm_code(extension, ctx))


def _obd6_status(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    apply_status(fix, r.u8())
    signal = r.u16()
    fix.satellites = fix.attributes["sat"] = ((signal >> 10) & 0x1F) + ((signal >> 5) & 0x1F)
    fix.attributes["rssi"] = signal & 0x1F
    add_alarm(fix, alarm_code(r.u8(), ctx))
    r.skip(1)  # language
    set_battery_pct(fix, min(r.u8(), 100))
    mode = r.u8()
    fix.attributes["power"] = r.u16() / 100
    r.skip(1 + 2)  # reserved, working time
    if mode == 4:
        fix.attributes["temp1"] = r.s16() / 10


def _info_status(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    r.skip(1 + 2 + 1 + 1)  # information content, satellites, alarm, language
    set_battery_pct(fix, min(r.u8(), 100))
    r.skip(1 + 2 + 1 + 2 + 2)  # working mode, voltage, reserved, working times, working time
    value = r.u16()
    magnitude = (value & 0x7FFF) * 0.1
    fix.attributes["temp1"] = magnitude if value & 0x8000 else -magnitude  # bit 15 set = above zero


def heartbeat(ctx: Context) -> Result:
    """0x23 (GK310): armed/ignition/charging flags, battery volts, GSM signal."""
    r = ctx.reader
    fix = bare_fix()
    flags = r.u8()
    fix.attributes["armed"] = bool(flags & 0x01)
    fix.attributes["ignition"] = bool(flags & 0x02)
    fix.attributes["charge"] = bool(flags & 0x04)
    if r.remaining >= 2:
        fix.attributes["battery"] = r.u16() * 0.01
    if r.remaining >= 1:
        fix.attributes["rssi"] = r.u8()
    return "heartbeat", [fix]


def string(ctx: Context) -> Result:
    """0x15: answer to a server command, ``<ICCID:…>`` or free text."""
    r = ctx.reader
    fix = bare_fix()
    size = r.u8()
    if size > 4:
        r.skip(4)  # server flag
        text = r.take(size - 4).decode("ascii", "replace")
    else:
        # Some firmware leaves the length at zero and pads the text with NULs instead.
        r.skip(min(4, r.remaining))
        text = r.rest().split(b"\x00", 1)[0].decode("ascii", "replace")
    if text.startswith("<ICCID:"):
        fix.attributes["iccid"] = text[7:27]
    elif text:
        fix.attributes["result"] = text
    return "response", [fix]


def info(ctx: Context) -> Result:
    """0x94 in the short framing: external supply voltage."""
    fix = bare_fix()
    fix.attributes["power"] = ctx.reader.s16() * 0.01
    return "heartbeat", [fix]


_EVENT_ALARMS = {
    0x0E: Alarm.LOW_POWER,
    0x76: TEMPERATURE,
    0x80: Alarm.VIBRATION,
    0x87: Alarm.OVERSPEED,
    0x88: Alarm.POWER_CUT,
    0x90: HARD_ACCELERATION,
    0x91: HARD_BRAKING,
    0x92: HARD_CORNERING,
    0x93: ACCIDENT,
}


def alarm_event(ctx: Context) -> Result:
    """0x95 (JC100/JC400 dash cams): time or GPS, an event code, and the video files it saved."""
    r = ctx.reader
    jc400 = r.data[:2] == b"\xff\xff"
    with_gps = ctx.length - 5 > 7
    if with_gps:
        if jc400:
            r.skip(3)  # marker, version
        fix = read_gps(r, satellites=jc400, speed=jc400, long_speed=jc400, flags_first=jc400)
    else:
        fix = bare_fix(r.time())
    if jc400:
        fix.attributes["power"] = r.u16() * 0.1
    event = r.u8()
    fix.attributes["event"] = event
    if r.remaining >= 2:
        fix.attributes["eventData"] = r.u16()
    if event == 0x01:
        fix.alarms.add(Alarm.SOS if with_gps else Alarm.GENERAL)
    else:
        add_alarm(fix, _EVENT_ALARMS.get(event))
    files = r.rest()
    if files:
        fix.attributes["eventFiles"] = files.decode("ascii", "replace")
    return "alarm", [fix]


def command_reply(ctx: Context) -> Result:
    """0x80–0x82: answers to server commands.  Kept in details; no position, no acknowledgement."""
    data = ctx.reader.rest()
    if data:
        ctx.details["result"] = data[5:].split(b"\x00", 1)[0].decode("ascii", "replace")
    return "response", []


def address_request(ctx: Context) -> Result:
    """0x2A (GK310) asks for a street address by SMS; we have none to give, so say so."""
    text = b"NA&&NA&&0##"
    content = bytes([len(text)]) + bytes(4) + text
    ctx.reply = build_reply(0x97, 0, content, extended=True)
    return "other", []


def time_request(ctx: Context) -> Result:
    """0x8A asks for the current UTC time."""
    now = ctx.now
    content = bytes([now.year - 2000, now.month, now.day, now.hour, now.minute, now.second])
    ctx.reply = build_reply(0x8A, 0, content)
    return "other", []


def photo_info(ctx: Context) -> Result:
    """0x35 (X1) announces a photo; fetching it is not supported, so the frame is only counted."""
    ctx.details["photo"] = True
    return "other", []


STATUS = {
    0x13: status,
    0x15: string,
    0x23: heartbeat,
    0x2A: address_request,
    0x35: photo_info,
    0x80: command_reply,
    0x81: command_reply,
    0x82: command_reply,
    0x8A: time_request,
    0x94: info,
    0x95: alarm_event,
}
