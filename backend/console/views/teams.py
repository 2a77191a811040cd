"""小组: a case's support team (矫正小组 / 帮教小组 / 关爱帮扶小组) — members with their roles, adding a staff
user or an outside member, removing one, activating the team.

The composition rules are the action's (``backend/people/actions/teams.py``, 社区矫正实施办法 Art.20 and
社区矫正法 Arts. 25, 52: a leader; a woman on a female subject's team; someone trained for minors on a
minor's): the page lists what is still unmet, and a refused activation or removal says why.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.models import User
from backend.core.policy import may
from backend.people.actions import teams as actions
from backend.people.inputs import MemberIn
from backend.people.models import Team, TeamMember, TeamRole

from ..forms import Form, form_page
from .cases import CHOICE_LIMIT, case_header, case_in_reach, denied
from .common import act, staff_page


def team_url(case_id: int) -> str:
    return f"/console/cases/{case_id}/team"


def _team(user: User, case_id: int) -> Team:
    case = case_in_reach(user, case_id)  # out of reach → 404
    return get_object_or_404(Team.objects.select_related("case__person"), case=case)


@staff_page
def team_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """The members (contacts decrypted: audited ``team.read``), the unmet rules, and the add-member form."""
    user = request.user
    case = case_in_reach(user, case_id)
    team = get_object_or_404(Team.objects.select_related("case__person"), case=case)
    manages = may(user, "case.manage", case)
    if request.method == "POST" and not manages:
        return denied(request, "无权办理此类案件")
    members = list(team.members.select_related("user").order_by("left_at", "id"))
    current = [m for m in members if m.left_at is None]

    def run(payload: MemberIn) -> str:
        values = payload.dict(exclude={"user_id"})
        member_user = None
        if payload.user_id is not None:
            member_user = User.objects.visible_to(user).filter(pk=payload.user_id).first()
            if member_user is None:
                raise Invalid("所选用户不存在或不在您的辖区", {"field": "user_id"})
        actions.add_member(by=user, team=team, user=member_user, **values)
        return team_url(case.pk)

    if request.method == "GET":
        record_audit(actor=user, action=AuditAction.TEAM_READ, target=team, details={"page": "console"})
    staff = list(
        User.objects.visible_to(user).filter(is_active=True).order_by("display_name", "id")[:CHOICE_LIMIT]
    )
    return form_page(request, Form(
        template="console/case_team.html",
        context={
            **case_header(case), "team": team, "members": current, "former": [m for m in members if m.left_at],
            "unmet": actions.unmet_rules(team, current), "manages": manages, "roles": TeamRole.choices,
            "staff": staff,
        },
        schema=MemberIn, run=run, done="已添加小组成员", checkboxes=("trained_for_minors",),
    ))  # fmt: skip


@staff_page
@require_POST
def activate_team(request: HttpRequest, case_id: int) -> HttpResponse:
    team = _team(request.user, case_id)
    return act(
        request, team_url(case_id), lambda: actions.activate_team(by=request.user, team=team), "小组已启用"
    )


@staff_page
@require_POST
def remove_member(request: HttpRequest, case_id: int, member_id: int) -> HttpResponse:
    team = _team(request.user, case_id)
    member = get_object_or_404(TeamMember, pk=member_id, team=team)
    return act(
        request,
        team_url(case_id),
        lambda: actions.remove_member(by=request.user, member=member),
        "已移除小组成员",
    )
