"""GT06 location reports (定位数据包): GPS, GPS + LBS, GPS + LBS + status, and the vendor variants.

Each decoder takes a ``Context`` positioned after the protocol number and returns the message kind
and its fixes.  Variants are told apart by protocol number and length, as Traccar does, since the
devices give no other hint; the device model settles the rest.
"""

from __future__ import annotations

from ..common import Alarm, Fix
from .fields import (
    Context,
    add_alarm,
    add_cells,
    alarm_code,
    apply_status,
    bare_fix,
    read_cell,
    read_gps,
    report_flags,
    set_battery_level,
    set_battery_pct,
)
from .lists import lbs_3, lbs_list, wifi

Result = tuple[str, list[Fix]]


def kind(fixes: list[Fix]) -> str:
    return "alarm" if any(f.alarms for f in fixes) else "location"


# ---------------------------------------------------------------------------------------------------
# GPS (+ LBS) reports


def _gps_only(ctx: Context) -> Result:
    """0x10 GPS, 0x1A GPS + phone number, 0x1E GPS + extra cells (JI09): the GPS block is what counts."""
    fix = read_gps(ctx.reader)
    return kind([fix]), [fix]


def _gps_lbs_6(ctx: Context) -> Result:
    """0x11: GPS + a cell with two-byte MNC and four-byte cell id."""
    r = ctx.reader
    fix = read_gps(r)
    if r.remaining > 0:
        add_cells(fix, [read_cell(r, wide_mnc=True, cid_size=4)])
    return "location", [fix]


def _gps_lbs_1(ctx: Context) -> Result:
    """0x12, the classic GPS + LBS report, and the vendor tails told apart by length."""
    r = ctx.reader
    if ctx.model == "QH302R":
        r.skip(8)  # this model repeats its IMEI first
    fix = read_gps(r)
    if r.remaining > 0:
        add_cells(fix, [read_cell(r)])
    tail = _GPS_LBS_1_TAILS.get(ctx.length)
    if tail is not None:
        tail(ctx, fix)
    elif ctx.length >= 0x71:
        _card_tail(ctx, fix)
    else:
        _common_tail(ctx, fix)
    return kind([fix]), [fix]


def _vxt01_tail(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    apply_status(fix, r.u8(), overspeed_bit=True)
    fix.attributes["power"] = r.u16() * 0.01
    fix.attributes["rssi"] = r.u8()
    r.skip(1)  # alarm extension, not an alarm code on this firmware


def _benway_tail(ctx: Context, fix: Fix) -> None:
    mask = ctx.reader.u16()
    fix.attributes["ignition"] = bool(mask & 0x8000)
    fix.attributes["in2"] = bool(mask & 0x4000)
    if mask & 0x1000:
        value = mask & 0x1FF
        fix.attributes["temp1"] = -value if mask & 0x0200 else value
    else:
        value = mask & 0x3FF
        fix.attributes["adc1"] = value if mask & 0x2000 else value * 0.1


def _s5_tail(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    apply_status(fix, r.u8())
    fix.attributes["power"] = r.u16() * 0.01
    fix.attributes["rssi"] = r.u8()
    add_alarm(fix, alarm_code(r.u8(), ctx))
    fix.attributes["oil"] = r.u16()
    temperature = r.u8()
    fix.attributes["temp1"] = -(temperature & 0x7F) if temperature & 0x80 else temperature
    fix.attributes["odometer"] = r.u32() * 10


def _wetrust_tail(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    fix.attributes["odometer"] = r.u32()
    fix.attributes["card"] = r.take(r.u8()).decode("ascii", "replace")
    if r.u8() > 0:
        fix.alarms.add(Alarm.GENERAL)
    fix.attributes["cardStatus"] = r.u8()
    fix.attributes["drivingTime"] = r.u16()


def _card_tail(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    fix.attributes["odometer"] = r.u32()
    fix.attributes["card"] = r.take(r.u8()).decode("ascii", "replace").strip()
    r.skip(2)  # alarm, swiped


_GPS_LBS_1_TAILS = {0x24: _vxt01_tail, 0x21: _benway_tail, 0x2B: _s5_tail, 0x29: _wetrust_tail}


def _common_tail(ctx: Context, fix: Fix) -> None:
    """Optional ignition / upload mode / re-upload flags, then an optional odometer."""
    r = ctx.reader
    if r.remaining in (3, 7):
        report_flags(r, fix, event=False)
    if r.remaining == 4:
        fix.attributes["odometer"] = r.u32()


def _gps_lbs_2(ctx: Context) -> Result:
    """0x22 GPS + LBS; NT20/XT40 prefix source, IMEI and device time; SeeWorld appends sensors."""
    r = ctx.reader
    if ctx.model in ("NT20", "VL100", "XT40"):
        return _nt_report(ctx)
    fix = read_gps(r)
    wide = ctx.length == 0x2F  # SeeWorld: four-byte cell id and a sensor tail
    add_cells(fix, [read_cell(r, cid_size=4 if wide else 3)])
    if wide:
        fix.attributes["ignition"] = r.u8() > 0
        r.skip(2)  # reporting mode, supplementary transmission
        fix.attributes["odometer"] = r.u32()
        r.skip(4)  # travel time
        temperature = r.u16()
        value = -(temperature & 0x7FFF) if temperature & 0x8000 else temperature
        fix.attributes["temp1"] = value * 0.01
        fix.attributes["humidity"] = r.u16() * 0.01
    elif r.remaining >= 3:
        report_flags(r, fix)
    if r.remaining == 4:
        fix.attributes["odometer"] = r.u32()
    return kind([fix]), [fix]


def _nt_report(ctx: Context) -> Result:
    r = ctx.reader
    r.skip(1 + 8)  # location source, IMEI
    device_time = r.time()
    fix = read_gps(r)
    fix.attributes["deviceTime"] = device_time.isoformat()
    lbs_with_length(ctx, fix, trailer=13)
    _power_block(ctx, fix)
    fix.attributes["odometer"] = r.uint(3)
    fix.attributes["hours"] = r.uint(3) * 60_000  # minutes on the wire, milliseconds in Traccar
    return kind([fix]), [fix]


def _power_block(ctx: Context, fix: Fix) -> None:
    """NT20/XT40 status: status byte, power (V/100), battery (V/10), GSM signal, alarm, language."""
    r = ctx.reader
    apply_status(fix, r.u8())
    fix.attributes["power"] = r.u16() * 0.01
    battery = r.u8()
    if ctx.model == "XT40":
        fix.attributes["battery"] = battery / 10
    else:
        set_battery_level(fix, battery // 10)
    fix.attributes["rssi"] = r.u8()
    add_alarm(fix, alarm_code(r.u8(), ctx))
    r.skip(1)  # language


def lbs_with_length(ctx: Context, fix: Fix, *, trailer: int | None) -> None:
    """A cell block led by its length byte.  Firmware disagrees on whether the byte counts itself, so
    when the fields after the block have a fixed size (``trailer``) the block is sized from those."""
    r = ctx.reader
    declared = r.u8()
    size = r.remaining - trailer if trailer is not None else declared
    if declared == 0 or size < 8:
        r.skip(max(0, size))  # no cell, often zero padding
        return
    start = r.pos
    mnc_size = 2 if r.peek() & 0x80 else 1
    # What is left after MCC, MNC and LAC is the cell id: three bytes on 2G units, four on 4G ones.
    cid_size = 4 if size - 2 - mnc_size - 2 >= 4 else 3
    add_cells(fix, [read_cell(r, cid_size=cid_size)])
    r.skip(size - (r.pos - start))


def _gps_lbs_status(ctx: Context) -> Result:
    """0x16 / 0x26 / 0x27: GPS + LBS + status (alarm packets); 0x27 adds a geofence number."""
    r = ctx.reader
    proto = ctx.frame.proto
    fix = read_gps(r)
    vxt01 = proto == 0x16 and ctx.length == 0x24
    if vxt01:
        add_cells(fix, [read_cell(r)])  # no length byte on this firmware
    else:
        tail = 6 if proto == 0x27 else 5
        if r.remaining - 1 - tail in (16, 17):
            tail += 8  # VL103 and kin append an iButton/RFID driver id after the status
        lbs_with_length(ctx, fix, trailer=tail)
    status_block(ctx, fix, overspeed_bit=vxt01, alarms=not vxt01)
    if proto == 0x27:
        fix.attributes["geofence"] = r.u8()
    if r.remaining == 8:
        driver = r.take(8)
        if any(driver):
            fix.attributes["driverUniqueId"] = driver.hex()
    return kind([fix]), [fix]


def status_block(ctx: Context, fix: Fix, *, overspeed_bit: bool = False, alarms: bool = True) -> None:
    """Terminal info, voltage level (or %), GSM signal, alarm code, language."""
    r = ctx.reader
    apply_status(fix, r.u8(), overspeed_bit=overspeed_bit)
    set_battery_level(fix, r.u8())
    fix.attributes["rssi"] = r.u8()
    extension = r.u8()
    if alarms:
        add_alarm(fix, alarm_code(extension, ctx))
        if ctx.vl:
            fix.attributes["event"] = extension
    if r.remaining >= 1:
        r.skip(1)  # language


def _lbs_status(ctx: Context) -> Result:
    """0x19: LBS + status without GPS.  SPACE10X sends a multi-cell list under this number instead."""
    if ctx.length >= 0x17:
        ctx.details["multi_lbs"] = True
        return "other", []
    fix = bare_fix()
    add_cells(fix, [read_cell(ctx.reader)])
    status_block(ctx, fix)
    return kind([fix]), [fix]


def _gps_lbs_5(ctx: Context) -> Result:
    """0x31 (SL4X, AZ735): GPS + 4G cell + flags, odometer and altitude."""
    r = ctx.reader
    fix = read_gps(r)
    add_cells(fix, [read_cell(r, wide_mnc=True, cid_size=4)])
    if r.remaining >= 3:
        report_flags(r, fix)
    if r.remaining > 2:
        fix.attributes["odometer"] = r.u32()
    if r.remaining >= 2:
        fix.altitude_m = float(r.s16())
    return kind([fix]), [fix]


def _gps_lbs_status_4(ctx: Context) -> Result:
    """0x32 (SL4X): GPS + length-led 4G cell + status, then altitude on some firmware."""
    r = ctx.reader
    fix = read_gps(r)
    size = r.u8()
    if size:
        start = r.pos
        add_cells(fix, [read_cell(r, wide_mnc=True, cid_size=4)])
        r.skip(size - (r.pos - start))
    status_block(ctx, fix)
    if r.remaining >= 2:
        fix.altitude_m = float(r.s16())
    return kind([fix]), [fix]


def _gps_lbs_3(ctx: Context) -> Result:
    """0x37 / 0x2D: GPS + LBS + flags, then typed modules (power, odometer, accuracy)."""
    r = ctx.reader
    fix = read_gps(r)
    add_cells(fix, [read_cell(r)])
    if r.remaining >= 3:
        report_flags(r, fix)
    while r.remaining >= 3:
        module, size = r.u16(), r.u8()
        value = r.take(size)
        if module == 0x0027 and size == 2:
            fix.attributes["power"] = int.from_bytes(value, "big") * 0.01
        elif module == 0x002E and size == 4:
            fix.attributes["odometer"] = int.from_bytes(value, "big")
        elif module == 0x003B and size == 2:
            fix.accuracy_m = int.from_bytes(value, "big") * 0.01
    return kind([fix]), [fix]


def _gps_lbs_7(ctx: Context) -> Result:
    """0xA0 (GK310, JM-VL03): GPS + 4G cell (LAC 4 bytes, cell id 8 bytes) + flags/odometer."""
    r = ctx.reader
    fix = read_gps(r)
    if r.remaining > 0:
        add_cells(fix, [read_cell(r, lac_size=4, cid_size=8)])
    _common_tail(ctx, fix)
    return kind([fix]), [fix]


def _fence(ctx: Context) -> Result:
    """0xA3 / 0xA4 (GK310, LL301): GPS + length-led 4G cell + status (+ geofence number for 0xA4).
    Short 0xA3 frames are status reports without GPS (SeeWorld, GL21L)."""
    r = ctx.reader
    proto = ctx.frame.proto
    if proto == 0xA3 and ctx.length == 0x0C:
        fix = bare_fix()
        status_block(ctx, fix)
        return kind([fix]), [fix]
    if proto == 0xA3 and r.remaining < 18 + 6:
        return _step_status(ctx)
    fix = read_gps(r)
    trailer = 6 if proto == 0xA4 else 5
    size = r.remaining - trailer - 1
    r.skip(1)  # length byte; not reliable on 0xA3, so the block is sized from the fixed tail
    start = r.pos
    add_cells(fix, [read_cell(r, lac_size=4, cid_size=8)])
    r.skip(size - (r.pos - start))
    status_block(ctx, fix)
    if proto == 0xA4:
        fix.attributes["geofence"] = r.u8()
    return kind([fix]), [fix]


def _step_status(ctx: Context) -> Result:
    """A 19-byte 0xA3 status with a step counter (wristbands).  Only the steps field is certain."""
    data = ctx.reader.rest()
    fix = bare_fix()
    if len(data) >= 13:
        fix.attributes["steps"] = int.from_bytes(data[11:13], "big")
    return "heartbeat", [fix]


def _lbs_alarm(ctx: Context) -> Result:
    """0xA5 (LBS alarm) and 0xA7 (LBS address request): a 4G cell, then status for 0xA5."""
    r = ctx.reader
    fix = bare_fix()
    add_cells(fix, [read_cell(r, lac_size=4, cid_size=8)])
    if ctx.frame.proto == 0xA5:
        status_block(ctx, fix)
    return kind([fix]), [fix]


def _lw4g_or_wifi(ctx: Context) -> Result:
    """0xA2: LW4G GPS + 4G cell + status (length 0x40), otherwise a GK310 4G cell + Wi-Fi list."""
    if ctx.length != 0x40:
        return lbs_list(ctx)
    r = ctx.reader
    fix = read_gps(r)
    add_cells(fix, [read_cell(r, lac_size=4, cid_size=8)])
    r.skip(1)  # network indicator
    apply_status(fix, r.u8())
    fix.attributes["power"] = r.u16() * 0.01
    set_battery_level(fix, r.u8())
    fix.attributes["rssi"] = r.u8()
    add_alarm(fix, alarm_code(r.u8(), ctx))
    r.skip(1)  # language
    fix.attributes["odometer"] = r.u32()
    fix.attributes["hours"] = r.u32() * 1000
    r.skip(8)  # terminal id
    fix.attributes["input"] = r.u16()
    return kind([fix]), [fix]


def _lbs_multiple_3(ctx: Context) -> Result:
    """0x24: SR411 mini sends GPS + LBS + power (length 0x2E); others a cell list."""
    if ctx.length != 0x2E:
        return lbs_list(ctx)
    r = ctx.reader
    fix = read_gps(r)
    add_cells(fix, [read_cell(r)])
    fix.attributes["ignition"] = r.u8() > 0
    fix.attributes["power"] = r.u16() * 0.01
    fix.attributes["battery"] = r.u16() * 0.01
    return kind([fix]), [fix]


def _rfid_or_wifi(ctx: Context) -> Result:
    """0x17: GPS + LBS + RFID card (length 0x28), otherwise a Wi-Fi + cell report."""
    if ctx.length != 0x28:
        return wifi(ctx)
    r = ctx.reader
    fix = read_gps(r)
    add_cells(fix, [read_cell(r)])
    fix.attributes["driverUniqueId"] = r.take(8).hex()
    r.skip(1)  # card validity
    return kind([fix]), [fix]


def _xt40_report(ctx: Context) -> Result:
    """0x25 (XT40): like the NT20 0x22 report, then a length-led RFID reader frame (driver id)."""
    r = ctx.reader
    r.skip(1 + 8)  # location source, IMEI
    device_time = r.time()
    fix = read_gps(r)
    fix.attributes["deviceTime"] = device_time.isoformat()
    lbs_with_length(ctx, fix, trailer=None)
    _power_block(ctx, fix)
    fix.attributes["odometer"] = r.uint(3)
    fix.attributes["hours"] = r.uint(3) * 60_000
    if r.remaining > 2:
        size = r.u8()
        r.skip(1)  # reader type
        fix.attributes["driverUniqueId"] = r.take(size - 1).hex()
    return kind([fix]), [fix]


def _vl103_status(ctx: Context) -> Result:
    """0x36.  Short frames (Jimi 4G): status block, language, then typed modules.  Long ones (VL103):
    GPS + cell + a status tail whose layout is inferred from captures: ACC, odometer, battery %,
    GSM signal, battery volts ×10, and an iButton driver id at the end."""
    r = ctx.reader
    if ctx.length < 0x30:
        fix = bare_fix()
        status_block(ctx, fix)
        while r.remaining >= 3:
            module, size = r.u16(), r.u8()
            value = int.from_bytes(r.take(size), "big")
            if module == 0x0018:
                fix.attributes["battery"] = value / 100
            elif module == 0x0032:
                fix.attributes["startupStatus"] = value
            elif module == 0x006A:
                set_battery_pct(fix, value)
        return kind([fix]), [fix]
    fix = read_gps(r)
    add_cells(fix, [read_cell(r, cid_size=4)])
    fix.attributes["ignition"] = r.u8() > 0
    fix.attributes["odometer"] = r.u32()
    r.skip(1)  # not identified (always 0 so far)
    set_battery_level(fix, r.u8())
    r.skip(1)  # not identified (5 in every capture)
    fix.attributes["rssi"] = r.u8()
    fix.attributes["battery"] = r.u8() / 10
    r.skip(3)  # alarm flags, status
    driver = r.take(8)
    if any(driver):
        fix.attributes["driverUniqueId"] = driver.hex()
    return kind([fix]), [fix]


def _ibutton(ctx: Context) -> Result:
    """0x61: IMEI, GPS, cell (4-byte id), then a 6-byte iButton key shown as a decimal number."""
    r = ctx.reader
    r.skip(8)
    fix = read_gps(r)
    add_cells(fix, [read_cell(r, cid_size=4)])
    fix.attributes["driverUniqueId"] = str(r.uint(6))
    return kind([fix]), [fix]


def _x1_gps(ctx: Context) -> Result:
    """0x34 (X1): GPS, odometer, cell, driver id, battery/power, I/O and up to 15 ADC inputs.
    SL4X sends a cell list under the same number (length 0x37)."""
    if ctx.length == 0x37:
        return lbs_3(ctx)
    r = ctx.reader
    r.skip(4)  # data and alarm flags
    fix = read_gps(r)
    r.skip(2)  # terminal information
    fix.attributes["odometer"] = r.u32()
    add_cells(fix, [read_cell(r, cid_size=4)])
    driver = r.u32()
    if driver:
        fix.attributes["driverUniqueId"] = str(driver)
    fix.attributes["battery"] = r.u16() * 0.01
    fix.attributes["power"] = r.u16() * 0.01
    ports = r.u32()
    fix.attributes["input"] = r.u8()
    fix.attributes["output"] = r.u8()
    for index in range(1, ((ports >> 20) & 0x0F) + 1):
        fix.attributes[f"adc{index}"] = r.u16() * 0.01
    return kind([fix]), [fix]


LOCATION = {
    0x10: _gps_only,
    0x11: _gps_lbs_6,
    0x12: _gps_lbs_1,
    0x16: _gps_lbs_status,
    0x17: _rfid_or_wifi,
    0x19: _lbs_status,
    0x1A: _gps_only,
    0x1E: _gps_only,
    0x22: _gps_lbs_2,
    0x24: _lbs_multiple_3,
    0x25: _xt40_report,
    0x26: _gps_lbs_status,
    0x27: _gps_lbs_status,
    0x2D: _gps_lbs_3,
    0x31: _gps_lbs_5,
    0x32: _gps_lbs_status_4,
    0x34: _x1_gps,
    0x36: _vl103_status,
    0x37: _gps_lbs_3,
    0x61: _ibutton,
    0xA0: _gps_lbs_7,
    0xA2: _lw4g_or_wifi,
    0xA3: _fence,
    0xA4: _fence,
    0xA5: _lbs_alarm,
    0xA7: _lbs_alarm,
}
