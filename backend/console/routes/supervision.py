"""The console's supervision pages (included by backend/console/urls.py): check-ins and the check-in plan,
follow-ups, leave applications (filing, withdrawal, 销假) and sanctions (steps, 训诫已改正, suggestions).
Every page is reached from the person page (``person_actions/supervision.html``)."""

from __future__ import annotations

from django.urls import path

from backend.console.views.supervision import checkins, followups, leave, sanctions

urlpatterns: list = [
    path("cases/<int:case_id>/checkins/new", checkins.record_page, name="checkin_new"),
    path("cases/<int:case_id>/checkin-plans/", checkins.plans_page, name="checkin_plans"),
    path("cases/<int:case_id>/followups/new", followups.record_page, name="followup_new"),
    path("cases/<int:case_id>/leave/new", leave.file_page, name="leave_new"),
    path("leave/<int:leave_id>/cancel", leave.cancel, name="leave_cancel"),
    path("leave/<int:leave_id>/return", leave.return_page, name="leave_return"),
    path("cases/<int:case_id>/sanctions/new", sanctions.record_page, name="sanction_new"),
    path("sanctions/<int:sanction_id>/remedy", sanctions.remedy, name="sanction_remedy"),
    path("suggestions/<int:suggestion_id>/", sanctions.suggestion_page, name="suggestion"),
]
