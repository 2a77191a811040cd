"""What a phone or terminal needs to reach the gateway, as one line of text for a QR code (shown once, with
the credential, when a device is registered: the console's 设备已登记 page and the API's ``setup``).

- OsmAnd / Traccar Client: the server URL with the issued identifier as ``id`` — the very request the app
  sends (``http://<host>:<port>/?id=<identifier>``), so the officer or the app reads both from it.
- JT/T 808: ``jt808://<host>:<port>?phone=<terminal phone>&auth=<auth code>`` for the terminal's setup tool.

Host and ports come from settings (``ANBANG_GATEWAY_PUBLIC_HOST``, ``ANBANG_OSMAND_PORT``,
``ANBANG_JT808_PORT``; docs/protocols.md).  Other protocols carry no credential and get no code.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from backend.monitoring.models import Device, Protocol


def gateway_address(port: int) -> str:
    host = settings.GATEWAY_PUBLIC_HOST
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"{host}:{port}"


def server_address(device: Device) -> str | None:
    """What the app's 服务器地址 or the terminal's server setting is, for the protocols that have a code."""
    if device.protocol == Protocol.OSMAND:
        return f"http://{gateway_address(settings.OSMAND_PORT)}"
    if device.protocol == Protocol.JT808:
        return gateway_address(settings.JT808_PORT)
    return None


def setup_text(device: Device, credential: str | None) -> str | None:
    if not credential or (server := server_address(device)) is None:
        return None
    if device.protocol == Protocol.OSMAND:
        return f"{server}/?{urlencode({'id': credential})}"
    return f"jt808://{server}?{urlencode({'phone': device.identifier, 'auth': credential})}"
