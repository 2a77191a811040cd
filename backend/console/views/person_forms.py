"""建档 and 修改档案: the person form, validated by the API's own input schemas (``backend/people/inputs.py``)
and written by the People actions (``register_person``, ``update_person``), whose refusals appear beside
their field; and the live "already registered?" check the form asks while an ID number is typed.

A second file for the same ID number is refused by the database (``person_unique_identity``), which the
action reports as 该证件号码已建档.  The form then links to that file when the officer may open it — found
by the blind index as the exact search finds it (``queries.search`` over ``visible_to``) and audited as
that search is (ids and the filter's name, never the number) — and otherwise says only that it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST
from pydantic import Field

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, DomainError, Invalid
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.people.actions.persons import PersonData, register_person, update_person
from backend.people.idcard import DocumentType
from backend.people.inputs import PersonFields, PersonIn, SearchIn
from backend.people.models import Gender, Person
from backend.people.queries import person_in_reach, search

from ..forms import Form, form_page, read_form
from .common import int_or_none, staff_page

FORMER_NAMES_MAX = 10  # 曾用名: a handful at most; each as long as a name may be (PersonIn.name)
NAME_MAX = 64
SEPARATORS = re.compile(r"[、,，;；\s]+")
# Shown fields a DomainError may name (anything else goes above the form).
FIELDS = (
    "jurisdiction_id", "name", "former_names_text", "id_type", "id_number", "gender", "birth_date",
    "ethnicity", "household_address", "residence_address", "residence_point", "employer", "is_minor",
    "is_sealed", "phones", "contacts",
)  # fmt: skip
# Text fields the edit form shows whole: left empty there means "clear it", not "leave unchanged".
CLEARABLE = ("ethnicity", "household_address", "residence_address", "employer")
PHONE_PARTS = ("number", "label")
CONTACT_PARTS = ("relation", "name", "phone", "is_guardian")


class PersonEdit(PersonFields):
    """The edit form shows every field, so an empty name or number is a mistake, not "leave unchanged"
    (which is what an absent field means to ``PATCH /persons/{id}``)."""

    name: str = Field(min_length=1, max_length=NAME_MAX)
    id_number: str = Field(min_length=3, max_length=40)


# --- rows of phones and contacts ------------------------------------------------------------------------


@dataclass
class Cell:
    name: str
    value: str


def rows(values: Any, prefix: str, parts: tuple[str, ...], *, blank: int = 1) -> list[dict[str, Cell]]:
    """The rows of a list field as posted (or as stored), renumbered as ``forms.shape`` numbers them — a
    wholly empty row is dropped, the rest keep their order — so that an error at ``phones.1.number`` lands
    beside the row it is about; then ``blank`` empty rows to type into."""
    found: dict[int, dict[str, str]] = {}
    pattern = re.compile(rf"^{prefix}\.(\d+)\.({'|'.join(parts)})$")
    for key in values or {}:
        match = pattern.match(key)
        value = (values.get(key) or "").strip() if match else ""
        if match and value:
            found.setdefault(int(match[1]), {})[match[2]] = value
    kept = [found[i] for i in sorted(found)]
    return [
        {part: Cell(f"{prefix}.{n}.{part}", row.get(part, "")) for part in parts}
        for n, row in enumerate([*kept, *([{}] * blank)])
    ]


def row_values(prefix: str, items: list[dict[str, Any]]) -> dict[str, str]:
    flat = {}
    for n, item in enumerate(items):
        for part, value in item.items():
            if value not in (None, "", False):
                flat[f"{prefix}.{n}.{part}"] = "on" if value is True else str(value)
    return flat


# --- the data the actions take ----------------------------------------------------------------------------


def former_names(text: str) -> list[str]:
    """曾用名 typed in one box, separated by 、 or commas."""
    names = [n for n in SEPARATORS.split(text or "") if n]
    if len(names) > FORMER_NAMES_MAX or any(len(n) > NAME_MAX for n in names):
        raise Invalid(
            f"曾用名最多 {FORMER_NAMES_MAX} 个，每个不超过 {NAME_MAX} 字", {"field": "former_names_text"}
        )
    return names


def person_data(payload: PersonFields, post: QueryDict) -> dict[str, Any]:
    values = payload.dict(exclude_unset=True)
    values.pop("jurisdiction_id", None)
    names = former_names(post.get("former_names_text", ""))
    if names:
        values["former_names"] = names
    return values


def edited_data(payload: PersonFields, post: QueryDict, person: Person) -> PersonData:
    """What changed on the edit form: a field emptied there is cleared; lists equal to the stored ones are
    left alone, so the audit row names only what really changed."""
    values = person_data(payload, post)
    for name in CLEARABLE:
        if name not in values and getattr(person, name):
            values[name] = ""
    values["former_names"] = values.get("former_names", [])
    phones = [{"number": p.get("number"), "label": p.get("label", "")} for p in values.get("phones", [])]
    if phones == [{"number": p.number, "label": p.label} for p in person.phones.all()]:
        values.pop("phones", None)
    else:
        values["phones"] = phones
    contacts = [
        {
            "relation": c["relation"],
            "name": c["name"],
            "phone": c.get("phone"),
            "is_guardian": c.get("is_guardian", False),
        }
        for c in values.get("contacts", [])
    ]
    stored = [
        {"relation": c.relation, "name": c.name, "phone": c.phone, "is_guardian": c.is_guardian}
        for c in person.contacts.all()
    ]
    if contacts == stored:
        values.pop("contacts", None)
    else:
        values["contacts"] = contacts
    return PersonData(**values)


def initial_values(person: Person) -> dict[str, str]:
    stored = {
        "name": person.name, "former_names_text": "、".join(person.former_names or []), "id_type": person.id_type,
        "id_number": person.id_number, "gender": person.gender,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "", "ethnicity": person.ethnicity,
        "household_address": person.household_address, "residence_address": person.residence_address,
        "employer": person.employer, "is_minor": "on" if person.is_minor else "",
        "is_sealed": "on" if person.is_sealed else "",
    }  # fmt: skip
    point = person.residence_point or {}
    if point:
        stored.update(
            {"residence_point.lat": str(point.get("lat")), "residence_point.lon": str(point.get("lon"))}
        )
    phones = [{"number": p.number, "label": p.label} for p in person.phones.all()]
    contacts = [
        {"relation": c.relation, "name": c.name, "phone": c.phone, "is_guardian": c.is_guardian}
        for c in person.contacts.all()
    ]
    return {
        **{k: v or "" for k, v in stored.items()},
        **row_values("phones", phones),
        **row_values("contacts", contacts),
    }


# --- the duplicate: who may be told where it is -------------------------------------------------------------


def existing(user: User, id_number: str, *, exclude: int | None = None) -> list[int]:
    """The file(s) ``user`` may open with this ID number, found as the exact search finds them, and the
    search's audit row (``person.search``: the ids and the filter's name, never the number)."""
    ids = list(
        search(Person.objects.visible_to(user), id_number=id_number, phone=None, name=None).values_list(
            "pk", flat=True
        )[:2]
    )
    record_audit(
        actor=user,
        action=AuditAction.PERSON_SEARCH,
        details={"ids": ids, "filters": ["id_number"], "page": "console"},
    )
    return [pk for pk in ids if pk != exclude]


def person_url(pk: int) -> str:
    return f"/console/people/{pk}/"


# --- the pages -----------------------------------------------------------------------------------------------


def form_context(request: HttpRequest, values: Any, **extra) -> dict[str, Any]:
    return {
        "id_types": DocumentType.CHOICES, "genders": Gender.choices, "nav": "people",
        "phone_rows": rows(values, "phones", PHONE_PARTS), "contact_rows": rows(values, "contacts", CONTACT_PARTS),
        "duplicate": {}, **extra,
    }  # fmt: skip


def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "console/denied.html", {"message": exc.message, "nav": "people"}, status=403)


@staff_page
def register_page(request: HttpRequest) -> HttpResponse:
    """建档.  As ``POST /persons``: any office in the user's reach; the ID number checked, the birth date and
    gender taken from it when left empty."""
    user = request.user
    try:
        require(user, "person.edit")
    except DomainError as exc:
        return refused(request, exc)
    initial = {"jurisdiction_id": str(user.jurisdiction_id or ""), "id_type": DocumentType.RESIDENT_ID}
    values = request.POST if request.method == "POST" else initial
    jurisdictions = Jurisdiction.objects.visible_to(user).order_by("path")[:300]
    context = form_context(
        request, values, heading="人员建档", jurisdictions=jurisdictions, back="/console/people/"
    )
    duplicate = context["duplicate"]

    def run(payload: PersonIn) -> str:
        home = get_object_or_404(Jurisdiction.objects.visible_to(user), pk=payload.jurisdiction_id)
        data = PersonData(**person_data(payload, request.POST))
        try:
            person = register_person(by=user, jurisdiction=home, data=data)
        except Conflict:
            found = existing(user, payload.id_number)
            duplicate.update({"exists": True, "url": person_url(found[0]) if found else ""})
            raise
        return person_url(person.pk)

    return form_page(
        request,
        Form(
            "console/person_form.html", context, PersonIn, run, "已建档", fields=FIELDS,
            skip=("former_names_text",), initial=initial,
        ),
    )  # fmt: skip


@staff_page
def edit_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """修改档案.  As ``PATCH /persons/{id}``: a person out of reach is a 404; a reader who may see but not
    change the file (a team member) is refused with the policy's message (403)."""
    user = request.user
    person = person_in_reach(user, person_id)
    try:
        require(user, "person.edit")
    except DomainError as exc:
        return refused(request, exc)
    initial = initial_values(person)
    values = request.POST if request.method == "POST" else initial
    context = form_context(
        request, values, heading=f"修改档案：{person.name}", person=person, back=person_url(person.pk)
    )

    def run(payload: PersonEdit) -> str:
        update_person(by=user, person=person, data=edited_data(payload, request.POST, person))
        return person_url(person.pk)

    return form_page(
        request,
        Form(
            "console/person_form.html", context, PersonEdit, run, "档案已修改", fields=FIELDS,
            skip=("former_names_text",), checkboxes=("is_minor", "is_sealed"), initial=initial,
        ),
    )  # fmt: skip


@staff_page
@require_POST
def check_id(request: HttpRequest) -> JsonResponse:
    """Whether an ID number is already on file, asked by the form as the number is typed: by POST, so the
    number stays out of URLs and logs; scoped and audited as the exact search (a file out of the user's
    reach is not reported here — the registration itself then says 已建档, without a link)."""
    payload, errors = read_form(SearchIn, request.POST, skip=("phone", "name", "exclude"))
    if payload is None or not payload.id_number:
        return JsonResponse({"error": errors.fields.get("id_number") or "请提供证件号码"}, status=422)
    found = existing(request.user, payload.id_number, exclude=int_or_none(request.POST.get("exclude")))
    answer: dict[str, Any] = {
        "exists": bool(found),
        "items": [{"id": pk, "url": person_url(pk)} for pk in found],
    }
    if found:
        answer["url"] = person_url(found[0])
    return JsonResponse(answer)
