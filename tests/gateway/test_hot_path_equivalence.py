"""The per-fix shortcuts read and write exactly what the general code does: the JT/T 808 frame length
the splitter asks for, GMT+8 device times and their BCD, the replies' headers, the GT06 CRC, the SQLite
datetime text and the attributes' JSON."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from backend.monitoring.ingest.encoder import Encoder, _sqlite_datetime
from backend.monitoring.models import Position
from gps_gateway.protocols import jt808
from gps_gateway.protocols.common import CHINA_TZ, FrameError, from_china_time
from gps_gateway.protocols.gt06.frames import crc_x25
from gps_gateway.protocols.jt808.frames import (
    build_frame,
    checksum,
    china_time,
    escape,
    expected_length,
    parse_header,
)
from tests.conformance.captures import load


def _length_by_header(frame: bytes) -> int | None:
    try:
        header = parse_header(frame)
    except FrameError:
        return None
    return header.header_length + header.body_length + 1


def test_the_splitters_frame_length_agrees_with_the_full_header_for_every_capture_and_every_truncation():
    frames = [row.raw for row in load("jt808") if row.raw[:1] == b"\x7e"]
    assert frames
    for raw in frames:
        frame = jt808.unescape(raw[1:-1])
        for cut in range(len(frame) + 1):
            assert expected_length(frame[:cut]) == _length_by_header(frame[:cut]), (raw.hex(), cut)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31, 23, 59, 59)))
def test_a_gmt8_device_time_is_the_same_instant_as_read_through_the_china_time_zone(local: dt.datetime):
    local = local.replace(microsecond=0)
    parts = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    expected = dt.datetime(*parts, tzinfo=CHINA_TZ).astimezone(dt.UTC)
    got = from_china_time(*parts)
    assert got == expected and got.tzinfo is dt.UTC


_BCD_TIMES = st.one_of(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31, 23, 59, 59)).map(
        lambda t: bytes.fromhex(t.strftime("%y%m%d%H%M%S"))
    ),
    st.text("0123456789", min_size=12, max_size=12).map(bytes.fromhex),  # digits, not always a date
    st.binary(min_size=6, max_size=6),  # mostly not BCD at all
)


@given(_BCD_TIMES)
def test_a_bcd_device_time_read_by_table_is_the_time_its_digits_say_or_a_frame_error(raw: bytes):
    digits = raw.hex()
    try:
        expected = from_china_time(
            *(int(digits[i : i + 2]) + (2000 if i == 0 else 0) for i in range(0, 12, 2))
        )
    except (FrameError, ValueError):  # ValueError: a nibble above 9 is no digit
        with pytest.raises(FrameError):
            china_time(raw)
    else:
        assert china_time(raw) == expected


def _crc_x25_bitwise(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


@given(st.binary(max_size=600))
def test_the_gt06_crc_computed_in_c_is_crc_16_x25_bit_by_bit(data: bytes):
    assert crc_x25(data) == _crc_x25_bitwise(data)


@given(
    st.integers(0, 0xFFFF), st.binary(min_size=6, max_size=10), st.integers(0, 0xFFFF), st.binary(max_size=64),
    st.booleans(), st.booleans(), st.one_of(st.none(), st.integers(0, 255)),
)  # fmt: skip
def test_a_reply_header_packed_in_one_struct_call_is_the_standards_header_field_by_field(
    msg_id, phone, serial, body, version_2019, short_serial, protocol_version
):
    phone = phone[:10] if version_2019 else phone[:6]
    header = msg_id.to_bytes(2, "big") + ((len(body) & 0x03FF) | (0x4000 if version_2019 else 0)).to_bytes(
        2, "big"
    )
    if version_2019:
        header += bytes([(protocol_version or 1) & 0xFF]) + phone.rjust(10, b"\0")
    else:
        header += phone.rjust(6, b"\0")
    header += bytes([serial & 0xFF]) if short_serial else serial.to_bytes(2, "big")
    payload = header + body
    expected = b"\x7e" + escape(payload + bytes([checksum(payload)])) + b"\x7e"
    built = build_frame(msg_id, phone.rjust(10 if version_2019 else 6, b"\0"), serial, body,
                        version_2019=version_2019, protocol_version=protocol_version, short_serial=short_serial)  # fmt: skip
    assert built == expected


def test_an_impossible_device_time_is_a_frame_error():
    with pytest.raises(FrameError):
        from_china_time(2024, 2, 30, 0, 0, 0)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's datetime text")
def test_the_writers_sqlite_datetime_text_is_what_django_stores():
    general = connection.ops.adapt_datetimefield_value
    adapt = _sqlite_datetime(general)
    for value in (
        dt.datetime(2026, 11, 29, 13, 4, 10, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 29, 13, 4, 10, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 29, 21, 4, 10, tzinfo=CHINA_TZ),  # not UTC: the general way
        None,
    ):
        assert adapt(value) == general(value)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's datetime text")
@given(st.datetimes(timezones=st.just(dt.UTC)))
def test_any_utc_fix_time_gets_the_sqlite_text_django_would_store(value: dt.datetime):
    general = connection.ops.adapt_datetimefield_value
    assert _sqlite_datetime(general)(value) == general(value)


@pytest.mark.django_db
def test_the_writers_attributes_json_is_what_the_encrypted_field_writes():
    field = Position._meta.get_field("attributes")
    encoder = Encoder()
    for attributes in (
        {"ignition": False, "blocked": False, "charge": True},
        {"sat": 9, "network": {"cellTowers": [{"mobileCountryCode": 460, "cellId": 22136}]}},
        {"text": "剪断报警", "power": 12.5, "deviceTime": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {"fuel": decimal.Decimal("1.50"), "none": None},
    ):
        assert encoder.attributes_plain(attributes) == field.encode_plain(attributes)


@pytest.mark.django_db
def test_a_batchs_encrypted_values_open_with_the_keyring_and_never_share_a_nonce():
    from backend.core.crypto.keyring import NONCE_BYTES, get_keyring, parse_token
    from backend.monitoring.ingest.encoder import COLUMNS
    from gps_gateway.protocols.common import Fix
    from gps_gateway.rows import FixRow

    when = dt.datetime(2026, 11, 29, 13, 4, 10, tzinfo=dt.UTC)
    rows = [
        FixRow(1, None, Fix(fix_time=when + dt.timedelta(seconds=n), latitude=30.5, longitude=120.25, valid=True,
                            attributes={"ignition": bool(n % 2)}), when, late=False)
        for n in range(50)
    ]  # fmt: skip
    point, attributes = Position._meta.get_field("point"), Position._meta.get_field("attributes")
    keyring = get_keyring()
    nonces = set()
    for params in Encoder().batch(rows):
        values = dict(zip(COLUMNS, params, strict=True))
        assert keyring.decrypt(values["point"], point.aad()) == b"[30.5,120.25]"
        assert attributes.decode_plain(keyring.decrypt(values["attributes"], attributes.aad())) in (
            {"ignition": True}, {"ignition": False},
        )  # fmt: skip
        for token in (values["point"], values["attributes"]):
            nonces.add(parse_token(token)[1][:NONCE_BYTES])
    assert len(nonces) == 100
