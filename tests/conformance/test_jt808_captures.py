"""JT/T 808 decoder against real frames (tests/conformance/device-captures/jt808.tsv) and the standard.

The capture rows are replayed once, in file order, through one SessionState (tests/conformance/replay.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gps_gateway.protocols import jt808
from gps_gateway.protocols.common import Alarm, Decoded, FrameError, SessionState
from gps_gateway.protocols.jt808.frames import build_frame, checksum
from tests.conformance.captures import Capture, load
from tests.conformance.fix_expectations import check_expectation, ids
from tests.conformance.replay import Outcome, check_splitter_row, decoded_of, replay_rows, strictly_refused

ROWS = load("jt808")
DECODER_ROWS = [row for row in ROWS if row.expectation.kind != "frame"]
SPLITTER_ROWS = [row for row in ROWS if row.expectation.kind == "frame"]

# README "Checksums": the rows whose XOR does not verify.  Strict decoding must refuse these.
KNOWN_BAD_CHECKSUM = {35, 41, 89, 107, 108, 109, 110, 111, 116}
# Rows whose XOR verifies but whose body-length field disagrees with the body (README: "Traccar mostly does
# not verify … length fields").  Row 113, a GL100 0x0900, says 122 bytes and carries 107.  The gateway
# refuses such frames (issue #23); the replay reads them leniently, as it does the bad checksums.
KNOWN_BAD_LENGTH = {113}
KNOWN_BAD = KNOWN_BAD_CHECKSUM | KNOWN_BAD_LENGTH
# README: a raw 7E inside the frame (the terminal did not escape it).
RAW_7E_INSIDE = {20, 46, 59, 99, 110}
# README erratum: it calls 117 an ASCII lock reply, but 117 is "$$" junk before the frame of row 116,
# so its frame fails the checksum for the same reason.
SAME_FRAME_AS_116 = {117}

# Where we deliberately name an alarm differently from Traccar.  JT/T 808 alarm bit 7 is main-supply
# under-voltage (主电源欠压); the brief and common.Alarm call that lowPower, Traccar calls it lowBattery.
ALARM_NAMING = {58: {"lowBattery": Alarm.LOW_POWER}}


def frame_of(row: Capture) -> bytes:
    """What the splitter hands the decoder: a lock sentence whole, a binary frame unescaped without flags.
    Rows are taken whole rather than split, because five of them hold a raw 7E (tested separately)."""
    raw = row.raw
    return raw if raw[:1] == b"(" else jt808.unescape(raw[1:-1])


@pytest.fixture(scope="module")
def replay() -> dict[int, Outcome]:
    return replay_rows(
        DECODER_ROWS,
        lambda row, session: jt808.decode(frame_of(row), session, model=row.expectation.model),
        lambda row, session: jt808.decode(
            frame_of(row), session, model=row.expectation.model, verify_checksum=False, verify_length=False
        ),
    )


# --- every row -----------------------------------------------------------------------------------


@pytest.mark.parametrize("row", DECODER_ROWS, ids=ids(DECODER_ROWS))
def test_capture_row_meets_its_expectation(row: Capture, replay: dict[int, Outcome]) -> None:
    decoded = decoded_of(row, replay[row.line], KNOWN_BAD)
    check_expectation(decoded.fixes, row.expectation, alarm_aliases=ALARM_NAMING.get(row.line))


def test_strict_decoding_refuses_exactly_the_known_bad_checksums_and_lengths(
    replay: dict[int, Outcome],
) -> None:
    assert strictly_refused(replay) == KNOWN_BAD - {row.line for row in SPLITTER_ROWS}
    for line in KNOWN_BAD_LENGTH:
        assert replay[line].strict_error is not None and replay[line].strict_error.reason == "length_mismatch"


@pytest.mark.parametrize("row", SPLITTER_ROWS, ids=ids(SPLITTER_ROWS))
def test_splitter_row_meets_its_expectation(row: Capture) -> None:
    # Our frames come without their flags.
    split = check_splitter_row(row, jt808.split_frames, unwrap=lambda frame: frame[1:-1])
    if row.line in KNOWN_BAD_CHECKSUM | SAME_FRAME_AS_116:
        with pytest.raises(FrameError):
            jt808.decode(split.frames[0], SessionState())


RAW_7E_ROWS = [row for row in ROWS if row.line in RAW_7E_INSIDE]


@pytest.mark.parametrize("row", RAW_7E_ROWS, ids=ids(RAW_7E_ROWS))
def test_splitter_keeps_a_frame_whole_when_a_raw_7e_sits_inside_it(row: Capture) -> None:
    split = jt808.split_frames(row.raw)
    assert split.frames == [frame_of(row)]
    assert (split.rest, split.junk) == (b"", 0)


def test_the_whole_capture_file_as_one_stream_splits_back_into_its_rows() -> None:
    split = jt808.split_frames(b"".join(row.raw for row in DECODER_ROWS))
    assert split.frames == [frame_of(row) for row in DECODER_ROWS]
    assert (split.rest, split.junk) == (b"", 0)


# --- the standard, by example --------------------------------------------------------------------

WORKED_EXAMPLE = bytes.fromhex(  # a 0x0200 location with TLV extras, unescaped, flags and checksum 13 removed
    "0200 0026 123456789012 007E"
    "00000001 00000002 00BA7F0E 07E4F11C 0028 003C 0000 181015101010"
    "01 04 00000064 02 02 007D".replace(" ", "")
)


def wire(payload: bytes) -> bytes:
    return b"\x7e" + jt808.escape(payload + bytes([checksum(payload)])) + b"\x7e"


def test_the_worked_0x0200_example_decodes_to_the_stated_values() -> None:
    assert checksum(WORKED_EXAMPLE) == 0x13
    split = jt808.split_frames(wire(WORKED_EXAMPLE))
    decoded = jt808.decode(split.frames[0], SessionState())
    assert (decoded.device_id, decoded.message) == ("123456789012", "location")
    [fix] = decoded.fixes
    assert fix.alarms == {Alarm.SOS}
    assert fix.valid is True
    assert (fix.latitude, fix.longitude) == (12.222222, 132.444444)
    assert (fix.altitude_m, fix.speed_kmh, fix.course) == (40, 6.0, 0)
    assert fix.fix_time == dt.datetime(2018, 10, 15, 2, 10, 10, tzinfo=dt.UTC)  # 10:10:10 in GMT+8
    assert fix.attributes["odometer"] == 10_000  # 100 × 0.1 km
    assert fix.attributes["fuel"] == 12.5


def test_a_location_is_acknowledged_with_a_0x8001_ok_for_its_serial() -> None:
    decoded = jt808.decode(WORKED_EXAMPLE + bytes([0x13]), SessionState())
    assert decoded.reply is not None
    [reply] = jt808.split_frames(decoded.reply).frames
    header = jt808.parse_header(reply)
    assert (header.msg_id, header.phone) == (0x8001, "123456789012")
    body = reply[header.header_length : -1]
    assert body == bytes.fromhex("007E 0200 00".replace(" ", ""))


def test_south_and_west_status_bits_make_the_coordinates_negative() -> None:
    body = bytearray(WORKED_EXAMPLE)
    body[16:20] = (0x02 | 0x04 | 0x08).to_bytes(4, "big")
    decoded = jt808.decode(bytes(body) + bytes([checksum(bytes(body))]), SessionState())
    assert (decoded.fixes[0].latitude, decoded.fixes[0].longitude) == (-12.222222, -132.444444)


def test_a_2019_header_decodes() -> None:
    frame = build_frame(0x0002, "00000866496077582164", 0x5218, b"", version_2019=True, protocol_version=1)
    [unescaped] = jt808.split_frames(frame).frames
    header = jt808.parse_header(unescaped)
    assert header.version_2019 and header.protocol_version == 1
    assert (header.phone, header.serial, header.header_length) == ("00000866496077582164", 0x5218, 17)
    session = SessionState()
    decoded = jt808.decode(unescaped, session)
    assert (decoded.device_id, decoded.message) == ("866496077582164", "heartbeat")
    assert session.protocol_version == 1
    assert jt808.parse_header(jt808.split_frames(decoded.reply or b"").frames[0]).version_2019


def test_a_2019_register_and_auth_give_the_gateway_what_it_needs() -> None:
    register = dict(_decode_row(6).details)
    assert register["version_2019"] is True and register["model"] == "MD300"
    answer = jt808.register_response(
        register["terminal_phone"],
        1,
        register["version_2019"],
        register["serial"],
        0,
        "866496077582164",
        register["protocol_version"],
    )
    [frame] = jt808.split_frames(answer).frames
    header = jt808.parse_header(frame)
    assert (header.msg_id, header.phone, header.protocol_version) == (0x8100, "00000866496077582164", 1)
    auth_body = bytes([4]) + b"1234" + b"866496077582164" + b"V1.0".ljust(20, b"\x00")
    frame = build_frame(0x0102, "00000866496077582164", 7, auth_body, version_2019=True, protocol_version=1)
    auth = jt808.decode(jt808.split_frames(frame).frames[0], SessionState())
    assert (auth.message, auth.reply) == ("auth", None)
    assert auth.details["auth_code"] == "1234" and auth.details["imei"] == "866496077582164"


def _decode_row(line: int) -> Decoded:
    [row] = [row for row in ROWS if row.line == line]
    return jt808.decode(frame_of(row), SessionState())


@pytest.mark.parametrize("version_2019", [False, True])
def test_replies_have_correct_checksum_and_escaping_and_decode_back(version_2019: bool) -> None:
    # Phone, serials and ids chosen so that 7E and 7D must be escaped.
    phone = bytes(4 if version_2019 else 0) + bytes.fromhex("017e7d000000")
    reply = jt808.general_response(phone, 0x7E7D, version_2019, 0x7D7E, 0x0200, 4)
    assert reply[0] == reply[-1] == 0x7E and 0x7E not in reply[1:-1]
    [frame] = jt808.split_frames(reply).frames
    assert checksum(frame[:-1]) == frame[-1]
    header = jt808.parse_header(frame)
    assert (header.msg_id, header.serial, header.version_2019) == (0x8001, 0x7E7D, version_2019)
    assert header.phone_bytes == phone
    assert frame[header.header_length : -1] == bytes.fromhex("7D7E 0200 04".replace(" ", ""))

    registered = jt808.register_response("013511221122", 1, version_2019, 0x007E, 0, "AUTH7E")
    [frame] = jt808.split_frames(registered).frames
    header = jt808.parse_header(frame)
    assert header.msg_id == 0x8100 and checksum(frame[:-1]) == frame[-1]
    assert frame[header.header_length : -1] == b"\x00\x7e\x00AUTH7E"


def test_a_refused_registration_carries_no_auth_code() -> None:
    [frame] = jt808.split_frames(jt808.register_response("013511221122", 1, False, 5, 3, "X")).frames
    assert frame[12:-1] == b"\x00\x05\x03"


def test_a_truncated_frame_raises_frame_error() -> None:
    short = WORKED_EXAMPLE[:30]  # the body stops inside the latitude
    with pytest.raises(FrameError):
        jt808.decode(short + bytes([checksum(short)]), SessionState())
    with pytest.raises(FrameError):
        jt808.decode(WORKED_EXAMPLE[:8], SessionState())


def test_a_wrong_checksum_raises_frame_error() -> None:
    with pytest.raises(FrameError, match="checksum"):
        jt808.decode(WORKED_EXAMPLE + bytes([0x14]), SessionState())


@pytest.mark.parametrize(
    "time", ["181315101010", "180230101010", "1810151a1010"], ids=["month-13", "feb-30", "hex"]
)
def test_an_impossible_bcd_date_raises_frame_error(time: str) -> None:
    payload = WORKED_EXAMPLE[:34] + bytes.fromhex(time) + WORKED_EXAMPLE[40:]
    with pytest.raises(FrameError):
        jt808.decode(payload + bytes([checksum(payload)]), SessionState())


def test_the_splitter_keeps_a_partial_frame_as_rest_and_counts_junk() -> None:
    whole = wire(WORKED_EXAMPLE)
    split = jt808.split_frames(b"GET /\r\n" + whole + b"\x7e\x7e" + whole + whole[:9])
    assert split.frames == [WORKED_EXAMPLE + b"\x13"] * 2
    assert split.rest == whole[:9]
    assert split.junk == 7
    assert jt808.split_frames(split.rest + whole[9:]).frames == [WORKED_EXAMPLE + b"\x13"]


def test_the_splitter_drops_an_overlong_partial_frame_and_counts_it() -> None:
    split = jt808.split_frames(b"\x7e" + b"\x01" * 300, max_frame=256)
    assert (split.frames, split.rest, split.junk) == ([], b"", 301)


def test_the_splitter_returns_lock_sentences_whole_between_binary_frames() -> None:
    whole = wire(WORKED_EXAMPLE)
    split = jt808.split_frames(whole + b"(7401,1,001,ELOCK,3,5294)" + whole)
    assert split.frames[1] == b"(7401,1,001,ELOCK,3,5294)" and len(split.frames) == 3


@given(st.binary(max_size=64) | st.lists(st.sampled_from([0x7D, 0x7E, 0x01, 0x02, 0x00])).map(bytes))
def test_escaping_round_trips_for_arbitrary_bytes(data: bytes) -> None:
    escaped = jt808.escape(data)
    assert 0x7E not in escaped
    assert jt808.unescape(escaped) == data


@given(st.lists(st.sampled_from([0x7D, 0x7E, 0x01, 0x02, 0x30]), max_size=40).map(bytes))
def test_any_payload_survives_the_wire_and_the_splitter(payload: bytes) -> None:
    frame = payload + bytes([checksum(payload)])
    assert jt808.split_frames(wire(payload)).frames == [frame]


def test_subpackaged_frames_come_back_as_fragments_and_reassemble() -> None:
    body = WORKED_EXAMPLE[12:]
    parts = [body[:20], body[20:]]
    headers = []
    for index, part in enumerate(parts, start=1):
        payload = (
            bytes.fromhex("0200")
            + (len(part) | 0x2000).to_bytes(2, "big")
            + bytes.fromhex("123456789012 0009".replace(" ", ""))
            + (2).to_bytes(2, "big")
            + index.to_bytes(2, "big")
            + part
        )
        decoded = jt808.decode(payload + bytes([checksum(payload)]), SessionState())
        assert decoded.message == "fragment" and (decoded.details["total"], decoded.details["index"]) == (
            2,
            index,
        )
        headers.append((decoded.details["header"], decoded.details["body"]))
    assert jt808.reassemble(headers[:1]) is None
    assert jt808.reassemble(list(reversed(headers))) == body
    whole = jt808.decode_message(headers[0][0], body, SessionState())
    assert whole.fixes[0].latitude == 12.222222


def test_strap_bits_are_removal_on_wristbands_and_tampering_elsewhere() -> None:
    payload = bytearray(WORKED_EXAMPLE)
    payload[12:16] = (1 << 16).to_bytes(4, "big")
    frame = bytes(payload) + bytes([checksum(bytes(payload))])
    assert jt808.decode(frame, SessionState()).fixes[0].alarms == {Alarm.TAMPERING}
    assert jt808.decode(frame, SessionState(), model="C5L").fixes[0].alarms == {Alarm.REMOVING}
    assert jt808.decode(frame, SessionState(), model="AL300").fixes[0].alarms == {Alarm.MOVEMENT}
    assert set(jt808.MODEL_ALARMS["C5L"].values()) >= {Alarm.SOS, Alarm.REMOVING}


def test_a_terminal_that_does_not_escape_is_read_literally_only_when_not_strict() -> None:
    [row] = [row for row in ROWS if row.line == 107]
    with pytest.raises(FrameError):
        jt808.decode(frame_of(row), SessionState(), model="JC371")
    decoded = jt808.decode(frame_of(row), SessionState(), model="JC371", verify_checksum=False)
    assert decoded.fixes[0].fix_time == dt.datetime(2026, 1, 1, 4, 0, tzinfo=dt.UTC)


def test_unknown_messages_are_other_not_errors() -> None:
    payload = bytes.fromhex("0f01 0002 123456789012 0001 abcd".replace(" ", ""))
    decoded = jt808.decode(payload + bytes([checksum(payload)]), SessionState())
    assert (decoded.message, decoded.fixes, decoded.reply) == ("other", [], None)
