"""Where a webhook may go: public addresses only, so that a staff member's webhook URL cannot make the
sender reach the host itself, the office network or a cloud metadata service (SSRF).

Refused: every address that is not globally routable (loopback, private, link-local, unique-local, shared
CGNAT space, unspecified, documentation and reserved ranges) and multicast — for IPv4 and IPv6, and for an
IPv4 address carried inside IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4, Teredo).
An operator lets an in-house receiver through by listing its network in ANBANG_WEBHOOK_ALLOWED_NETWORKS.

The check runs when the contact point is saved (a clear 422) and again at every send on the addresses the
name resolves to then; the sender connects to exactly the address it checked (``http.post_pinned``), so a
name that resolves differently a moment later (DNS rebinding) cannot steer the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedTarget(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""

    def __init__(self, address: str):
        super().__init__(address)
        self.address = address


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]


def is_allowed(address: IPAddress) -> bool:
    """True for a public unicast address, or one inside an operator-listed network."""
    candidates = [address]
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_ipv4(address)) is not None:
        candidates.append(inner)
    networks = _allowed_networks()
    if any(c in n for c in candidates for n in networks if c.version == n.version):
        return True
    return all(c.is_global and not c.is_multicast for c in candidates)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for (a literal is itself); raises OSError when the name does not resolve."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def checked_addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses to connect to; BlockedTarget if any of them is refused (a name that answers with a
    public and a private address is not trusted with either)."""
    addresses = resolve(host, port)
    for address in addresses:
        if not is_allowed(address):
            raise BlockedTarget(str(address))
    return addresses


def check_url(url: str) -> None:
    """At save time: refuse a URL whose host is, or now resolves to, a refused address.  A name that does
    not resolve yet is accepted; the check at send time still applies to it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    try:
        checked_addresses(host, port)
    except OSError:
        return
