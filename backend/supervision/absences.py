"""Approved leave as the zone watch's excused absences (backend/monitoring/absences.py): while a person is on
approved leave their inclusion zones do not apply, and the leave's destination, if drawn, does.  Added at
start by ``SupervisionConfig.ready``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, Max, Q

from backend.monitoring.absences import Absence
from backend.supervision.models import LeaveRequest, LeaveState


class ApprovedLeave:
    def stamp(self) -> tuple:
        # Leave only moves forward (pending → approved → returned): these change with every step.
        return tuple(
            LeaveRequest.objects.aggregate(
                a=Count("id", filter=Q(state=LeaveState.APPROVED)),
                r=Count("id", filter=Q(state=LeaveState.RETURNED)),
                t=Max("decided_at"),
            ).values()
        )

    def ending_since(self, day: dt.date) -> Iterator[Absence]:
        leaves = LeaveRequest.objects.filter(
            state__in=(LeaveState.APPROVED, LeaveState.RETURNED), ends_on__gte=day
        ).select_related("case", "destination_zone")
        for leave in leaves:
            start, end = leave.window()
            yield Absence(leave.case.person_id, start, end, leave.destination_zone)
