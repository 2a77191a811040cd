from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema


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


class GrantOut(Schema):
    id: int
    user_id: int
    granted_by_id: int | None
    granted_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


# --- Cases ---------------------------------------------------------------------------------------------


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


class MarkOut(Schema):
    id: int
    kind: str
    value: str
    effective_on: dt.date
    reason: str | None
    by_id: int | None


class PlacementOut(Schema):
    id: int
    kind: str
    start_on: dt.date
    end_on: dt.date | None
    note: str | None


class EmergencyOut(Schema):
    id: int
    occurred_at: dt.datetime
    description: str
    recorded_at: dt.datetime


# --- Teams ----------------------------------------------------------------------------------------------


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
