"""Field visibility by role, in one place: what each reader gets to see of a person or a case."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.core.models import User
from backend.people.actions.persons import age_on
from backend.people.idcard import mask
from backend.people.models import Case, CaseKind, Person
from backend.people.models.case import OPEN_STATUSES
from backend.people.permissions import sees_criminal_details, sees_full_identity, sees_health_fields
from backend.people.transitions import actions_for

SUMMARY_FIELDS = ("number", "kind", "status", "sub_status", "category", "aftercare_risk", "risk_level")


def case_summary(case: Case) -> dict:
    return {"id": case.pk, **{name: getattr(case, name) for name in SUMMARY_FIELDS}}


def _age(person: Person, today: dt.date | None = None) -> int | None:
    return age_on(person.birth_date, today or timezone.localdate()) if person.birth_date else None


# Encrypted fields a list row never shows: lists defer them, so a page of 100 persons decrypts three fields
# each instead of eight (bench/api.py).
UNLISTED_FIELDS = ("former_names", "household_address", "residence_address", "residence_point", "employer")


def list_items(people: list[Person]) -> list[dict]:
    """List rows for persons already drawn from ``visible_to``, their open cases read in one query.

    A case is visible exactly when its person is (``CaseQuerySet.scope_q``), so the persons' ids are the
    scope.  Plain rows, not model instances: a page of 100 persons costs 2 ms here instead of 19 ms of
    prefetching (profiled in-process; bench/api.py times the page).
    """
    open_cases: dict[int, list[dict]] = {p.pk: [] for p in people}
    rows = (
        Case.objects.filter(person_id__in=list(open_cases), status__in=OPEN_STATUSES)
        .order_by("id")
        .values("id", "person_id", *SUMMARY_FIELDS)
    )
    for row in rows:
        open_cases[row.pop("person_id")].append(row)
    today = timezone.localdate()
    return [person_list_item(p, open_cases[p.pk], today) for p in people]


def person_list_item(person: Person, open_cases: list[dict], today: dt.date | None = None) -> dict:
    return {
        "id": person.pk,
        "name": person.name,
        "gender": person.gender,
        "age": _age(person, today),
        "id_number_masked": mask(person.id_number),
        "jurisdiction_id": person.jurisdiction_id,
        "is_minor": person.is_minor,
        "is_sealed": person.is_sealed,
        "colour": getattr(person, "colour", ""),
        "open_cases": open_cases,
    }


def person_view(person: Person, reader: User) -> dict:
    full = sees_full_identity(reader)
    view = {
        "id": person.pk,
        "access": "full" if full else "limited",
        "jurisdiction_id": person.jurisdiction_id,
        "name": person.name,
        "gender": person.gender,
        "age": _age(person),
        "colour": getattr(person, "colour", ""),
        "is_minor": person.is_minor,
        "is_sealed": person.is_sealed,
        "id_number_masked": mask(person.id_number),
        "residence_address": person.residence_address,
        "phones": [{"number": p.number, "label": p.label} for p in person.phones.all()],
        "cases": [case_summary(c) for c in person.cases.all()],
    }
    if full:
        view.update(
            id_type=person.id_type,
            id_number=person.id_number,
            birth_date=person.birth_date,
            former_names=person.former_names,
            ethnicity=person.ethnicity,
            household_address=person.household_address,
            residence_point=person.residence_point,
            employer=person.employer,
            contacts=[
                {
                    "id": c.pk,
                    "relation": c.relation,
                    "name": c.name,
                    "phone": c.phone,
                    "is_guardian": c.is_guardian,
                }
                for c in person.contacts.all()
            ],
        )
    return view


def case_view(case: Case, reader: User) -> dict:
    view = {
        **case_summary(case),
        "person_id": case.person_id,
        "jurisdiction_id": case.jurisdiction_id,
        "officer_id": case.officer_id,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "close_reason": case.close_reason,
        "revocation_pending": case.revocation_pending,
        "team_id": getattr(getattr(case, "team", None), "pk", None),
        "actions": [
            {"action": t.action, "label": t.label, "reasons": list(t.reasons)}
            for t in actions_for(case.kind)
            if case.status in t.sources and (t.sub_sources is None or case.sub_status in t.sub_sources)
        ],
    }
    if case.kind == CaseKind.CORRECTION:
        d = case.correction
        view["correction"] = {
            "sentence_type": d.sentence_type,
            "court": d.court,
            "judgment_effective_on": d.judgment_effective_on,
            "term_start": d.term_start,
            "term_end": d.term_end,
            "report_deadline": d.report_deadline,
            "reported_on": d.reported_on,
        }
        if sees_criminal_details(reader):
            view["correction"].update(
                crime=d.crime, judgment=d.judgment, prohibition_orders=d.prohibition_orders
            )
    elif case.kind == CaseKind.AFTERCARE:
        d = case.aftercare
        view["aftercare"] = {
            "origin": d.origin,
            "source_case_id": d.source_case_id,
            "prison": d.prison,
            "release_notice_on": d.release_notice_on,
            "release_on": d.release_on,
            "period_end": d.period_end,
            "key_person": d.key_person,
            "handed_over_on": d.handed_over_on,
            "handover": d.handover if sees_criminal_details(reader) else None,
        }
    else:
        d = case.mental_health
        view["mental_health"] = {"stability": d.stability, "guardian_id": d.guardian_id}
        if sees_health_fields(reader):
            view["mental_health"].update(
                diagnosis=d.diagnosis, treatment=d.treatment, medication=d.medication
            )
    return view
