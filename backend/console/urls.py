"""The staff console's pages (server-rendered, Chinese)."""

from __future__ import annotations

from django.urls import path

from backend.console.routes import approvals as approval_routes
from backend.console.routes import devices as device_routes
from backend.console.routes import inbox as inbox_routes
from backend.console.routes import people as people_routes
from backend.console.routes import supervision as supervision_routes
from backend.console.routes import transfer as transfer_routes
from backend.console.routes import zones as zone_routes
from backend.console.views import alerts, approvals, dashboard, devices, people, reports

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard_page, name="dashboard"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", alerts.alert_page, name="alert"),
    path("alerts/<int:alert_id>/acknowledge", alerts.acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/assign", alerts.assign, name="alert_assign"),
    path("alerts/<int:alert_id>/resolve", alerts.resolve, name="alert_resolve"),
    path("people/", people.person_list, name="people"),
    path("people/<int:person_id>/", people.person_page, name="person"),
    path("approvals/", approvals.approvals_page, name="approvals"),
    path("approvals/leave/<int:leave_id>/approve", approvals.approve_leave, name="leave_approve"),
    path("approvals/leave/<int:leave_id>/reject", approvals.reject_leave, name="leave_reject"),
    path(
        "approvals/proposals/<int:suggestion_id>/grant", approvals.grant_proposed_order, name="proposal_grant"
    ),
    path(
        "approvals/proposals/<int:suggestion_id>/decline",
        approvals.decline_proposed_order,
        name="proposal_decline",
    ),
    path("approvals/orders/<int:order_id>/renew", approvals.renew_order, name="order_renew"),
    path("approvals/orders/<int:order_id>/end", approvals.end_order, name="order_end"),
    path("devices/", devices.device_list, name="devices"),
    path("devices/<int:device_id>/", devices.device_page, name="device"),
    path(
        "devices/<int:device_id>/reset-registration",
        devices.reset_device_registration,
        name="device_reset_registration",
    ),
    path("reports/", reports.reports_page, name="reports"),
]

urlpatterns += (
    people_routes.urlpatterns
    + supervision_routes.urlpatterns
    + approval_routes.urlpatterns
    + device_routes.urlpatterns
    + zone_routes.urlpatterns
    + transfer_routes.urlpatterns
    + inbox_routes.urlpatterns
)
