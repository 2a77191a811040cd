"""HMAC blind indexes: deterministic search tokens for exact-match lookups on encrypted columns.

The token is HMAC-SHA256(blind-index key, domain || normalised value), truncated to 128 bits.  The domain
("id_number", "phone", "name", …) keeps equal strings in different roles from matching each other.
Normalisation (backend/core/normalize.py) makes the obvious variants match (full-width digits, a lower-case
x check digit, +86).
"""

from __future__ import annotations

import hashlib
import hmac

from backend.core.crypto.keyring import get_keyring
from backend.core.normalize import (
    normalize_email,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    normalize_text,
)

NORMALIZERS = {
    "text": normalize_text,
    "name": normalize_name,
    "id_number": normalize_id_number,
    "phone": normalize_phone,
    "email": normalize_email,
}


def blind_index(domain: str, value: str, *, normalizer: str | None = None) -> str:
    """The search token for ``value`` in ``domain``; 32 hex digits."""
    normalized = NORMALIZERS[normalizer or domain](value)
    key = get_keyring().root.blind_index
    return hmac.new(key, domain.encode() + b"\x00" + normalized.encode("utf-8"), hashlib.sha256).hexdigest()[
        :32
    ]
