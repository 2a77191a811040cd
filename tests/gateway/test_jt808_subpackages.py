"""A JT/T 808 message split into sub-packages (分包) over real TCP: kept until complete, stored once,
and answered once, against the first packet's serial."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.monitoring.models import Device, Position
from gps_gateway.protocols.jt808.frames import checksum, escape
from gps_gateway.simulate import jt808_location_body
from tests.support.gateway import authenticated_terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"


def subpackages(msg_id: int, phone: str, first_serial: int, body: bytes, total: int) -> list[bytes]:
    """``body`` cut into ``total`` frames with the sub-package flag, packet count and index in the header."""
    size = -(-len(body) // total)
    frames = []
    for index in range(1, total + 1):
        part = body[(index - 1) * size : index * size]
        payload = (
            msg_id.to_bytes(2, "big") + (len(part) | 0x2000).to_bytes(2, "big") + bytes.fromhex(phone)
            + (first_serial + index - 1).to_bytes(2, "big") + total.to_bytes(2, "big") + index.to_bytes(2, "big")
            + part
        )  # fmt: skip
        frames.append(b"\x7e" + escape(payload + bytes([checksum(payload)])) + b"\x7e")
    return frames


def test_a_location_in_two_sub_packages_is_stored_once_both_have_arrived(tmp_path, tree):
    Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0")
    )
    when = timezone.now().replace(microsecond=0)
    with running_gateway(tmp_path) as gateway:
        terminal = authenticated_terminal(gateway.ports["jt808"], PHONE)
        first_serial = terminal.serial + 1
        first, second = subpackages(0x0200, PHONE, first_serial, jt808_location_body(when, 30.1, 120.2), 2)
        terminal.sock.sendall(first)
        assert terminal.receive(timeout=1) is None  # half a message: nothing to answer or store yet
        assert not Position.objects.exists()
        terminal.sock.sendall(second)
        assert terminal.general_result(first_serial, 0x0200) == 0  # after the commit
        assert terminal.receive(timeout=0.5) is None  # one answer for the whole message
        terminal.close()
    stored = Position.objects.get()
    assert (stored.fix_time, stored.point) == (when, [30.1, 120.2])
