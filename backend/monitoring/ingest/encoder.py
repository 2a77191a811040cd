"""FixRows into ``monitoring_position`` parameter tuples: the point and attributes sealed as the model's
encrypted fields would seal them (the same bytes on disk), a batch at a time."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from backend.core.crypto.keyring import Sealer, get_keyring
from backend.monitoring.models import Position
from gps_gateway.rows import FixRow

COLUMNS = (
    "device_id", "person_id", "fix_time", "received_at", "point", "valid", "source", "accuracy_m", "speed_kmh",
    "course", "altitude_m", "satellites", "battery_pct", "alarms", "late", "archive", "attributes", "implausible",
)  # fmt: skip


class Encoder:
    """Turns FixRows into parameter tuples, encrypting the point and attributes as the model fields do."""

    def __init__(self) -> None:
        self._point = Position._meta.get_field("point")
        self._attributes = Position._meta.get_field("attributes")
        self._point_aad = self._point.aad()
        self._attributes_aad = self._attributes.aad()
        # EncryptedJSONField.encode_plain's JSON with one encoder kept, not one built per fix by dumps().
        self._json = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))
        self._keyring = get_keyring
        self._adapt = connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC":
            self._adapt = _sqlite_datetime(self._adapt)

    def batch(self, rows: list[FixRow]) -> list[tuple]:
        """Parameter tuples for a batch; one keyring lookup and one conversion per distinct receive time."""
        sealer = self._keyring().sealer(2 * len(rows))  # a point and attributes at most per row
        received: dict[dt.datetime, object] = {}
        out = []
        for row in rows:
            when = received.get(row.received_at)
            if when is None:
                when = received[row.received_at] = self._adapt(row.received_at)
            out.append(self.encode(row, when, sealer))
        return out

    def attributes_plain(self, attributes: dict) -> bytes:
        return self._json.encode(attributes).encode()

    def encode(self, row: FixRow, received_at=None, sealer: Sealer | None = None) -> tuple:
        fix = row.fix
        encrypt = sealer.encrypt if sealer is not None else self._keyring().encrypt
        point = None
        if row.store_point and fix.latitude is not None and fix.longitude is not None:
            # The JSON of two floats, written directly: what EncryptedJSONField would produce, without its general JSON encoder.
            plain = f"[{float(fix.latitude)!r},{float(fix.longitude)!r}]".encode()
            point = encrypt(plain, self._point_aad)
        attributes = None
        if fix.attributes:
            attributes = encrypt(self.attributes_plain(fix.attributes), self._attributes_aad)
        return (
            row.device_id, row.person_id, self._adapt(fix.fix_time),
            received_at if received_at is not None else self._adapt(row.received_at), point,
            bool(fix.valid and point is not None), fix.source, fix.accuracy_m, fix.speed_kmh, fix.course,
            fix.altitude_m, fix.satellites, fix.battery_pct, ",".join(sorted(fix.alarms))[:200], row.late,
            fix.archive, attributes, row.implausible,
        )  # fmt: skip


def _sqlite_datetime(general):
    """What Django's SQLite backend stores for a datetime (naive UTC text), straight for the UTC-aware
    datetimes every decoder returns; anything else goes the general way."""
    utc = dt.UTC

    def adapt(value):
        if value is not None and value.tzinfo is utc:
            # str() of the naive value: the aware text without its "+00:00" (no naive copy built).
            return value.isoformat(" ")[:-6]
        return general(value)

    return adapt
