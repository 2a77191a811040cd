"""/api/v1/persons: list with filters, exact search through blind indexes, file view, create, update, grants.

Every response that carries decrypted personal data writes an audit row naming the ids, never the values.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.people.actions import persons as actions
from backend.people.api.schemas import GrantOut, PersonListItem, PersonOut
from backend.people.inputs import GrantIn, PersonFields, PersonIn, SearchIn
from backend.people.models import AccessGrant, Person
from backend.people.queries import (
    UNLISTED_FIELDS,
    PersonFilters,
    filter_persons,
    list_items,
    person_in_reach,
    person_view,
    search,
    visible_persons,
)

router = Router(tags=["人员"])


def _page(request: HttpRequest, queryset, params: CursorParams, action: AuditAction, used: list[str]) -> dict:
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
        AuditAction.PERSON_SEARCH if searching else AuditAction.PERSON_LIST,
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
    queryset = search(
        visible_persons(request.auth), id_number=payload.id_number, phone=payload.phone, name=payload.name
    )
    return _page(request, queryset, page, AuditAction.PERSON_SEARCH, used)


@router.get("/{int:person_id}", response=PersonOut, summary="人员档案（读取留痕）")
def get_person(request: HttpRequest, person_id: Id):
    person = person_in_reach(request.auth, person_id)
    view = person_view(person, request.auth)
    record_audit(
        actor=request.auth, action=AuditAction.PERSON_READ, target=person, details={"access": view["access"]}
    )
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
    require(
        request.auth, "person.grant"
    )  # before the lookup: others must not learn that a restricted file exists
    person = get_object_or_404(Person.objects.in_subtree_of(request.auth), pk=person_id)
    return list(AccessGrant.objects.filter(person=person).order_by("-granted_at"))


@router.post("/{int:person_id}/grants", response={201: GrantOut}, summary="授权查阅未成年人或封存档案")
def create_grant(request: HttpRequest, person_id: Id, payload: GrantIn):
    # The county head finds the file by its place in the tree, not through visible_to (which hides it).
    require(
        request.auth, "person.grant"
    )  # before the lookup: others must not learn that a restricted file exists
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
    require(
        request.auth, "person.grant"
    )  # before the lookup: others must not learn that a restricted file exists
    person = get_object_or_404(Person.objects.in_subtree_of(request.auth), pk=person_id)
    return actions.revoke_grant(
        by=request.auth, grant=get_object_or_404(AccessGrant, pk=grant_id, person=person)
    )
