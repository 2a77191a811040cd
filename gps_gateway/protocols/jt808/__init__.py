"""JT/T 808 (道路运输车辆卫星定位系统终端通讯协议, 2011/2013/2019): the face the gateway uses.

``codec``: one frame in, one ``Decoded`` out, and the answers only the gateway may give (register,
authentication); ``frames``: splitting, escaping, checksums, headers, reply frames; ``location``: the 0x0200
report; ``extras``, ``extras_vendor``, ``tlv``: its additional-information items; ``vendor``: vendor messages.
"""

from __future__ import annotations

from gps_gateway.protocols.jt808.codec import (
    MODEL_ALARMS,
    STANDARD_ALARMS,
    Header,
    checksum_ok,
    decode,
    decode_message,
    escape,
    general_response,
    lock_time_reply,
    parse_header,
    reassemble,
    register_response,
    split_frames,
    unescape,
)

__all__ = [
    "MODEL_ALARMS",
    "STANDARD_ALARMS",
    "Header",
    "checksum_ok",
    "decode",
    "decode_message",
    "escape",
    "general_response",
    "lock_time_reply",
    "parse_header",
    "reassemble",
    "register_response",
    "split_frames",
    "unescape",
]
