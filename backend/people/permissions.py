"""What a role may see and do with a person's file, beyond *whether* it is visible (that is ``visible_to``).

The ``sees_*`` questions decide which fields a page or file shows; what a user may *do* is declared below
as rules of the one policy (``backend.core.policy``), imported by ``PeopleConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from backend.core.models import Role, User
from backend.core.policy import declare, grant
from backend.people.models import CaseKind
from backend.people.models.scope import OFFICE_ROLES

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


def mental_health_case(user: User, case: Any) -> bool:
    return case.kind == CaseKind.MENTAL_HEALTH


def mental_health_kind(user: User, kind: Any) -> bool:
    return kind == CaseKind.MENTAL_HEALTH


declare("person.edit", "无权修改人员档案", grant(*OFFICE_ROLES, Role.HEALTH_WORKER))
# A spreadsheet of persons and cases (批量导入): the correction office, which keeps the files; each row's
# case is checked against "case.open" besides.
declare("person.import", "仅社区矫正机构工作人员可以批量导入", grant(*OFFICE_ROLES))
declare("person.grant", "仅县级负责人或管理员可以授权查阅未成年人或封存档案", grant(*GRANT_ROLES))
# Office roles open and manage every kind of case; health workers mental-health cases only.
declare(
    "case.open", "无权新建此类案件", grant(*OFFICE_ROLES), grant(Role.HEALTH_WORKER, when=mental_health_kind)
)
declare(
    "case.manage",
    "无权办理此类案件",
    grant(*OFFICE_ROLES),
    grant(Role.HEALTH_WORKER, when=mental_health_case),
)
# The same roles as the sees_* questions above: who may read a field may correct it.
declare("case.edit_health_details", "诊断、治疗与用药信息仅卫生人员可以修改", grant(Role.HEALTH_WORKER))
declare("case.edit_criminal_details", "判决信息仅社区矫正机构工作人员可以修改", grant(*OFFICE_ROLES))
declare("case.read_emergencies", "应急处置记录仅卫生人员可以查看", grant(Role.HEALTH_WORKER))
