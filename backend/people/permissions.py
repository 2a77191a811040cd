"""What a role may see and do with a person's file, beyond *whether* it is visible (that is ``visible_to``)."""

from __future__ import annotations

from backend.core.errors import Forbidden
from backend.core.models import Role, User
from backend.people.models import Case, CaseKind
from backend.people.models.person import OFFICE_ROLES

# Who may grant access to a minor's or sealed file (and must say why): the county head, or an admin.
GRANT_ROLES = (Role.COUNTY_HEAD, Role.ADMIN)


def sees_full_identity(user: User) -> bool:
    """Office staff and health workers see the whole identity; team members see need-to-know fields."""
    return user.has_role(*OFFICE_ROLES, Role.HEALTH_WORKER)


def sees_health_fields(user: User) -> bool:
    """Diagnosis, treatment and medication: health staff only (工作规范 2018; 个人信息保护法 Art.28)."""
    return user.has_role(Role.HEALTH_WORKER)


def sees_criminal_details(user: User) -> bool:
    """Crime, judgment and prohibition orders: the correction office only."""
    return user.has_role(*OFFICE_ROLES)


def may_edit_people(user: User) -> None:
    if not user.has_role(*OFFICE_ROLES, Role.HEALTH_WORKER):
        raise Forbidden("无权修改人员档案")


def may_manage_case(user: User, case: Case) -> None:
    """Office roles manage every kind of case; health workers manage mental-health cases only."""
    if user.has_role(*OFFICE_ROLES):
        return
    if user.has_role(Role.HEALTH_WORKER) and case.kind == CaseKind.MENTAL_HEALTH:
        return
    raise Forbidden("无权办理此类案件")


def may_open_case(user: User, kind: str) -> None:
    if user.has_role(*OFFICE_ROLES) or (user.has_role(Role.HEALTH_WORKER) and kind == CaseKind.MENTAL_HEALTH):
        return
    raise Forbidden("无权新建此类案件")
