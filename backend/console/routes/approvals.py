"""The console's approvals pages (included by backend/console/urls.py)."""

from __future__ import annotations

from django.urls import path

from backend.console.views import approval_decisions, orders

urlpatterns: list = []

# --- electronic location orders, Art. 29 (views/orders.py): proposed by the officer, decided by the head ---
urlpatterns += [
    path("people/<int:person_id>/orders/new", orders.propose_page, name="order_new"),
    path("orders/<int:order_id>/withdraw", orders.withdraw_order, name="order_withdraw"),
    path("orders/<int:order_id>/renewals/new", orders.renew_page, name="order_renewal_new"),
    path(
        "orders/<int:order_id>/renewals/<int:renewal_id>/withdraw",
        orders.withdraw_renewal,
        name="order_renewal_withdraw",
    ),
    path("approvals/location-orders/<int:order_id>/approve", orders.approve_order, name="order_approve"),
    path("approvals/location-orders/<int:order_id>/refuse", orders.refuse_order, name="order_refuse"),
    path(
        "approvals/location-orders/<int:order_id>/renewals/<int:renewal_id>/approve",
        orders.approve_renewal,
        name="order_renewal_approve",
    ),
    path(
        "approvals/location-orders/<int:order_id>/renewals/<int:renewal_id>/refuse",
        orders.refuse_renewal,
        name="order_renewal_refuse",
    ),
]

# --- leave and sanction proposals (views/approval_decisions.py): decided by the tier / county that decides ---
urlpatterns += [
    path(
        "approvals/sanctions/<int:sanction_id>/", approval_decisions.sanction_page, name="sanction_proposal"
    ),
    path(
        "approvals/sanctions/<int:sanction_id>/approve",
        approval_decisions.approve_sanction,
        name="sanction_proposal_approve",
    ),
    path(
        "approvals/sanctions/<int:sanction_id>/refuse",
        approval_decisions.refuse_sanction,
        name="sanction_proposal_refuse",
    ),
    path("approvals/leave/<int:leave_id>/", approval_decisions.leave_page, name="leave_request"),
]
