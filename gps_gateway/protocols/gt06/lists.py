"""GT06 reports that list cells and Wi-Fi access points instead of a GPS position (多基站/WiFi 定位).

They become fixes without coordinates whose ``network`` attribute (Traccar's layout) lets the gateway
ask a geolocation service, or leave the position unknown.
"""

from __future__ import annotations

from ..common import Fix
from .fields import Context, add_cells, add_wifi, bare_fix, mac

Result = tuple[str, list[Fix]]

# Cell lists with 4-byte LAC and 8-byte cell id (GK310 4G).
_LONG_CELLS = {0xA1, 0xA2}
# Lists followed by Wi-Fi access points.
_WITH_WIFI = {0x18, 0x2C, 0xA2}


def lbs_list(ctx: Context) -> Result:
    """0x28, 0x2E, 0x24, 0x18, 0x2C, 0xA1, 0xA2: time, MCC/MNC, seven cells (WANWAY S20 counts them),
    timing advance, then Wi-Fi for some numbers."""
    r = ctx.reader
    proto = ctx.frame.proto
    fix = bare_fix(r.time())
    wanway = proto == 0x24 and ctx.length == 0x31
    if wanway:
        r.skip(1)  # timing advance comes first on this firmware
    mcc = r.u16()
    mnc = r.u16() if mcc & 0x8000 else r.u8()
    count = r.u8() if wanway else 7
    long_cells = proto in _LONG_CELLS
    cells = []
    for _ in range(count):
        lac = r.u32() if long_cells else r.u16()
        cid = r.uint(8) if long_cells else r.uint(3)
        rssi = -r.u8()
        cells.append(_cell(mcc & 0x7FFF, mnc, lac, cid, rssi))
    add_cells(fix, cells)
    if not wanway:
        r.skip(1)  # timing advance
    if proto in _WITH_WIFI and r.remaining > 0:
        count = r.u8()
        add_wifi(fix, [(mac(r.take(6)), r.u8()) for _ in range(count)])
    return "location", [fix]


def _cell(mcc: int, mnc: int, lac: int, cid: int, rssi: int | None = None) -> dict[str, int]:
    cell = {"mobileCountryCode": mcc, "mobileNetworkCode": mnc, "locationAreaCode": lac, "cellId": cid}
    if rssi is not None:
        cell["signalStrength"] = rssi
    return cell


def wifi(ctx: Context) -> Result:
    """0x17 / 0x69: BCD time, Wi-Fi points, cells.  The Wi-Fi count is carried in the length byte,
    which is why these frames cannot be cut by length.  The answer echoes the time, with neither
    serial nor CRC, the way these devices expect."""
    r = ctx.reader
    raw_time = r.data[r.pos : r.pos + 6]
    fix = bare_fix(r.bcd_time())
    add_wifi(fix, [(mac(r.take(6)), r.u8()) for _ in range(ctx.frame.length)])
    count = r.u8()
    mcc, mnc = r.u16(), r.u8()
    add_cells(fix, [_cell(mcc, mnc, r.u16(), r.u16(), r.u8()) for _ in range(count)])
    ctx.reply = b"\x78\x78\x00" + bytes([ctx.frame.proto]) + raw_time + b"\r\n"
    return "location", [fix]


def wifi_4(ctx: Context) -> Result:
    """0xF3: time and a counted list of access points (two reserved bytes each, no signal)."""
    r = ctx.reader
    fix = bare_fix(r.time())
    points = []
    for _ in range(r.u8()):
        r.skip(2)
        points.append((mac(r.take(6)), None))
    add_wifi(fix, points)
    return "location", [fix]


def lbs_3(ctx: Context) -> Result:
    """0x34 from SL4X (length 0x37): timing advance, MCC, two-byte MNC, seven cells with 4-byte ids."""
    r = ctx.reader
    fix = bare_fix(r.time())
    r.skip(1)
    mcc, mnc = r.u16(), r.u16()
    cells = [_cell(mcc & 0x7FFF, mnc, r.u16(), r.u32(), -r.u8()) for _ in range(7)]
    add_cells(fix, cells)
    return "location", [fix]
