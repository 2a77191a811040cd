"""/api/v1/persons: list with filters, exact search through blind indexes, file view, create, update, grants.

Every response that carries decrypted personal data writes an audit row naming the ids, never the values.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from backend.api.pagination import CursorParams, Page, paginate
from backend.api.types import Id, Int64
from backend.core.audit import record_audit
from backend.core.errors import Invalid
from backend.core.models import Jurisdiction, User
from backend.core.scoping import vouch_reach
from backend.people.actions import persons as actions
from backend.people.api.presenters import UNLISTED_FIELDS, list_items, person_view
from backend.people.api.schemas import (
    GrantIn,
    GrantOut,
    PersonFields,
    PersonIn,
    PersonListItem,
    PersonOut,
    SearchIn,
)
from backend.people.colour import with_colour
from backend.people.models import AccessGrant, Case, Person, PersonPhone
from backend.people.models.case import OPEN_STATUSES

router = Router(tags=["人员"])


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


def _search(queryset, *, id_number: str | None, phone: str | None, name: str | None):
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
    return _search(queryset, id_number=f.id_number, phone=f.phone, name=f.name)


def _page(request: HttpRequest, queryset, params: CursorParams, action: str, used: list[str]) -> dict:
    page = paginate(queryset.defer(*UNLISTED_FIELDS), params)
    record_audit(
        actor=request.auth, action=action, details={"ids": [p.pk for p in page["items"]], "filters": used}
    )
    page["items"] = list_items(page["items"])
    return page


@router.get("", response=Page[PersonListItem], summary="人员列表（筛选、精确查询）")
def list_persons(request: HttpRequest, filters: Query[PersonFilters], page: Query[CursorParams]):
    used = sorted(k for k, v in filters.dict().items() if v is not None)
    searching = any(k in used for k in ("id_number", "phone", "name"))
    return _page(
        request,
        filter_persons(request.auth, visible_persons(request.auth), filters),
        page,
        "person.search" if searching else "person.list",
        used,
    )


@router.post(
    "/search",
    response=Page[PersonListItem],
    summary="按证件号码、电话或姓名精确查询（推荐：不在网址中暴露查询值）",
)
def search_persons(request: HttpRequest, payload: SearchIn, page: Query[CursorParams]):
    if not (payload.id_number or payload.phone or payload.name):
        raise Invalid("请至少提供证件号码、电话或姓名之一")
    used = sorted(k for k, v in payload.dict().items() if v)
    queryset = _search(
        visible_persons(request.auth), id_number=payload.id_number, phone=payload.phone, name=payload.name
    )
    return _page(request, queryset, page, "person.search", used)


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


@router.get("/{int:person_id}", response=PersonOut, summary="人员档案（读取留痕）")
def get_person(request: HttpRequest, person_id: Id):
    person = person_in_reach(request.auth, person_id)
    view = person_view(person, request.auth)
    record_audit(actor=request.auth, action="person.read", target=person, details={"access": view["access"]})
    return view


def _data(payload: PersonFields) -> actions.PersonData:
    values = payload.dict(exclude_unset=True)
    values.pop("jurisdiction_id", None)
    if values.get("residence_point") is not None:
        values["residence_point"] = {
            "lat": values["residence_point"]["lat"],
            "lon": values["residence_point"]["lon"],
        }
    return actions.PersonData(**values)


@router.post("", response={201: PersonOut}, summary="建档")
def create_person(request: HttpRequest, payload: PersonIn):
    home = get_object_or_404(Jurisdiction.objects.visible_to(request.auth), pk=payload.jurisdiction_id)
    person = actions.register_person(by=request.auth, jurisdiction=home, data=_data(payload))
    return Status(201, person_view(person_in_reach(request.auth, person.pk), request.auth))


@router.patch("/{int:person_id}", response=PersonOut, summary="修改档案")
def update_person(request: HttpRequest, person_id: Id, payload: PersonFields):
    person = person_in_reach(request.auth, person_id)
    actions.update_person(by=request.auth, person=person, data=_data(payload))
    return person_view(person_in_reach(request.auth, person_id), request.auth)


@router.get("/{int:person_id}/grants", response=list[GrantOut], summary="查阅授权（未成年人/封存档案）")
def list_grants(request: HttpRequest, person_id: Id):
    actions.may_grant(request.auth)  # before the lookup: others must not learn that a restricted file exists
    person = get_object_or_404(Person.objects.in_subtree_of(request.auth), pk=person_id)
    return list(AccessGrant.objects.filter(person=person).order_by("-granted_at"))


@router.post("/{int:person_id}/grants", response={201: GrantOut}, summary="授权查阅未成年人或封存档案")
def create_grant(request: HttpRequest, person_id: Id, payload: GrantIn):
    # The county head finds the file by its place in the tree, not through visible_to (which hides it).
    actions.may_grant(request.auth)  # before the lookup: others must not learn that a restricted file exists
    person = get_object_or_404(Person.objects.in_subtree_of(request.auth), pk=person_id)
    user = get_object_or_404(User.objects.visible_to(request.auth), pk=payload.user_id)
    return Status(
        201,
        actions.grant_access(
            by=request.auth, person=person, user=user, reason=payload.reason, days=payload.days
        ),
    )


@router.delete("/{int:person_id}/grants/{int:grant_id}", response=GrantOut, summary="撤销查阅授权")
def revoke_grant(request: HttpRequest, person_id: Id, grant_id: Id):
    actions.may_grant(request.auth)  # before the lookup: others must not learn that a restricted file exists
    person = get_object_or_404(Person.objects.in_subtree_of(request.auth), pk=person_id)
    return actions.revoke_grant(
        by=request.auth, grant=get_object_or_404(AccessGrant, pk=grant_id, person=person)
    )
