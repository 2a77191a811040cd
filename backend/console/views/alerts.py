"""告警: the list, one alert's page (timeline, recent fixes and zones on the map) and its handling —
acknowledge, assign, resolve — through the monitoring actions, never around them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.models import User
from backend.monitoring.actions import alerts as actions
from backend.monitoring.assignees import assignees as alert_assignees
from backend.monitoring.models import Alert, AlertEvent, AlertKind, AlertState, Device, Resolution, Severity
from backend.monitoring.restricted import shown_events, withhold_out_of_reach

from .. import maps
from ..conf import map_config
from ..exports import export_limit, wants_xlsx
from ..names import give_names, in_reach, restricted
from . import list_exports
from .common import act, int_or_none, staff_page


def _alert(request: HttpRequest, alert_id: int) -> Alert:
    return get_object_or_404(Alert.objects.visible_to(request.user), pk=alert_id)  # out of reach → 404


@staff_page
def alert_list(request: HttpRequest) -> HttpResponse:
    queryset = Alert.objects.visible_to(request.user)
    state = request.GET.get("state", "unresolved")
    if state == "unresolved":
        queryset = queryset.unresolved()
    elif state in AlertState.values:
        queryset = queryset.filter(state=state)
    for key, allowed in (("kind", AlertKind.values), ("severity", Severity.values)):
        value = request.GET.get(key)
        if value in allowed:
            queryset = queryset.filter(**{key: value})
    alerts = list(
        queryset.order_by("state", "due_at", "id")[: export_limit() if wants_xlsx(request) else 200]
    )
    give_names(request.user, alerts)
    if wants_xlsx(request):
        used = [k for k in ("state", "kind", "severity") if request.GET.get(k)]
        return list_exports.alerts(request, alerts, used)
    record_audit(
        actor=request.user,
        action=AuditAction.ALERT_LIST,
        details={"ids": [a.pk for a in alerts], "page": "console"},
    )
    return render(request, "console/alerts.html", {
        "alerts": alerts, "state": state, "kinds": AlertKind.choices, "severities": Severity.choices,
        "states": AlertState.choices, "selected": request.GET, "nav": "alerts",
    })  # fmt: skip


@staff_page
def alert_page(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _alert(request, alert_id)
    fixes, zones, breach, focus = [], [], None, None
    person = in_reach(request.user, alert.person_id)  # a file the user may not open: no name, no fixes
    withhold_out_of_reach(request.user, [alert])  # …no details, no notes
    events = shown_events(alert, alert.events.select_related("actor"))
    if alert.person_id:
        alert.person = person or restricted(alert.person_id)
    if person is not None and maps.may_see_locations(request.user):
        fixes = maps.recent_fixes(person, alert.last_seen_at, seen_by=request.user)
        zones = maps.zones_for(person, request.user)
        if (found := maps.breached_zone(alert, person, request.user, fixes)) is not None:
            zone, last = found
            focus = zone.pk  # the map opens on the breached zone (and the fixes)
            if zone.pk not in {z["id"] for z in zones}:
                zones.append(maps.map_feature(zone))  # no longer active, or a leave's destination
            breach = {"zone": zone, "fix": last}
    _describe(events, {z["id"]: z["properties"]["name"] for z in zones})
    record_audit(
        actor=request.user, action=AuditAction.ALERT_READ, target=alert,
        details={"page": "console", "fixes": len(fixes), "zones": [z["id"] for z in zones]},
    )  # fmt: skip
    assignees = []
    if alert.state != AlertState.RESOLVED:
        assignees = alert_assignees(alert, request.user)  # who may see the person and their fixes
    return render(request, "console/alert.html", {
        "alert": alert, "events": events, "assignees": assignees,
        "resolutions": [(v, label) for v, label in Resolution.choices if v != Resolution.CLEARED],
        "map_data": {"zones": zones, "fixes": fixes, "focus": focus, "config": map_config().as_dict()},
        "breach": breach, "device": _device(request.user, alert), "nav": "alerts",
    })  # fmt: skip


def _describe(events: list[AlertEvent], zone_names: dict[int, str]) -> None:
    """Each event's text for the timeline: its note, or what a note of the system says (a return written
    before it carried a text), and the zone's name where the reader may see zones."""
    for event in events:
        back = event.kind == AlertEvent.Kind.NOTE and "violation_ended_at" in event.details
        event.text = event.note or ("已返回区域" if back else "")
        event.zone_name = zone_names.get(event.details.get("zone")) if back else None


def _device(user: User, alert: Alert) -> Device | None:
    """The alert's device, if the reader may see it (the devices page's rule)."""
    if alert.device_id is None:
        return None
    return Device.objects.visible_to(user).filter(pk=alert.device_id).first()


@require_POST
@staff_page
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _alert(request, alert_id)
    note = request.POST.get("note", "")[:2000]
    return act(request, f"/console/alerts/{alert.pk}/",
               lambda: actions.acknowledge_alert(alert=alert, by=request.user, note=note), "已签收")  # fmt: skip


@require_POST
@staff_page
def assign(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _alert(request, alert_id)
    assignee = get_object_or_404(
        User.objects.visible_to(request.user), pk=int_or_none(request.POST.get("user_id"))
    )
    note = request.POST.get("note", "")[:2000]
    return act(
        request, f"/console/alerts/{alert.pk}/",
        lambda: actions.assign_alert(alert=alert, by=request.user, assignee=assignee, note=note),
        f"已指派给 {assignee.display_name or assignee.username}",
    )  # fmt: skip


@require_POST
@staff_page
def resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _alert(request, alert_id)
    resolution, note = request.POST.get("resolution", ""), request.POST.get("note", "")[:2000]
    return act(
        request, f"/console/alerts/{alert.pk}/",
        lambda: actions.resolve_alert(alert=alert, by=request.user, resolution=resolution, note=note),
        "已办结",
    )  # fmt: skip
