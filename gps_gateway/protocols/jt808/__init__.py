"""JT/T 808 (道路运输车辆卫星定位系统终端通讯协议, 2011/2013/2019): the face the gateway uses.

``codec``: one frame in, one ``Decoded`` out, and the answers only the gateway may give (register,
authentication); ``frames``: splitting, escaping, checksums, headers, reply frames; ``location``: the 0x0200
report; ``extras``, ``extras_vendor``, ``tlv``: its additional-information items; ``vendor``: vendor messages.
"""

from __future__ import annotations

# The face shows exactly the codec's public names (tests/conformance/test_protocol_packages.py).
from gps_gateway.protocols.jt808.codec import *  # noqa: F403
from gps_gateway.protocols.jt808.codec import __all__ as __all__
