"""H02 decoder against real frames (tests/conformance/device-captures/h02.tsv) and the protocol facts.

Rows are replayed in file order through one SessionState, as Traccar feeds one decoder instance.
"""

from __future__ import annotations

import datetime as dt

import pytest

from gps_gateway.protocols import h02
from gps_gateway.protocols.common import Alarm, FrameError, SessionState
from tests.conformance.captures import Capture, load
from tests.conformance.fix_expectations import check_expectation, ids
from tests.conformance.replay import Outcome, check_splitter_row, decoded_of, replay_rows

ROWS = load("h02")
DECODER_ROWS = [row for row in ROWS if row.expectation.kind != "frame"]
SPLITTER_ROWS = [row for row in ROWS if row.expectation.kind == "frame"]

NOW = dt.datetime(2026, 8, 21, 12, 0, tzinfo=dt.UTC)
V1 = b"*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#"


@pytest.fixture(scope="module")
def replay() -> dict[int, Outcome]:
    return replay_rows(DECODER_ROWS, lambda row, session: h02.decode(row.raw, session, now=NOW))


@pytest.mark.parametrize("row", DECODER_ROWS, ids=ids(DECODER_ROWS))
def test_capture_row_meets_its_expectation(row: Capture, replay: dict[int, Outcome]) -> None:
    check_expectation(decoded_of(row, replay[row.line]).fixes, row.expectation, now=NOW)


@pytest.mark.parametrize("row", SPLITTER_ROWS, ids=ids(SPLITTER_ROWS))
def test_splitter_row_meets_its_expectation(row: Capture) -> None:
    check_splitter_row(row, h02.split_frames)


def test_the_decoder_rows_as_one_stream_split_back_into_their_frames() -> None:
    frames = [row.raw for row in DECODER_ROWS]
    split = h02.split_frames(b"".join(frames))
    # The splitter drops the line break after a text frame; binary frames may end in 0x0A as data.
    assert split.frames == [frame.rstrip(b"\r\n") if frame[:1] == b"*" else frame for frame in frames]
    assert (split.rest, split.junk) == (b"", 0)


def test_splitter_keeps_a_partial_text_frame_and_counts_junk() -> None:
    split = h02.split_frames(b"\x00\x01" + V1 + b"\r\n" + V1[:20])
    assert split.frames == [V1] and split.rest == V1[:20] and split.junk == 2


def test_a_clear_bit_1_in_the_active_low_status_means_sos() -> None:
    fix = h02.decode(V1.replace(b"FFFFFBFF", b"FFFFFBFD"), SessionState()).fixes[0]
    assert fix.alarms == {Alarm.SOS}


def test_a_clear_bit_19_means_power_cut_and_a_set_bit_means_nothing() -> None:
    assert h02.decode(V1.replace(b"FFFFFBFF", b"FFF7FBFF"), SessionState()).fixes[0].alarms == {
        Alarm.POWER_CUT
    }
    assert h02.decode(V1, SessionState()).fixes[0].alarms == set()


def test_vibration_does_not_hide_an_sos() -> None:
    fix = h02.decode(V1.replace(b"FFFFFBFF", b"FFFFFBFC"), SessionState()).fixes[0]
    assert {Alarm.SOS, Alarm.VIBRATION} <= fix.alarms


def test_a_v1_position_is_decoded_in_utc_with_speed_from_knots() -> None:
    session = SessionState()
    decoded = h02.decode(V1.replace(b"000.00,000", b"010.00,090"), session)
    fix = decoded.fixes[0]
    assert session.device_id == decoded.device_id == "4210051415"
    assert fix.fix_time == dt.datetime(2015, 12, 22, 16, 45, 49, tzinfo=dt.UTC)
    assert fix.speed_kmh == pytest.approx(18.52) and fix.course == 90
    assert decoded.reply is None


def test_a_heartbeat_is_echoed() -> None:
    decoded = h02.decode(b"*HQ,135790246811220,HTBT,100#", SessionState())
    assert decoded.reply == b"*HQ,135790246811220,HTBT#"
    assert decoded.fixes[0].battery_pct == 100


def test_an_impossible_date_raises_frame_error() -> None:
    with pytest.raises(FrameError, match="impossible date"):
        h02.decode(V1.replace(b"221215", b"321315"), SessionState())


def test_an_unterminated_frame_raises_frame_error() -> None:
    with pytest.raises(FrameError):
        h02.decode(V1[:-1], SessionState())


def test_a_truncated_binary_frame_raises_frame_error() -> None:
    binary = next(row.raw for row in ROWS if row.line == 79)
    with pytest.raises(FrameError):
        h02.decode(binary[:20], SessionState())
