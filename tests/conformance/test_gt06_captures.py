"""GT06 decoder against real frames (tests/conformance/device-captures/gt06.tsv) and the protocol facts.

The capture rows are replayed once, in file order, through one SessionState (tests/conformance/replay.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from gps_gateway.protocols import gt06
from gps_gateway.protocols.common import FrameError, SessionState
from gps_gateway.protocols.gt06.frames import build_reply, crc_x25, parse_frame, split_frames
from tests.conformance.captures import Capture, load
from tests.conformance.fix_expectations import check_attribute, check_expectation, ids
from tests.conformance.replay import Outcome, check_splitter_row, decoded_of, replay_rows, strictly_refused

ROWS = load("gt06")
DECODER_ROWS = [row for row in ROWS if row.expectation.kind != "frame"]
SPLITTER_ROWS = [row for row in ROWS if row.expectation.kind == "frame"]

# README "Checksums": the lines whose CRC-ITU does not verify (or whose length/trailer is wrong).
KNOWN_BAD = {37, 38, 39, 40, 54, 72, 78, 79, *range(101, 110), 117, 147, 157, 161, 162, 163}
KNOWN_BAD |= {*range(167, 171), 176, *range(189, 195)}

# Where we knowingly differ from Traccar's asserted value, with the value we give instead.
DEVIATIONS = {
    # The 0x32 frame ends with status and altitude 0x02AF = 687 m (its sibling on line 23 says 678 m).
    # Traccar reads the cell block two bytes too long and takes the CRC (0x8429) as altitude.
    22: ("altitude", 687.0),
}

LOGIN = bytes.fromhex("78780D01086471700328358100093F040D0A")
LOGIN_REPLY = bytes.fromhex("7878 0501 0009 5594 0D0A")  # same protocol number and serial, new CRC


@pytest.fixture(scope="module")
def replay() -> dict[int, Outcome]:
    return replay_rows(
        DECODER_ROWS,
        lambda row, session: gt06.decode(row.raw, session, model=row.expectation.model),
        lambda row, session: gt06.decode(row.raw, session, model=row.expectation.model, verify_crc=False),
    )


# --- every row -----------------------------------------------------------------------------------


@pytest.mark.parametrize("row", DECODER_ROWS, ids=ids(DECODER_ROWS))
def test_capture_row_meets_its_expectation(row: Capture, replay: dict[int, Outcome]) -> None:
    decoded = decoded_of(row, replay[row.line], KNOWN_BAD)
    if row.line in DEVIATIONS:
        key, value = DEVIATIONS[row.line]
        check_attribute(decoded.fixes[0], key, value)
        return
    check_expectation(decoded.fixes, row.expectation)


def test_strict_decoding_refuses_exactly_the_known_bad_lines(replay: dict[int, Outcome]) -> None:
    assert strictly_refused(replay) == KNOWN_BAD - {row.line for row in SPLITTER_ROWS}


@pytest.mark.parametrize("row", SPLITTER_ROWS, ids=ids(SPLITTER_ROWS))
def test_splitter_row_meets_its_expectation(row: Capture) -> None:
    check_splitter_row(row, split_frames)


def test_the_whole_capture_file_as_one_stream_splits_back_into_its_frames() -> None:
    rows = [row for row in ROWS if row.line not in (72, 153)]  # 72 lacks its last byte; 153 holds three
    split = split_frames(b"".join(row.raw for row in rows))
    assert split.frames == [row.raw for row in rows]
    assert (split.rest, split.junk) == (b"", 0)


def test_a_line_holding_three_frames_splits_into_three() -> None:
    raw = next(row.raw for row in ROWS if row.line == 153)
    split = split_frames(raw)
    assert len(split.frames) == 3 and b"".join(split.frames) == raw


# --- protocol facts --------------------------------------------------------------------------------


def test_crc_x25_of_the_standard_check_string_is_906e() -> None:
    assert crc_x25(b"123456789") == 0x906E


def test_crc_x25_of_the_login_example_matches_its_crc_field() -> None:
    assert crc_x25(LOGIN[2:-4]) == 0x3F04


def test_login_sets_the_device_and_is_answered_with_the_documented_bytes() -> None:
    session = SessionState()
    decoded = gt06.decode(LOGIN, session)
    assert decoded.message == "login" and decoded.fixes == []
    assert session.device_id == decoded.device_id == "864717003283581"
    assert decoded.reply == LOGIN_REPLY


def test_reply_builder_reproduces_the_login_reply() -> None:
    assert build_reply(0x01, 0x0009) == LOGIN_REPLY


def test_a_frame_with_a_wrong_crc_raises_frame_error() -> None:
    broken = LOGIN[:-4] + b"\x00\x00" + LOGIN[-2:]
    with pytest.raises(FrameError, match="CRC"):
        gt06.decode(broken, SessionState())


def test_a_truncated_frame_raises_frame_error() -> None:
    with pytest.raises(FrameError):
        gt06.decode(LOGIN[:12], SessionState())


def test_an_impossible_date_raises_frame_error() -> None:
    content = bytes([0x12]) + bytes([25, 13, 32, 25, 61, 61]) + bytes(12)  # month 13, day 32, …
    frame = build_reply(0x12, 1, content[1:])
    session = SessionState(device_id="864717003283581")
    with pytest.raises(FrameError, match="impossible date"):
        gt06.decode(frame, session)


def test_a_position_before_login_is_not_attributed_to_anyone() -> None:
    location = next(row.raw for row in ROWS if row.line == 145)
    decoded = gt06.decode(location, SessionState())
    assert decoded.device_id is None and decoded.fixes == [] and decoded.reply is None


def test_a_location_after_login_is_decoded_and_acknowledged() -> None:
    session = SessionState()
    gt06.decode(LOGIN, session)
    location = next(row.raw for row in ROWS if row.line == 145)
    decoded = gt06.decode(location, session)
    fix = decoded.fixes[0]
    assert fix.fix_time == dt.datetime(2015, 10, 20, 14, 21, 11, tzinfo=dt.UTC)
    assert (round(fix.latitude or 0, 5), round(fix.longitude or 0, 5)) == (54.94535, 24.01762)
    assert fix.valid and fix.speed_kmh == 0 and fix.satellites == 5
    assert decoded.reply == build_reply(0x12, parse_frame(location).serial)


def test_a_status_alarm_packet_sets_the_sos_alarm_and_is_acknowledged() -> None:
    session = SessionState(device_id="864717003283581")
    frame = next(row.raw for row in ROWS if row.line == 27)
    decoded = gt06.decode(frame, session)
    assert "sos" in decoded.fixes[0].alarms and decoded.message == "alarm"
    assert decoded.reply == build_reply(0x16, parse_frame(frame).serial)


def test_splitter_keeps_a_partial_frame_as_rest() -> None:
    split = split_frames(LOGIN + LOGIN[:7])
    assert split.frames == [LOGIN] and split.rest == LOGIN[:7] and split.junk == 0


def test_splitter_counts_leading_junk_and_resumes_at_the_header() -> None:
    split = split_frames(b"\x00\x01junk" + LOGIN + LOGIN)
    assert split.frames == [LOGIN, LOGIN] and split.rest == b"" and split.junk == 6


def test_splitter_keeps_a_lone_first_header_byte_for_the_next_read() -> None:
    split = split_frames(b"\x01\x02\x78")
    assert (split.frames, split.rest, split.junk) == ([], b"\x78", 2)


def test_splitter_gives_up_on_a_header_that_never_completes() -> None:
    buffer = b"\x78\x78\xff\x12" + bytes(40) + LOGIN
    split = split_frames(buffer, max_frame=32)
    assert split.frames == [LOGIN] and split.junk == len(buffer) - len(LOGIN)
