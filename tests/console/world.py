"""One small synthetic office for the console tests: a person of 甲一司法所 with an active correction case,
a JT/T 808 tag on a location order, an exclusion zone, an open SOS alert and a pending leave request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from backend.core.models import Role, User
from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.actions.devices import assign_device, provision_device
from backend.monitoring.actions.orders import add_months
from backend.monitoring.actions.zones import create_zone
from backend.monitoring.models import Alert, Device, LocationOrder, Zone
from backend.people.actions.transitions import transition_case
from backend.people.models import Case, Person
from backend.supervision.actions.leave import create_leave
from backend.supervision.models import LeaveRequest
from tests.conftest import Trio, make_user
from tests.monitoring.order_helpers import grant_order
from tests.people import factories

TERMINAL_PHONE = "013800138001"
PERSON_PHONE = "13900001111"


@dataclass
class World:
    person: Person
    case: Case
    head: User
    tag: Device
    auth_code: str
    order: LocationOrder
    zone: Zone
    leave: LeaveRequest


def build(tree, officers: Trio, *, name: str = "测试张三", terminal: str = TERMINAL_PHONE) -> World:
    """A second world in the same office needs its own ``terminal`` (the county head is shared)."""
    today = timezone.localdate()
    owner = officers.owner
    person = factories.person(
        owner, tree.township_a1, name=name, phones=[{"number": PERSON_PHONE, "label": "本人"}]
    )
    case = factories.correction(
        owner,
        person,
        judgment_effective_on=today - dt.timedelta(days=60),
        term_start=today - dt.timedelta(days=60),
    )
    case = transition_case(by=owner, case=case, action="report", effective_on=today - dt.timedelta(days=55))
    head = User.objects.filter(username="head_a").first() or make_user(
        "head_a", tree.county_a, Role.COUNTY_HEAD
    )
    order = grant_order(
        by=owner, case=case, ground="2", facts="未经批准离开本县（测试）", approved_by=head, approved_on=today,
        starts_on=today, ends_on=add_months(today, 3), notice_signed_on=today,
    )  # fmt: skip
    provisioned = provision_device(
        by=owner, jurisdiction=tree.township_a1, kind="tag", protocol="jt808",
        identifier=terminal.lstrip("0"), model="C5", label="脚环一号",
    )  # fmt: skip
    tag = assign_device(by=owner, device=provisioned.device, person=person)
    zone = create_zone(
        by=owner, jurisdiction=tree.township_a1, person=person, kind="exclusion", name="测试娱乐场所",
        geometry={"type": "circle", "lat": 30.2, "lon": 120.2, "radius_m": 300},
    )  # fmt: skip
    leave = create_leave(
        by=owner, case=case, starts_on=today + dt.timedelta(days=5), ends_on=today + dt.timedelta(days=7),
        destination="测试市测试路 1 号", reason="探亲（测试）",
    )  # fmt: skip
    return World(person, case, head, tag, provisioned.credential, order, zone, leave)


def open_alert(world: World) -> Alert:
    alert, _ = raise_alert(
        kind="sos", severity="critical", person=world.person, subject=f"device:{world.tag.pk}",
        details={"alarm": "sos", "device": world.tag.pk},
    )  # fmt: skip
    return alert
