"""Support teams: members come and go through actions that keep the activation rules true."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import User
from backend.core.policy import require
from backend.core.scoping import forget_scopes
from backend.people.models import Team, TeamMember, TeamRole


def unmet_rules(team: Team, members: list[TeamMember] | None = None) -> list[str]:
    """Why the team cannot be (or stay) active; empty when it can.

    社区矫正实施办法 Art.20 / 社区矫正法 Art.25 and 52: a woman on a female subject's team; someone trained
    for work with minors on a minor's team; and a leader (组长) to answer for the team.
    """
    members = [m for m in (members if members is not None else team.members.all()) if m.left_at is None]
    person = team.case.person
    problems = []
    if not any(m.role == TeamRole.LEADER for m in members):
        problems.append("小组须有组长")
    if person.gender == "female" and not any(m.gender == "female" for m in members):
        problems.append("女性对象的小组须有女性成员")
    if person.is_minor and not any(m.trained_for_minors for m in members):
        problems.append("未成年对象的小组须有熟悉未成年人身心特点的成员")
    return problems


def add_member(
    *,
    by: User,
    team: Team,
    role: str,
    gender: str,
    user: User | None = None,
    name: str | None = None,
    phone: str | None = None,
    trained_for_minors: bool = False,
) -> TeamMember:
    require(by, "case.manage", team.case)
    if role not in TeamRole.values:
        raise Invalid("未知的小组职责", {"field": "role"})
    if gender not in ("male", "female"):
        raise Invalid("性别应为 male 或 female", {"field": "gender"})
    if (user is None) == (not name):
        raise Invalid("成员须为系统用户（user_id）或外部人员（姓名），二者选一", {"field": "user_id"})
    if user is not None and team.members.filter(user=user, left_at__isnull=True).exists():
        raise Conflict("该用户已是小组成员")
    with transaction.atomic():
        member = TeamMember.objects.create(
            team=team,
            user=user,
            name=name,
            phone=phone,
            gender=gender,
            role=role,
            trained_for_minors=trained_for_minors,
        )
        record_audit(
            actor=by,
            action=AuditAction.TEAM_ADD_MEMBER,
            target=team,
            details={"member": member.pk, "role": role},
        )
    if user is not None:
        forget_scopes(user)  # the member sees the person at once
    return member


def remove_member(*, by: User, member: TeamMember) -> TeamMember:
    team = member.team
    require(by, "case.manage", team.case)
    if member.left_at is not None:
        return member
    if team.activated_at is not None:
        rest = [m for m in team.members.all() if m.pk != member.pk]
        problems = unmet_rules(team, rest)
        if problems:
            raise Conflict("移除后小组将不符合要求：" + "；".join(problems), {"rules": problems})
    with transaction.atomic():
        TeamMember.objects.filter(pk=member.pk, left_at__isnull=True).update(left_at=timezone.now())
        record_audit(
            actor=by, action=AuditAction.TEAM_REMOVE_MEMBER, target=team, details={"member": member.pk}
        )
    if member.user is not None:
        forget_scopes(member.user)  # before the refresh, which drops the object in hand
    member.refresh_from_db()
    return member


def activate_team(*, by: User, team: Team) -> Team:
    require(by, "case.manage", team.case)
    if team.activated_at is not None:
        return team
    problems = unmet_rules(team)
    if problems:
        raise Conflict("小组不能启用：" + "；".join(problems), {"rules": problems})
    with transaction.atomic():
        Team.objects.filter(pk=team.pk, activated_at__isnull=True).update(activated_at=timezone.now())
        record_audit(actor=by, action=AuditAction.TEAM_ACTIVATE, target=team)
    team.refresh_from_db()
    return team
