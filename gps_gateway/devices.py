"""A provisioned device as the gateway's sessions see it: who it is, what it proved, and what the
gateway learnt of it since the last status flush.  Filled and kept current by the device source
(``gps_gateway.ports.DeviceSource``); read and updated on the per-fix path without a query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gps_gateway.filters import LastPoint


@dataclass
class DeviceInfo:
    id: int
    protocol: str
    identifier: str
    model: str
    person_id: int | None
    auth_code_digest: str
    newest_fix: dt.datetime | None = None
    last_point: LastPoint | None = None
    last_seen: dt.datetime | None = None
    battery_pct: int | None = None
    dirty: bool = False  # last_seen/last_fix/battery changed since the last flush
    kind: str = ""
    # For a tag worn by a person: the last day its location order allows (None: no order at all).
    order_until: dt.date | None = None
    refused_without_order: int = 0  # fixes refused since the officer was last told to remove the tag
    registered: bool = False  # JT/T 808: a terminal is bound to it (read by ``sync``)
