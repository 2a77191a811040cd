from backend.supervision.models.checkin import HOUR_KINDS, Checkin, CheckinKind, CheckinPlan, Period
from backend.supervision.models.due import DueItem, DueKind, DueState
from backend.supervision.models.followup import HEALTH_KINDS, FollowUp, FollowUpKind
from backend.supervision.models.leave import LeaveRequest, LeaveState, LeaveTier
from backend.supervision.models.sanction import Sanction, SanctionKind, SanctionState, SanctionSuggestion

__all__ = [
    "HEALTH_KINDS",
    "HOUR_KINDS",
    "Checkin",
    "CheckinKind",
    "CheckinPlan",
    "DueItem",
    "DueKind",
    "DueState",
    "FollowUp",
    "FollowUpKind",
    "LeaveRequest",
    "LeaveState",
    "LeaveTier",
    "Period",
    "Sanction",
    "SanctionKind",
    "SanctionState",
    "SanctionSuggestion",
]
