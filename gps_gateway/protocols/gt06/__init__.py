"""GT06/Concox (康凯斯): the face the gateway uses.

``codec``: one frame in, one ``Decoded`` out (login, heartbeat, dispatch by protocol number); ``frames``:
splitting, CRC, reply frames; ``fields``: the shared readers; ``location``, ``status``, ``lists``,
``extended``: the packet families.
"""

from __future__ import annotations

from gps_gateway.protocols.gt06.codec import crc_x25, decode, split_frames

__all__ = ["crc_x25", "decode", "split_frames"]
