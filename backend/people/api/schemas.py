from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from backend.core.http.types import Day, Id, Int64, Moment
from backend.people.idcard import DocumentType

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


class CaseSummary(Schema):
    id: int
    number: str | None
    kind: str
    status: str
    sub_status: str
    category: str
    aftercare_risk: str
    risk_level: int | None


class PersonListItem(Schema):
    id: int
    name: str
    gender: str
    age: int | None
    id_number_masked: str | None
    jurisdiction_id: int
    is_minor: bool
    is_sealed: bool
    colour: str
    open_cases: list[CaseSummary]


class PhoneOut(Schema):
    number: str
    label: str


class ContactOut(Schema):
    id: int
    relation: str
    name: str
    phone: str | None
    is_guardian: bool


class PersonOut(Schema):
    """``access`` is "full" for office and health staff, "limited" for team members (need-to-know)."""

    id: int
    access: Literal["full", "limited"]
    jurisdiction_id: int
    name: str
    gender: str
    age: int | None
    colour: str
    is_minor: bool
    is_sealed: bool
    id_type: str | None = None
    id_number: str | None = None
    id_number_masked: str | None = None
    birth_date: dt.date | None = None
    former_names: list[str] | None = None
    ethnicity: str | None = None
    household_address: str | None = None
    residence_address: str | None = None
    residence_point: dict[str, float] | None = None
    employer: str | None = None
    phones: list[PhoneOut] = []
    contacts: list[ContactOut] | None = None
    cases: list[CaseSummary] = []


class GrantIn(Schema):
    user_id: Id
    reason: str = Field(min_length=1, max_length=500)
    days: Int64 = Field(30, ge=1, description="授权天数（1 至规则 access_grant_max_days，默认 366 天）")


class GrantOut(Schema):
    id: int
    user_id: int
    granted_by_id: int | None
    granted_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


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


class CorrectionOut(Schema):
    sentence_type: str
    court: str
    judgment_effective_on: dt.date
    term_start: dt.date
    term_end: dt.date
    report_deadline: dt.date
    reported_on: dt.date | None
    crime: str | None = None
    judgment: dict[str, Any] | None = None
    prohibition_orders: str | None = None


class AftercareOut(Schema):
    origin: str
    source_case_id: int | None
    prison: str
    release_notice_on: dt.date | None
    release_on: dt.date
    period_end: dt.date
    key_person: bool
    handed_over_on: dt.date | None
    handover: dict[str, Any] | None = None


class MentalHealthOut(Schema):
    stability: str
    guardian_id: int | None
    diagnosis: str | None = None
    treatment: dict[str, Any] | None = None
    medication: dict[str, Any] | None = None


class ActionOut(Schema):
    action: str
    label: str
    reasons: list[str]


class CaseOut(CaseSummary):
    person_id: int
    jurisdiction_id: int
    officer_id: int | None
    opened_on: dt.date
    closed_on: dt.date | None
    close_reason: str
    revocation_pending: bool
    team_id: int | None
    correction: CorrectionOut | None = None
    aftercare: AftercareOut | None = None
    mental_health: MentalHealthOut | None = None
    actions: list[ActionOut] = []


class CasePatch(Schema):
    officer_id: Id | None = None
    details: dict[str, Any] | None = Field(
        None,
        description="矫正：crime, judgment, court, prohibition_orders, term_end；帮教：prison, key_person, "
        "release_notice_on；精神障碍：diagnosis, treatment, medication（仅卫生人员）",
    )


class TransitionIn(Schema):
    action: str = Field(min_length=1, max_length=32)
    effective_on: Day | None = None
    reason: str = Field("", max_length=32)
    note: str | None = Field(None, max_length=2000)
    handover: dict[str, Any] | None = None


class TransitionOut(Schema):
    id: int
    action: str
    from_status: str
    to_status: str
    from_sub_status: str
    to_sub_status: str
    reason: str
    effective_on: dt.date
    by_id: int | None
    at: dt.datetime


class MarkIn(Schema):
    kind: Literal["category", "aftercare_risk", "risk_level"]
    value: str = Field(min_length=1, max_length=16)
    effective_on: Day
    reason: str = Field(min_length=1, max_length=500)


class MarkOut(Schema):
    id: int
    kind: str
    value: str
    effective_on: dt.date
    reason: str | None
    by_id: int | None


class PlacementIn(Schema):
    kind: Literal["job", "self_employed", "school", "relief", "transitional_base"]
    start_on: Day
    end_on: Day | None = None
    note: str | None = Field(None, max_length=1000)


class PlacementOut(Schema):
    id: int
    kind: str
    start_on: dt.date
    end_on: dt.date | None
    note: str | None


class EmergencyIn(Schema):
    occurred_at: Moment
    description: str = Field(min_length=1, max_length=4000)


class EmergencyOut(Schema):
    id: int
    occurred_at: dt.datetime
    description: str
    recorded_at: dt.datetime


# --- Teams ----------------------------------------------------------------------------------------------


class MemberIn(Schema):
    role: str = Field(min_length=1, max_length=24)
    gender: Literal["male", "female"]
    user_id: Id | None = None
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32)
    trained_for_minors: bool = False


class MemberOut(Schema):
    id: int
    role: str
    gender: str
    user_id: int | None
    name: str | None
    phone: str | None
    trained_for_minors: bool
    joined_at: dt.datetime
    left_at: dt.datetime | None


class TeamOut(Schema):
    id: int
    case_id: int
    name: str
    activated_at: dt.datetime | None
    unmet_rules: list[str]
    members: list[MemberOut]
