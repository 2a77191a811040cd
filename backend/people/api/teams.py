"""/api/v1/teams: the support team of each case, its members and activation."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.core.models import User
from backend.people.actions import teams as actions
from backend.people.api.schemas import MemberOut, TeamOut
from backend.people.inputs import MemberIn
from backend.people.models import Team, TeamMember

router = Router(tags=["小组"])


class TeamFilters(Schema):
    case_id: Id | None = None
    person_id: Id | None = None


def _team(request: HttpRequest, team_id: Id) -> Team:
    return get_object_or_404(Team.objects.visible_to(request.auth).select_related("case__person"), pk=team_id)


def team_view(team: Team) -> dict:
    members = list(team.members.order_by("id"))
    return {
        "id": team.pk,
        "case_id": team.case_id,
        "name": team.name,
        "activated_at": team.activated_at,
        "unmet_rules": actions.unmet_rules(team, members),
        "members": members,
    }


@router.get("", response=Page[TeamOut], summary="小组列表")
def list_teams(request: HttpRequest, filters: Query[TeamFilters], page: Query[CursorParams]):
    queryset = Team.objects.visible_to(request.auth).select_related("case__person")
    if filters.case_id is not None:
        queryset = queryset.filter(case_id=filters.case_id)
    if filters.person_id is not None:
        queryset = queryset.filter(case__person_id=filters.person_id)
    result = paginate(queryset, page)
    record_audit(
        actor=request.auth, action=AuditAction.TEAM_LIST, details={"ids": [t.pk for t in result["items"]]}
    )
    result["items"] = [team_view(t) for t in result["items"]]
    return result


@router.get("/{int:team_id}", response=TeamOut, summary="小组详情（成员联系方式，读取留痕）")
def get_team(request: HttpRequest, team_id: Id):
    team = _team(request, team_id)
    record_audit(actor=request.auth, action=AuditAction.TEAM_READ, target=team)
    return team_view(team)


@router.post("/{int:team_id}/members", response={201: MemberOut}, summary="添加成员")
def add_member(request: HttpRequest, team_id: Id, payload: MemberIn):
    team = _team(request, team_id)
    user = None
    if payload.user_id is not None:
        user = get_object_or_404(User.objects.visible_to(request.auth), pk=payload.user_id)
    values = payload.dict(exclude={"user_id"})
    return Status(201, actions.add_member(by=request.auth, team=team, user=user, **values))


@router.delete("/{int:team_id}/members/{int:member_id}", response=MemberOut, summary="移除成员")
def remove_member(request: HttpRequest, team_id: Id, member_id: Id):
    team = _team(request, team_id)
    return actions.remove_member(
        by=request.auth, member=get_object_or_404(TeamMember, pk=member_id, team=team)
    )


@router.post("/{int:team_id}/activate", response=TeamOut, summary="启用小组（检查成员构成要求）")
def activate(request: HttpRequest, team_id: Id):
    return team_view(actions.activate_team(by=request.auth, team=_team(request, team_id)))
