"""Proposals nobody decided in time expire (run with every sweep, ``scheduler.job_sweep``): leave undecided
when it would start (``actions/leave.py``) and sanction proposals the county left undecided
(``actions/sanction_proposals.py``).  Each expiry is a conditional UPDATE with its audit row and the
proposer's notice in one transaction, so a run repeated — or two schedulers — expire and tell once."""

from __future__ import annotations

import datetime as dt

from backend.supervision.actions.leave import expire_undecided_leave
from backend.supervision.actions.sanction_proposals import expire_sanction_proposals


def expire_proposals(now: dt.datetime | None = None) -> dict[str, int]:
    return {
        "leave_expired": expire_undecided_leave(now),
        "sanction_proposal_expired": expire_sanction_proposals(now),
    }
