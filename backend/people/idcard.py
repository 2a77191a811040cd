"""Identity documents: the resident ID number (居民身份证号码, GB 11643-1999) and the others we accept.

An 18-character resident ID is 6 digits of region, 8 of birth date (YYYYMMDD), 3 of sequence (odd =
male) and an ISO 7064 MOD 11-2 check character.  A wrong check character is almost always a typo, and
a typo in an ID number means a person nobody can find again — so it is refused, not stored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from backend.core.errors import Invalid
from backend.core.normalize import normalize_id_number

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class DocumentType:
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAU_PERMIT = "hk_macau_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT = "foreign_permanent"
    OTHER = "other"

    CHOICES = [
        (RESIDENT_ID, "居民身份证"),
        (PASSPORT, "护照"),
        (HK_MACAU_PERMIT, "港澳居民来往内地通行证"),
        (TAIWAN_PERMIT, "台湾居民来往大陆通行证"),
        (FOREIGN_PERMANENT, "外国人永久居留身份证"),
        (OTHER, "其他证件"),
    ]


# Shapes of the other documents; enough to catch a number typed into the wrong box.
_PATTERNS = {
    DocumentType.PASSPORT: re.compile(r"^[A-Z0-9]{5,17}$"),
    DocumentType.HK_MACAU_PERMIT: re.compile(r"^[HM]\d{8,10}$", re.ASCII),
    DocumentType.TAIWAN_PERMIT: re.compile(r"^\d{8}(\d{2})?$", re.ASCII),
    DocumentType.FOREIGN_PERMANENT: re.compile(r"^([A-Z]{3}\d{12}|9\d{17})$", re.ASCII),
    DocumentType.OTHER: re.compile(r"^[A-Z0-9-]{3,32}$"),
}


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "male" | "female"
    region: str


def check_character(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse_resident_id(number: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate an 18-character resident ID; raise Invalid with the reason (never echoing the number)."""
    number = normalize_id_number(number)
    # ASCII digits only: ``\d`` alone also takes Arabic-Indic and other decimal digits, which NFKC leaves
    # as they are and ``int()`` reads: such a number passed and was stored, never found by one typed in 0-9.
    if not re.fullmatch(r"\d{17}[\dX]", number, flags=re.ASCII):
        raise Invalid("身份证号码应为 18 位（末位可为 X）", {"field": "id_number", "reason": "format"})
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise Invalid(
            "身份证号码中的出生日期不存在", {"field": "id_number", "reason": "birth_date"}
        ) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise Invalid("身份证号码中的出生日期不合理", {"field": "id_number", "reason": "birth_date"})
    if check_character(number[:17]) != number[17]:
        raise Invalid("身份证号码校验位错误，请核对", {"field": "id_number", "reason": "check_digit"})
    return ResidentId(number, birth, "male" if int(number[16]) % 2 else "female", number[:6])


def validate_document(doc_type: str, number: str) -> str:
    """The normalised number if it fits its document type; Invalid otherwise."""
    if doc_type == DocumentType.RESIDENT_ID:
        return parse_resident_id(number).number
    pattern = _PATTERNS.get(doc_type)
    if pattern is None:
        raise Invalid("未知的证件类型", {"field": "id_type"})
    normalized = normalize_id_number(number)
    if not pattern.fullmatch(normalized):
        raise Invalid("证件号码格式不正确", {"field": "id_number", "reason": "format", "id_type": doc_type})
    return normalized


def mask(number: str | None) -> str | None:
    """What a reader without need-to-know sees: region and the last two characters ("990101**********2X")."""
    if not number:
        return number
    keep_head = 6 if len(number) >= 15 else 1
    return number[:keep_head] + "*" * (len(number) - keep_head - 2) + number[-2:]
