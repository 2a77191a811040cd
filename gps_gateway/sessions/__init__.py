"""Per-protocol sessions between the decoders (pure) and the server (sockets): who the device is, whether it
has proved it, which fixes to store and what to answer.

``common``: the connection, the outcome of one frame, the unknown-device log; ``jt808``: register →
authenticate → data; ``imei``: the protocols whose devices only name themselves (GT06, H02, Watch).
"""
