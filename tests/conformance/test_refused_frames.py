"""Frames the decoders refuse rather than store: a JT/T 808 body-length field that disagrees with the body,
H02 and Watch messages cut short, a Watch length field of 0000/0001; an OsmAnd alarm that is free text is
dropped (the fix is kept).  Each refusal names its reason, which the gateway counts."""

from __future__ import annotations

import datetime as dt

import pytest

from gps_gateway.protocols import h02, jt808, osmand, watch
from gps_gateway.protocols.common import Alarm, FrameError, SessionState
from gps_gateway.protocols.jt808.frames import checksum
from gps_gateway.simulate import jt808_location_body

NOW = dt.datetime(2026, 8, 21, 12, 0, tzinfo=dt.UTC)
PHONE = bytes.fromhex("013800138001")


def jt808_frame(body: bytes, *, length_field: int | None = None) -> bytes:
    """An unescaped 0x0200 frame as the splitter hands it over, with a body-length field of our choosing."""
    length = len(body) if length_field is None else length_field
    payload = (0x0200).to_bytes(2, "big") + length.to_bytes(2, "big") + PHONE + (7).to_bytes(2, "big") + body
    return payload + bytes([checksum(payload)])


BODY = jt808_location_body(NOW, 30.1, 120.2)


def test_a_jt808_frame_whose_length_field_matches_its_body_decodes() -> None:
    assert jt808.decode(jt808_frame(BODY), SessionState()).fixes[0].latitude == 30.1


@pytest.mark.parametrize("delta", [-1, 1, -10, 40], ids=["one-short", "one-long", "ten-short", "forty-long"])
def test_a_jt808_frame_whose_length_field_disagrees_with_its_body_is_refused(delta: int) -> None:
    with pytest.raises(FrameError) as refused:
        jt808.decode(jt808_frame(BODY, length_field=len(BODY) + delta), SessionState())
    assert refused.value.reason == "length_mismatch"


def test_a_jt808_body_cut_short_with_a_length_field_to_match_its_old_size_is_refused() -> None:
    with pytest.raises(FrameError) as refused:
        jt808.decode(jt808_frame(BODY[:20], length_field=len(BODY)), SessionState())
    assert refused.value.reason == "length_mismatch"


H02_V1 = b"*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#"


@pytest.mark.parametrize(
    "cut",
    [
        b"*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000#",  # no date, no status
        b"*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215#",  # no status
        b"*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFF#",  # status cut
    ],
    ids=["no-date", "no-status", "status-cut"],
)
def test_an_h02_position_cut_short_is_refused(cut: bytes) -> None:
    assert h02.decode(H02_V1, SessionState(), now=NOW).fixes  # the whole message is fine
    with pytest.raises(FrameError) as refused:
        h02.decode(cut, SessionState(), now=NOW)
    assert refused.value.reason == "cut_short"


WATCH_UD = b"[SG*9059056143*0053*UD,251021,223408,A,41.46500,N,081.53128,W,0.926,000,0,00,70,70,0,50,00000000,0,1,,,,00]"


WATCH_WIFI = (
    "UD,251021,223408,A,41.46500,N,081.53128,W,0.926,000,0,00,70,70,0,50,00000000,1,1,460,0,9360,4082,131,"
    "3,wifi1,a1:b2:c3:d4:e5:f6,-60,wifi2,a1:b2:c3:d4:e5:f7,-61,wifi3,a1:b2:c3:d4:e5:f8,-62,44.5"
)


def test_a_watch_position_cut_short_by_more_than_the_known_slack_is_refused() -> None:
    assert watch.decode(WATCH_UD, SessionState(), now=NOW).fixes  # its length field is off by 3: tolerated
    whole = f"[3G*9705141740*{len(WATCH_WIFI):04x}*{WATCH_WIFI}]".encode()
    assert watch.decode(whole, SessionState(), now=NOW).fixes
    cut = whole[: whole.index(b",wifi2")] + b"]"  # two access points gone, the length field unchanged
    with pytest.raises(FrameError) as refused:
        watch.decode(cut, SessionState(), now=NOW)
    assert refused.value.reason == "cut_short"
    with pytest.raises(FrameError) as refused:  # cut into the position fields themselves
        watch.decode(WATCH_UD[:-21] + b"]", SessionState(), now=NOW)
    assert refused.value.reason == "cut_short"


@pytest.mark.parametrize("field", [b"0000", b"0001"])
def test_a_watch_message_with_a_length_field_of_0000_or_0001_is_refused(field: bytes) -> None:
    for frame in (
        WATCH_UD.replace(b"*0053*", b"*" + field + b"*"),
        b"[3G*9705141740*" + field + b"*LK,1,0,80]",
    ):
        with pytest.raises(FrameError) as refused:
            watch.decode(frame, SessionState(), now=NOW)
        assert refused.value.reason == "length_field"


def test_a_watch_length_field_far_below_the_content_is_refused() -> None:
    with pytest.raises(FrameError) as refused:
        watch.decode(WATCH_UD.replace(b"*0053*", b"*0020*"), SessionState(), now=NOW)
    assert refused.value.reason == "length_field"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("sos", {Alarm.SOS}),
        ("SOS", {Alarm.SOS}),
        ("lowBattery", {Alarm.LOW_BATTERY}),
        ("low_battery", {Alarm.LOW_BATTERY}),
        ("powerCut", {Alarm.POWER_CUT}),
        ("tampering", {Alarm.TAMPERING}),
        ("removing", {Alarm.REMOVING}),
        ("fall", {Alarm.FALL_DOWN}),
        ("geofenceExit", {Alarm.GEOFENCE_EXIT}),
        ("sos,lowBattery", {Alarm.SOS, Alarm.LOW_BATTERY}),
        ("door", {"door"}),  # a Traccar alarm name we raise no alert for: kept under its name
    ],
)
def test_an_osmand_alarm_with_a_traccar_name_is_stored_under_that_name(sent: str, stored: set[str]) -> None:
    decoded = osmand.decode_request("GET", f"/?id=1&lat=1&lon=2&timestamp=0&alarm={sent}", None, b"")
    assert decoded.fixes[0].alarms == stored and "unknown_alarms" not in decoded.details


@pytest.mark.parametrize("sent", ["help me I am at the station", "<script>", "sos now", "SOS!!"])
def test_an_osmand_alarm_of_free_text_is_dropped_the_fix_kept_and_the_drop_reported(sent: str) -> None:
    decoded = osmand.decode_request(
        "GET", "/?" + "&".join(["id=1", "lat=1", "lon=2", "timestamp=0", f"alarm={sent}"]), None, b""
    )
    [fix] = decoded.fixes
    assert fix.alarms == set() and (fix.latitude, fix.longitude) == (1.0, 2.0)
    assert decoded.details["unknown_alarms"] == 1
    assert sent not in repr(fix.attributes)


def test_an_osmand_json_alarm_of_free_text_is_dropped_too() -> None:
    body = b'{"device_id": "7", "location": {"timestamp": "2025-06-15T13:45:12Z", "alarm": "call my lawyer", "coords": {"latitude": 1, "longitude": 2}}}'
    decoded = osmand.decode_request("POST", "/", "application/json", body)
    assert decoded.fixes[0].alarms == set() and decoded.details["unknown_alarms"] == 1
