"""HMAC blind indexes: deterministic search tokens for exact-match lookups on encrypted columns.

The token is HMAC-SHA256(blind-index key, domain || normalised value), truncated to 128 bits.  The domain
("id_number", "phone", "name", …) keeps equal strings in different roles from matching each other.
Normalisation makes the obvious variants match (full-width digits, a lower-case x check digit, +86).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata


def normalize_text(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()


def normalize_name(value: str) -> str:
    # Chinese names carry no meaningful spaces ("张 三" is 张三); middle dots vary between fonts.
    return re.sub(r"[\s·•・]", "", unicodedata.normalize("NFKC", value))


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value)).upper()


def normalize_phone(value: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def normalize_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


NORMALIZERS = {
    "text": normalize_text,
    "name": normalize_name,
    "id_number": normalize_id_number,
    "phone": normalize_phone,
    "email": normalize_email,
}


def blind_index(domain: str, value: str, *, normalizer: str | None = None) -> str:
    """The search token for ``value`` in ``domain``; 32 hex digits."""
    from backend.core.crypto.keyring import get_keyring

    normalized = NORMALIZERS[normalizer or domain](value)
    key = get_keyring().root.blind_index
    return hmac.new(key, domain.encode() + b"\x00" + normalized.encode("utf-8"), hashlib.sha256).hexdigest()[
        :32
    ]
