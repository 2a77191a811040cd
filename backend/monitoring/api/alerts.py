"""/api/v1/alerts: the officer's work list — filters, detail with history, acknowledge, assign, resolve."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.core.models import User
from backend.monitoring.actions import alerts as actions
from backend.monitoring.assignees import assignees
from backend.monitoring.models import Alert
from backend.monitoring.restricted import shown_events, withhold_out_of_reach

router = Router(tags=["告警"])


class AlertFilters(Schema):
    state: str | None = None
    kind: str | None = None
    severity: str | None = None
    person_id: Id | None = None
    mine: bool = Field(False, description="只看我负责或指派给我的")


class AlertOut(Schema):
    id: int
    kind: str
    severity: str
    state: str
    person_id: int | None
    case_id: int | None
    device_id: int | None
    subject: str
    jurisdiction_id: int
    owner_id: int | None
    assignee_id: int | None
    opened_at: dt.datetime
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    occurrences: int
    late: bool
    due_at: dt.datetime
    escalation_level: int
    escalated_to_id: int | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolution: str
    details: dict
    restricted: bool = Field(False, description="对象为未成年人或封存档案且本人无查阅授权：不含详情与备注")


class EventOut(Schema):
    kind: str
    at: dt.datetime
    actor_id: int | None
    note: str | None
    details: dict


class AlertDetailOut(AlertOut):
    resolution_note: str | None
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj) -> list:
        return shown_events(obj, obj.events.all())


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class AlertAssignIn(NoteIn):
    user_id: Id


class AlertAssigneeOut(Schema):
    id: int
    username: str
    display_name: str


class ResolveIn(Schema):
    resolution: str = Field(description="handled / false_alarm / device_fault / authorised / duplicate")
    note: str = Field(min_length=1, max_length=2000)


def _alert(request: HttpRequest, alert_id: Id) -> Alert:
    return get_object_or_404(Alert.objects.visible_to(request.auth), pk=alert_id)


def _shown(request: HttpRequest, alert: Alert) -> Alert:
    """The alert as its reader may see it: without its person's data when the file is out of reach."""
    return withhold_out_of_reach(request.auth, [alert])[0]


@router.get("", response=Page[AlertOut], summary="告警列表")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters], page: Query[CursorParams]):
    queryset = Alert.objects.visible_to(request.auth)
    for key in ("state", "kind", "severity", "person_id"):
        value = getattr(filters, key)
        if value is not None:
            queryset = queryset.filter(**{key: value})
    if filters.mine:
        from django.db.models import Q

        queryset = queryset.filter(Q(owner=request.auth) | Q(assignee=request.auth))
    result = paginate(queryset, page)
    withhold_out_of_reach(request.auth, result["items"])
    return result


@router.get("/{int:alert_id}", response=AlertDetailOut, summary="告警详情与处理记录（读取留痕）")
def get_alert(request: HttpRequest, alert_id: Id):
    alert = _alert(request, alert_id)
    record_audit(actor=request.auth, action=AuditAction.ALERT_READ, target=alert)
    return _shown(request, alert)


@router.post("/{int:alert_id}/acknowledge", response=AlertOut, summary="签收")
def acknowledge(request: HttpRequest, alert_id: Id, payload: NoteIn):
    alert = actions.acknowledge_alert(alert=_alert(request, alert_id), by=request.auth, note=payload.note)
    return _shown(request, alert)


@router.post("/{int:alert_id}/assign", response=AlertOut, summary="指派")
def assign(request: HttpRequest, alert_id: Id, payload: AlertAssignIn):
    alert = _alert(request, alert_id)
    assignee = get_object_or_404(User.objects.visible_to(request.auth), pk=payload.user_id)
    return _shown(
        request, actions.assign_alert(alert=alert, by=request.auth, assignee=assignee, note=payload.note)
    )


@router.get(
    "/{int:alert_id}/assignees",
    response=list[AlertAssigneeOut],
    summary="可指派的人员（能查看该对象档案与定位信息的司法所、县级工作人员）",
)
def list_assignees(request: HttpRequest, alert_id: Id):
    return assignees(_alert(request, alert_id), request.auth)


@router.post("/{int:alert_id}/resolve", response=AlertOut, summary="办结（须填写结论与处置情况）")
def resolve(request: HttpRequest, alert_id: Id, payload: ResolveIn):
    alert = actions.resolve_alert(
        alert=_alert(request, alert_id), by=request.auth, resolution=payload.resolution, note=payload.note
    )
    return _shown(request, alert)
