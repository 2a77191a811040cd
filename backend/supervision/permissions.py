"""Supervision's rules in the one policy (``backend.core.policy``), declared when ``SupervisionConfig.ready``
imports this module: leave, sanctions and follow-ups."""

from __future__ import annotations

from typing import Any

from backend.core.errors import Forbidden
from backend.core.models import Role, User
from backend.core.policy import anyone, declare, grant
from backend.people.models.scope import OFFICE_ROLES
from backend.supervision.actions.leave import decides, not_the_approver
from backend.supervision.actions.sanction_proposals import decides_proposal, not_the_county
from backend.supervision.models import HEALTH_KINDS


def filed_it(user: User, leave: Any) -> bool:
    return leave.created_by_id == user.pk


def not_a_health_kind(user: User, kind: Any) -> bool:
    return kind not in HEALTH_KINDS


def _health_kinds_refused(kind: Any) -> Forbidden:
    return Forbidden("精神障碍患者随访、体检、突发事件与应急处置记录仅卫生人员可以登记", {"kind": kind})


declare("leave.create", "无权提交外出申请", grant(*OFFICE_ROLES))
# 审批 by tier (实施办法 Art. 27–28): the case's 司法所, its county, or the level above (``approver_office``).
declare("leave.decide", not_the_approver, anyone(when=decides))
declare("leave.cancel", "只有提交申请的工作人员可以撤回外出申请", anyone(when=filed_it))
declare("leave.return", "无权办理销假", grant(*OFFICE_ROLES))
# Records a step: decides it, or — a kind the county decides, by anyone but the county — proposes it.
declare("sanction.decide", "无权作出考核奖惩决定", grant(*OFFICE_ROLES))
# 实施办法 Arts. 32, 35, 36, 46–49: the case's county agency decides a proposal (backend/supervision/sanction_tiers.py).
declare("sanction.approve", not_the_county, anyone(when=decides_proposal))
# Mental-health kinds are health data (工作规范 2018; 个人信息保护法 Art. 28): health staff only.
declare("followup.record", _health_kinds_refused, anyone(when=not_a_health_kind), grant(Role.HEALTH_WORKER))
declare("followup.read_compliance", "无权查看随访规范管理情况", grant(*OFFICE_ROLES, Role.HEALTH_WORKER))
