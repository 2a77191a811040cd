"""OsmAnd / Traccar Client decoder against real requests (tests/conformance/device-captures/osmand.tsv).

A row starting with ``/`` is the target of a GET; a row starting with ``{`` is the body of a
``POST /`` with ``Content-Type: application/json``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from gps_gateway.protocols import osmand
from gps_gateway.protocols.common import Alarm, Decoded, FrameError, Source
from tests.conformance.captures import Capture, load
from tests.conformance.fix_expectations import check_expectation, ids

ROWS = load("osmand")
RECEIVED_AT = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)  # the server clock for rows without a time


def request(row: Capture) -> Decoded:
    if row.payload.startswith("{"):
        return osmand.decode_request("POST", "/", "application/json", row.raw, received_at=RECEIVED_AT)
    return osmand.decode_request("GET", row.payload, None, b"", received_at=RECEIVED_AT)


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_capture_row_meets_its_expectation(row: Capture) -> None:
    expectation = row.expectation
    if expectation.kind == "null":
        # Our "null": a request without a device id is refused (the gateway answers 400 and counts it).
        with pytest.raises(FrameError):
            request(row)
        return
    check_expectation(request(row).fixes, expectation)


# --- units and keys, by example ------------------------------------------------------------------


def test_query_speed_is_knots_and_becomes_kmh() -> None:
    [fix] = osmand.decode_request("GET", "/?id=1&lat=1&lon=2&speed=10&timestamp=0", None, b"").fixes
    assert fix.speed_kmh == pytest.approx(18.52)


def test_json_speed_is_metres_per_second_and_negative_means_unknown() -> None:
    body = b'{"device_id": "7", "location": {"timestamp": "2025-06-15T13:45:12Z", "coords": {"latitude": 1, "longitude": 2, "speed": 10, "heading": -1, "accuracy": 4}}}'
    [fix] = osmand.decode_request("POST", "/", "application/json; charset=utf-8", body).fixes
    assert fix.speed_kmh == pytest.approx(36.0)
    assert fix.course is None and fix.accuracy_m == 4.0


def test_json_battery_level_is_a_fraction_and_becomes_percent() -> None:
    body = b'{"device_id": "7", "location": {"timestamp": 1750000000, "battery": {"level": 0.29, "is_charging": true}}}'
    [fix] = osmand.decode_request("POST", "/", "application/json", body).fixes
    assert fix.battery_pct == 29 and fix.attributes["batteryLevel"] == 29 and fix.attributes["charge"] is True


def test_mock_locations_and_alarms_are_kept() -> None:
    body = b'{"device_id": "7", "location": {"timestamp": "2025-06-15T13:45:12Z", "mock": true, "alarm": "sos", "coords": {"latitude": 1, "longitude": 2}}}'
    [fix] = osmand.decode_request("POST", "/", "application/json", body).fixes
    assert fix.attributes["mock"] is True and fix.alarms == {Alarm.SOS}
    [fix] = osmand.decode_request("GET", "/?id=1&lat=1&lon=2&alarm=sos&timestamp=0", None, b"").fixes
    assert fix.alarms == {Alarm.SOS}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1377177267", dt.datetime(2013, 8, 22, 13, 14, 27, tzinfo=dt.UTC)),
        ("1442068686579", dt.datetime(2015, 9, 12, 14, 38, 6, 579000, tzinfo=dt.UTC)),
        ("2016-01-27T18:55:47Z", dt.datetime(2016, 1, 27, 18, 55, 47, tzinfo=dt.UTC)),
        ("2016-01-27T20:55:47+02:00", dt.datetime(2016, 1, 27, 18, 55, 47, tzinfo=dt.UTC)),
        ("2014-06-04 09:10:11", dt.datetime(2014, 6, 4, 9, 10, 11, tzinfo=dt.UTC)),
    ],
    ids=["epoch-s", "epoch-ms", "iso-z", "iso-offset", "plain"],
)
def test_timestamps_in_every_accepted_form(value: str, expected: dt.datetime) -> None:
    assert osmand.parse_timestamp(value) == expected


def test_a_bad_timestamp_raises_frame_error() -> None:
    with pytest.raises(FrameError):
        osmand.decode_request("GET", "/?id=1&timestamp=yesterday", None, b"")


def test_cells_and_wifi_without_coordinates_make_a_network_fix() -> None:
    target = "/?id=1&timestamp=0&cell=257,02,16,2224&cell=257,02,16,2223,-90"
    [fix] = osmand.decode_request("GET", target, None, b"").fixes
    assert fix.source == Source.CELL and fix.latitude is None and not fix.valid
    assert fix.attributes["network"]["cellTowers"][1] == {
        "mcc": 257,
        "mnc": 2,
        "lac": 16,
        "cid": 2223,
        "rssi": -90,
    }
    [fix] = osmand.decode_request("GET", target + "&wifi=00-14-22-01-23-45,-80", None, b"").fixes
    assert fix.source == Source.WIFI


def test_a_form_body_is_read_when_the_query_is_empty() -> None:
    decoded = osmand.decode_request(
        "POST", "/", "application/x-www-form-urlencoded", b"id=9&lat=1&lon=2&timestamp=0"
    )
    assert decoded.device_id == "9" and decoded.fixes[0].latitude == 1.0


def test_a_json_batch_gives_one_fix_per_location() -> None:
    body = b'{"device_id": "7", "location": [{"timestamp": 1, "coords": {"latitude": 1, "longitude": 2}}, {"timestamp": 2, "coords": {"latitude": 3, "longitude": 4}}]}'
    decoded = osmand.decode_request("POST", "/", "application/json", body)
    assert decoded.message == "batch" and [fix.latitude for fix in decoded.fixes] == [1.0, 3.0]


def test_unknown_keys_keep_their_names_and_types() -> None:
    [fix] = osmand.decode_request(
        "GET", "/?id=1&timestamp=0&ignition=true&rpm=933&fuel=24.5&note=hi", None, b""
    ).fixes
    assert fix.attributes == {"ignition": True, "rpm": 933, "fuel": 24.5, "note": "hi"}


def test_missing_id_and_broken_json_raise_frame_error() -> None:
    with pytest.raises(FrameError):
        osmand.decode_request("GET", "/?lat=1&lon=2", None, b"")
    with pytest.raises(FrameError):
        osmand.decode_request("POST", "/", "application/json", b"{not json")
    with pytest.raises(FrameError):
        osmand.decode_request("POST", "/", "application/json", b'{"location": {}}')


def test_replies_follow_traccar() -> None:
    assert osmand.reply_ok() == (200, b"")
    assert osmand.reply_unknown_device(is_json=True) == (404, b"")
    assert osmand.reply_unknown_device(is_json=False) == (400, b"")
