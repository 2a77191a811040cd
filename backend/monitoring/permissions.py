"""Monitoring's rules in the one policy (``backend.core.policy``), declared when ``MonitoringConfig.ready``
imports this module: alerts, devices, location orders (社区矫正法 Art. 29), zones and location data."""

from __future__ import annotations

from typing import Any

from backend.core.models import Role, User
from backend.core.policy import anyone, declare, grant
from backend.people.models.scope import OFFICE_ROLES


def assigned_to_them(user: User, alert: Any) -> bool:
    return alert.assignee_id == user.pk


def layer_in_own_subtree(user: User, layer: Any) -> bool:
    return user.jurisdiction is not None and user.jurisdiction.contains(layer.jurisdiction)


def proposed_it(user: User, proposal: Any) -> bool:
    return proposal.proposed_by_id == user.pk


def approver_over_person(user: User, person: Any) -> bool:
    return user.jurisdiction is not None and user.jurisdiction.contains(person.jurisdiction)


declare("alert.handle", "无权处理此告警", grant(*OFFICE_ROLES), anyone(when=assigned_to_them))
declare("device.manage", "仅司法所或县级工作人员可以管理定位设备", grant(*OFFICE_ROLES))
# Location data is for the correction office only (Art. 29): the track API and the console's maps.
declare("person.read_track", "定位信息仅用于社区矫正工作，仅限司法所与县级工作人员查看", grant(*OFFICE_ROLES))
declare("zone.create", "无权设置区域", grant(*OFFICE_ROLES))
declare("zone.update", "无权修改区域", grant(*OFFICE_ROLES))
# A shared layer (a county's 禁入 places) is managed by the office that holds it or an office above it.
declare(
    "zone_layer.manage",
    "无权管理共享区域图层",
    grant(*OFFICE_ROLES),
    within=layer_in_own_subtree,
    outside="只能管理本辖区及下级辖区的区域图层",
)
declare("location_order.propose", "无权提请电子定位", grant(*OFFICE_ROLES))
declare("location_order.renew", "无权提请延长", grant(*OFFICE_ROLES))
# Only whoever proposed it takes a proposal back, and only before it is decided (the action checks that).
declare("location_order.withdraw", "只有提请人可以撤回", anyone(when=proposed_it))
declare("location_order.end", "无权解除电子定位", grant(*OFFICE_ROLES))
# Asked of whoever decides a proposed order or renewal (approve or refuse): any county head over the person.
declare(
    "location_order.approve",
    "电子定位须经县级司法行政部门负责人批准（社区矫正法第二十九条）",
    grant(Role.COUNTY_HEAD),
    within=approver_over_person,
    outside="批准人须为该对象所在县的负责人",
)
