"""How typed values are made comparable: full-width characters folded (NFKC), spaces and case evened out.
The blind index searches by these forms (backend/core/crypto/blind_index.py), and an ID number is checked
and stored in its normalised form (backend/people/idcard.py): the two must never disagree."""

from __future__ import annotations

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
