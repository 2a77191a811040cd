"""Location orders in force for tests that need one: proposed by an officer and approved by a county head
(Art. 29: an order is in force only once the head approves it in the system), on a given day."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.monitoring.actions.orders import approve_order, approve_renewal, propose_order, renew_order
from backend.monitoring.models import LocationOrder


def grant_order(*, by, case, approved_by, approved_on: dt.date | None = None, **values) -> LocationOrder:
    """``by`` proposes, the head ``approved_by`` approves, both on ``approved_on`` (default today)."""
    on = approved_on or timezone.localdate()
    order = propose_order(by=by, case=case, on=on, **values)
    return approve_order(by=approved_by, order=order, on=on)


def renew_and_approve(*, by, order, new_end, reassessment, approved_by, approved_on=None) -> LocationOrder:
    on = approved_on or timezone.localdate()
    renewal = renew_order(by=by, order=order, new_end=new_end, reassessment=reassessment, on=on)
    return approve_renewal(by=approved_by, renewal=renewal, on=on)


def approved_row(**fields) -> LocationOrder:
    """An approved order written directly (no checks): for tests that set up dates the actions refuse."""
    fields.setdefault("decision", "approved")
    fields.setdefault("decided_by", fields.get("proposed_by"))
    return LocationOrder.objects.create(**fields)
