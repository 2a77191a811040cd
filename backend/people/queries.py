"""The People read side, for the API, the console and the printed file alike: the persons a reader may see
(``visible_persons``, ``person_in_reach``), the list filters and exact search (``PersonFilters``,
``filter_persons``, ``search``), and field visibility by role in one place (``person_view``, ``case_view``,
``list_items``): what each reader gets to see of a person or a case."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Schema

from backend.core.errors import Invalid
from backend.core.http.types import Id, Int64
from backend.core.models import Jurisdiction, User
from backend.core.scoping import vouch_reach
from backend.people.actions.persons import age_on
from backend.people.colour import with_colour
from backend.people.idcard import mask
from backend.people.models import Case, CaseKind, Person, PersonPhone
from backend.people.models.case import OPEN_STATUSES
from backend.people.permissions import sees_criminal_details, sees_full_identity, sees_health_fields
from backend.people.transitions import actions_for


class PersonFilters(Schema):
    jurisdiction_id: Id | None = None
    case_kind: str | None = None
    status: str | None = None
    category: str | None = None
    aftercare_risk: str | None = None
    risk_level: Int64 | None = None
    colour: str | None = None
    # Exact search (also as POST /persons/search, which keeps the value out of URLs and proxy logs).
    id_number: str | None = None
    phone: str | None = None
    name: str | None = None


def visible_persons(user: User):
    """The persons ``user`` may see, with their colour (三色) — for the API and the console alike."""
    return with_colour(Person.objects.visible_to(user))


def search(queryset, *, id_number: str | None, phone: str | None, name: str | None):
    """Exact search only (证件号码、电话、姓名): the columns are encrypted, and their blind indexes (keyed
    hashes of the normalised value) are what a query can compare."""
    if id_number:
        queryset = queryset.filter(id_number_index=Person._meta.get_field("id_number_index").token(id_number))
    if phone:
        token = PersonPhone._meta.get_field("number_index").token(phone)
        # IN (…), not a correlated EXISTS: SQLite then starts from the phone index instead of scanning persons.
        queryset = queryset.filter(pk__in=PersonPhone.objects.filter(number_index=token).values("person_id"))
    if name:
        queryset = queryset.filter(name_index=Person._meta.get_field("name_index").token(name))
    return queryset


def filter_persons(user: User, queryset, f: PersonFilters):
    """The list filters and exact search, as GET /persons takes them (a jurisdiction out of reach → 404)."""
    if f.jurisdiction_id is not None:
        node = get_object_or_404(Jurisdiction.objects.visible_to(user), pk=f.jurisdiction_id)
        queryset = queryset.filter(jurisdiction__path__startswith=node.path)
    case_q = {}
    for key, value in (("kind", f.case_kind), ("status", f.status), ("category", f.category),
                       ("aftercare_risk", f.aftercare_risk), ("risk_level", f.risk_level)):  # fmt: skip
        if value is not None:
            case_q[key] = value
    if case_q:
        cases = Case.objects.filter(person=OuterRef("pk"), **case_q)
        if "status" not in case_q:
            cases = cases.filter(status__in=OPEN_STATUSES)
        queryset = queryset.filter(Exists(cases))
    if f.colour is not None:
        if f.colour not in {"red", "yellow", "green"}:
            raise Invalid("colour 应为 red、yellow 或 green", {"field": "colour"})
        queryset = queryset.filter(colour=f.colour)
    return search(queryset, id_number=f.id_number, phone=f.phone, name=f.name)


def person_in_reach(user: User, person_id: Id, *, cases=None) -> Person:
    """One person ``user`` may see, with phones, contacts and cases; out of reach → 404.

    A case is visible exactly when its person is (``CaseQuerySet.scope_q``), so the person's cases come
    with it (and the person with their jurisdiction, which pages show and zones are found by); ``cases`` may ask for more of them (the console's person page joins their detail rows).
    """
    queryset = (
        visible_persons(user)
        .select_related("jurisdiction")
        .prefetch_related(
            "phones",
            "contacts",
            Prefetch("cases", queryset=(cases if cases is not None else Case.objects).order_by("id")),
        )
    )
    person = get_object_or_404(queryset, pk=person_id)
    vouch_reach(user, person)  # the page's further queries may ask for ``visible_to(user, of=person)``
    return person


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
    scope.  Plain rows, not model instances: prefetching the cases as instances cost a page of 100 persons
    many times what building these rows does (bench/api.py times the page).
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
