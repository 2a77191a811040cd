"""Watch ("3G") decoder against real frames (tests/conformance/device-captures/watch.tsv) and the facts.

Rows are replayed in file order through one SessionState, as Traccar feeds one decoder instance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from gps_gateway.protocols import watch
from gps_gateway.protocols.common import Alarm, FrameError, SessionState
from tests.conformance.captures import Capture, load
from tests.conformance.fix_expectations import check_attribute, check_expectation, ids
from tests.conformance.replay import Outcome, check_splitter_row, decoded_of, replay_rows

ROWS = load("watch")
DECODER_ROWS = [row for row in ROWS if row.expectation.kind != "frame"]
SPLITTER_ROWS = [row for row in ROWS if row.expectation.kind == "frame"]
VOICE_LINE = 51  # its note: media storage is stubbed to return "mock.amr"; the clip is written once

NOW = dt.datetime(2026, 8, 21, 12, 0, tzinfo=dt.UTC)


@dataclass
class WatchOutcome(Outcome):
    stored: list[tuple[bytes, str]] = field(default_factory=list)


def attach_media(outcome: WatchOutcome) -> None:
    """What the gateway does after decoding: write each clip once, put its name on the fix."""
    stored = outcome.stored
    assert outcome.decoded is not None

    def store(data: bytes, extension: str) -> str:
        stored.append((data, extension))
        return "mock.amr"

    watch.attach_media(outcome.decoded, store)


@pytest.fixture(scope="module")
def replay() -> dict[int, WatchOutcome]:
    return replay_rows(
        DECODER_ROWS,
        lambda row, session: watch.decode(row.raw, session, now=NOW),
        outcome=WatchOutcome,
        after=attach_media,
    )


@pytest.mark.parametrize("row", DECODER_ROWS, ids=ids(DECODER_ROWS))
def test_capture_row_meets_its_expectation(row: Capture, replay: dict[int, WatchOutcome]) -> None:
    check_expectation(decoded_of(row, replay[row.line]).fixes, row.expectation, now=NOW)


def test_the_voice_message_is_stored_exactly_once_and_named_on_its_fix(
    replay: dict[int, WatchOutcome],
) -> None:
    outcome = replay[VOICE_LINE]
    assert outcome.decoded is not None and outcome.stored is not None
    assert outcome.stored == [(b"#!AMR}[],*\xff", "amr")]
    check_attribute(outcome.decoded.fixes[0], "audio", "mock.amr")
    others = [line for line, o in replay.items() if o.stored and line != VOICE_LINE]
    assert others == []


@pytest.mark.parametrize("row", SPLITTER_ROWS, ids=ids(SPLITTER_ROWS))
def test_splitter_row_meets_its_expectation(row: Capture) -> None:
    check_splitter_row(row, watch.split_frames)


def test_the_text_rows_as_one_stream_split_back_into_their_frames() -> None:
    rows = [row.raw for row in DECODER_ROWS if row.kind == "text"]
    split = watch.split_frames(b"".join(rows))
    assert split.frames == rows and (split.rest, split.junk) == (b"", 0)


def test_a_frame_split_from_a_stream_decodes() -> None:
    raw = next(row.raw for row in SPLITTER_ROWS if row.line == 52)
    split = watch.split_frames(raw)
    assert len(split.frames) == 4 and (split.rest, split.junk) == (b"", 0)
    session = SessionState()
    decoded = [watch.decode(frame, session) for frame in split.frames]
    assert [d.details["command"] for d in decoded] == ["LK", "UD", "TKQ", "LK"]
    assert decoded[1].fixes[0].latitude == pytest.approx(36.815109)


def test_reply_length_field_is_the_content_length_in_four_hex_digits() -> None:
    assert watch.reply("3G", "1234567890", "LK") == b"[3G*1234567890*0002*LK]"
    assert watch.reply("SG", "8800000015", "JXTKR,1") == b"[SG*8800000015*0007*JXTKR,1]"
    assert watch.reply("ZJ", "014111001350304", "A" * 300, index="0033").startswith(
        b"[ZJ*014111001350304*0033*012c*"
    )


def test_heartbeat_and_alarm_are_answered_in_kind() -> None:
    lk = watch.decode(b"[3G*4700186508*000B*LK,0,10,100]", SessionState())
    assert lk.reply == b"[3G*4700186508*0002*LK]" and lk.fixes[0].battery_pct == 100
    al = watch.decode(next(row.raw for row in ROWS if row.line == 43), SessionState())
    assert al.reply == b"[SG*8800000015*0002*AL]"


def test_escape_round_trip_restores_every_special_byte() -> None:
    payload = bytes(range(256)) + b"}[],*}}]]"
    escaped = watch.escape(payload)
    assert not set(escaped) & set(b"[],*")
    assert watch.unescape(escaped) == payload
    split = watch.split_frames(b"[CS*1234567890*0009*TK," + escaped + b"]")
    assert split.frames == [b"[CS*1234567890*0009*TK," + payload + b"]"]


def test_a_length_field_that_is_off_is_tolerated_and_reported() -> None:
    decoded = watch.decode(b"[3G*4700186508*0009*LK,0,10,100]", SessionState())
    assert decoded.fixes and decoded.details["length_mismatch"] == 2


def test_status_bits_give_every_alarm_that_is_set() -> None:
    frame = next(row.raw for row in ROWS if row.line == 40).replace(b",0000,", b",00110001,")
    fix = watch.decode(frame, SessionState()).fixes[0]
    assert {Alarm.SOS, Alarm.REMOVING, Alarm.LOW_BATTERY} <= fix.alarms


def test_ud2_is_marked_archive() -> None:
    fix = watch.decode(next(row.raw for row in ROWS if row.line == 42), SessionState()).fixes[0]
    assert fix.archive is True


def test_an_impossible_date_raises_frame_error() -> None:
    frame = next(row.raw for row in ROWS if row.line == 40).replace(b"220414", b"320414")
    with pytest.raises(FrameError, match="impossible date"):
        watch.decode(frame, SessionState())


def test_a_frame_without_its_closing_bracket_raises_frame_error() -> None:
    with pytest.raises(FrameError):
        watch.decode(b"[3G*4700186508*000B*LK,0,10,100", SessionState())


def test_splitter_keeps_a_partial_frame_and_counts_junk() -> None:
    split = watch.split_frames(b"xx[3G*1*0002*LK][3G*1*00")
    assert split.frames == [b"[3G*1*0002*LK]"] and split.rest == b"[3G*1*00" and split.junk == 2
