"""How each protocol's device identifier is stored and looked up: pure, shared by the gateway (lookups)
and the backend (provisioning, check-in phones), so both spell an identifier the same way."""

from __future__ import annotations

import hashlib


def osmand_digest(identifier: str) -> str:
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()


def normalize_identifier(protocol: str, identifier: str) -> str:
    """How each protocol's identifier is stored: JT/T 808 phones without leading zeros (decoders do the
    same), OsmAnd ids as their SHA-256 (the id is a credential), IMEIs as digits."""
    identifier = identifier.strip()
    if protocol == "jt808":
        return identifier.lstrip("0") or "0"
    if protocol == "osmand":
        return osmand_digest(identifier)
    return identifier
