"""Tracker protocol decoders: pure functions over bytes (no I/O, no Django), one module per protocol
(``h02``, ``watch``, ``osmand``) or one package for the larger ones (``jt808/``, ``gt06/``), on ``common``.

Each protocol offers:
- ``split_frames(buffer: bytes) -> FrameSplit``: complete frames out of a TCP stream buffer, the rest kept;
- ``decode(frame: bytes, session: SessionState) -> Decoded``: one frame into fixes, a reply and facts;
- reply builders for what the gateway sends once the fixes are committed.
"""
