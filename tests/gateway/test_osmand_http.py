"""Traccar Client / OsmAnd over real HTTP: provision in the API, send as the app does, find the fix."""

from __future__ import annotations

import http.client
import json
import time

import pytest
from django.utils import timezone

from backend.monitoring.models import Position
from tests.support.gateway import issued_osmand_identifier, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def test_a_phone_app_reports_by_query_and_by_json(tmp_path, tree, officers, api):
    issued = issued_osmand_identifier(api(officers.owner), tree.township_a1)
    stamp = int(time.time()) - 60
    with running_gateway(tmp_path) as gateway:
        port = gateway.ports["osmand"]
        status, _ = request(
            port, "GET", f"/?id={issued}&timestamp={stamp}&lat=30.5&lon=120.5&speed=10&accuracy=8"
        )
        assert status == 200
        body = {
            "device_id": issued,
            "location": {
                "timestamp": timezone.now().isoformat(),
                "coords": {"latitude": 30.6, "longitude": 120.6, "accuracy": 5, "speed": 2, "heading": 90},
                "battery": {"level": 0.8, "is_charging": False},
            },
        }
        status, _ = request(
            port, "POST", "/", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        assert status == 200
    rows = list(Position.objects.order_by("fix_time"))
    assert [r.point for r in rows] == [[30.5, 120.5], [30.6, 120.6]]
    assert round(rows[0].speed_kmh, 3) == round(10 * 1.852, 3)  # knots in the query form
    assert rows[1].battery_pct == 80 and rows[1].accuracy_m == 5


def test_an_unknown_identifier_is_refused_and_creates_nothing(tmp_path, tree):
    with running_gateway(tmp_path) as gateway:
        port = gateway.ports["osmand"]
        assert request(port, "GET", "/?id=guessed&lat=30.5&lon=120.5")[0] == 400
        body = json.dumps(
            {"device_id": "guessed", "location": {"coords": {"latitude": 1, "longitude": 2}}}
        ).encode()
        assert request(port, "POST", "/", body, {"Content-Type": "application/json"})[0] == 404
        assert request(port, "POST", "/", b"x" * 70000, {"Content-Type": "application/json"})[0] == 413
    assert not Position.objects.exists()
