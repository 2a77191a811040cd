"""The console's people pages (included by backend/console/urls.py): registration (建档), editing the
particulars, the live ID-number check, and the county head's access grants to restricted files."""

from __future__ import annotations

from django.urls import path

from backend.console.views import case_records, cases, grants, person_forms, teams

urlpatterns: list = [
    path("people/new", person_forms.register_page, name="person_new"),
    path("people/check-id", person_forms.check_id, name="person_check_id"),
    path("people/<int:person_id>/edit", person_forms.edit_page, name="person_edit"),
    path("people/grants", grants.find_file, name="person_grants_find"),
    path("people/<int:person_id>/grants", grants.grants_page, name="person_grants"),
    path("people/<int:person_id>/grants/<int:grant_id>/revoke", grants.revoke, name="person_grant_revoke"),
]

# --- cases and teams (views/cases.py, views/case_records.py, views/teams.py; the "cases" helper) ---
urlpatterns += [
    path("people/<int:person_id>/cases/new", cases.open_case_page, name="case_new"),
    path("cases/<int:case_id>/edit", cases.edit_case_page, name="case_edit"),
    path("cases/<int:case_id>/transitions", case_records.transitions_page, name="case_transitions"),
    path("cases/<int:case_id>/marks", case_records.marks_page, name="case_marks"),
    path("cases/<int:case_id>/placements", case_records.placements_page, name="case_placements"),
    path("cases/<int:case_id>/emergencies", case_records.emergencies_page, name="case_emergencies"),
    path("cases/<int:case_id>/team", teams.team_page, name="case_team"),
    path("cases/<int:case_id>/team/activate", teams.activate_team, name="case_team_activate"),
    path(
        "cases/<int:case_id>/team/members/<int:member_id>/remove",
        teams.remove_member,
        name="case_team_remove",
    ),
]
