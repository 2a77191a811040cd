"""What the People app accepts as input: the ninja schemas the API validates request bodies with and the
console validates its forms with (``backend/console/forms.py``), so both say the same thing beside a field.

Input schemas only; what the API answers (``*Out``) stays in ``backend/people/api/schemas.py``.  The console
imports no ``api`` module (``tests/core/test_api_layers.py``), which is why these live here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from backend.core.bounds import check_day
from backend.core.errors import Invalid
from backend.core.http.types import Day, Id, Int64, Moment
from backend.people.idcard import DocumentType

# --- Persons ---------------------------------------------------------------------------------------------

DocType = Literal[
    DocumentType.RESIDENT_ID, DocumentType.PASSPORT, DocumentType.HK_MACAU_PERMIT,
    DocumentType.TAIWAN_PERMIT, DocumentType.FOREIGN_PERMANENT, DocumentType.OTHER,
]  # fmt: skip
GenderIn = Literal["male", "female", "unknown"]


class PointIn(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PhoneIn(Schema):
    number: str = Field(min_length=3, max_length=32)
    label: str = Field("", max_length=32)


class ContactIn(Schema):
    relation: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(None, max_length=32)
    is_guardian: bool = False


class PersonFields(Schema):
    name: str | None = Field(None, min_length=1, max_length=64)
    former_names: list[str] | None = None
    id_type: DocType | None = None
    id_number: str | None = Field(None, min_length=3, max_length=40)
    gender: GenderIn | None = None
    birth_date: Day | None = None
    ethnicity: str | None = Field(None, max_length=16)
    household_address: str | None = Field(None, max_length=200)
    residence_address: str | None = Field(None, max_length=200)
    residence_point: PointIn | None = None
    employer: str | None = Field(None, max_length=200)
    is_minor: bool | None = None
    is_sealed: bool | None = None
    phones: list[PhoneIn] | None = None
    contacts: list[ContactIn] | None = None


class PersonIn(PersonFields):
    jurisdiction_id: Id
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=3, max_length=40)


class SearchIn(Schema):
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=64)


class GrantIn(Schema):
    user_id: Id
    reason: str = Field(min_length=1, max_length=500)
    days: Int64 = Field(30, ge=1, description="授权天数（1 至规则 access_grant_max_days，默认 366 天）")


# --- Cases ---------------------------------------------------------------------------------------------


class CorrectionIn(Schema):
    sentence_type: Literal["01", "02", "03", "04"]
    crime: str = Field(min_length=1, max_length=200)
    court: str = Field(min_length=1, max_length=100)
    judgment_effective_on: Day
    term_start: Day
    term_end: Day
    judgment: dict[str, Any] | None = None
    prohibition_orders: str | None = Field(None, max_length=2000)


class AftercareIn(Schema):
    origin: Literal["prison_release", "correction_end"] = "prison_release"
    release_on: Day
    release_notice_on: Day | None = None
    prison: str = Field("", max_length=100)
    key_person: bool = False


class MentalHealthIn(Schema):
    diagnosis: Literal[
        "schizophrenia", "schizoaffective", "delusional", "bipolar", "epilepsy", "intellectual"
    ]
    risk_level: int = Field(ge=0, le=5)
    opened_on: Day
    treatment: dict[str, Any] | None = None
    medication: dict[str, Any] | None = None


class CaseIn(Schema):
    person_id: Id
    kind: Literal["correction", "aftercare", "mental_health"]
    officer_id: Id | None = None
    correction: CorrectionIn | None = None
    aftercare: AftercareIn | None = None
    mental_health: MentalHealthIn | None = None


class CasePatch(Schema):
    officer_id: Id | None = None
    details: dict[str, Any] | None = Field(
        None,
        description="矫正：crime, judgment, court, prohibition_orders, term_end；帮教：prison, key_person, "
        "release_notice_on；精神障碍：diagnosis, treatment, medication（仅卫生人员）",
    )


def patch_details(payload: CasePatch) -> dict[str, Any]:
    """The details of a case patch with its dates parsed (the free-form dict carries them as text)."""
    details = dict(payload.details or {})
    for key in ("term_end", "release_notice_on"):
        if isinstance(details.get(key), str):
            try:
                details[key] = dt.date.fromisoformat(details[key])
            except ValueError:
                raise Invalid("日期格式应为 YYYY-MM-DD", {"field": key}) from None
            check_day(details[key], key)  # as every typed date (backend/core/http/types.py)
    return details


class TransitionIn(Schema):
    action: str = Field(min_length=1, max_length=32)
    effective_on: Day | None = None
    reason: str = Field("", max_length=32)
    note: str | None = Field(None, max_length=2000)
    handover: dict[str, Any] | None = None


class MarkIn(Schema):
    kind: Literal["category", "aftercare_risk", "risk_level"]
    value: str = Field(min_length=1, max_length=16)
    effective_on: Day
    reason: str = Field(min_length=1, max_length=500)


class PlacementIn(Schema):
    kind: Literal["job", "self_employed", "school", "relief", "transitional_base"]
    start_on: Day
    end_on: Day | None = None
    note: str | None = Field(None, max_length=1000)


class EmergencyIn(Schema):
    occurred_at: Moment
    description: str = Field(min_length=1, max_length=4000)


# --- Teams ----------------------------------------------------------------------------------------------


class MemberIn(Schema):
    role: str = Field(min_length=1, max_length=24)
    gender: Literal["male", "female"]
    user_id: Id | None = None
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32)
    trained_for_minors: bool = False
