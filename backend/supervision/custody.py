"""Days in custody (羁押) and the check-in windows they excuse.

A correction subject in custody cannot report.  A window with at least ``checkin_custody_excuse_days``
such days (rules.py, default 1) that fell short raises no missed_checkin alert, shows as 羁押期间 in the
compliance view and is left out of the monthly compliance rate; one that was met counts as met, and
reminders go out as for anyone.  Custody runs from the effective day of the case's ``detain`` to the day
before its ``end_detention`` (the day of release is a day back in the community), or on while the case
is still detained.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from backend.core.rules import rules
from backend.people.models import Case, CaseTransition, SubStatus
from backend.supervision.windows import Window

Spell = tuple[dt.date | None, dt.date | None]  # first and last day in custody; None: open-ended
CHUNK = 5000  # case ids per query


def custody_spells(case_ids: set[int]) -> dict[int, list[Spell]]:
    """Days in custody (羁押) per case, from the case's detain / end_detention transitions (effective
    dates, Shanghai days) and its sub-status now: two queries per ``CHUNK`` cases."""
    spells: dict[int, list[Spell]] = defaultdict(list)
    ids = sorted(case_ids)
    for first in range(0, len(ids), CHUNK):  # a county's statistics ask for every case: stay under
        _add_spells(spells, ids[first : first + CHUNK])  # the database's limit on query parameters
    return spells


def _add_spells(spells: dict[int, list[Spell]], case_ids: list[int]) -> None:
    opened: dict[int, dt.date | None] = {}
    for case_id, to_sub, from_sub, day in (
        CaseTransition.objects.filter(case_id__in=case_ids)
        .filter(Q(to_sub_status=SubStatus.DETAINED) | Q(from_sub_status=SubStatus.DETAINED))
        .order_by("at", "id")
        .values_list("case_id", "to_sub_status", "from_sub_status", "effective_on")
    ):
        if to_sub == SubStatus.DETAINED and from_sub != SubStatus.DETAINED:
            opened[case_id] = day
        elif from_sub == SubStatus.DETAINED and to_sub != SubStatus.DETAINED:
            # The day custody ends is a day back in the community, able to report.
            spells[case_id].append((opened.pop(case_id, None), day - dt.timedelta(days=1)))
    for case_id in Case.objects.filter(pk__in=case_ids, sub_status=SubStatus.DETAINED).values_list(
        "pk", flat=True
    ):
        spells[case_id].append((opened.pop(case_id, None), None))


def excused_by_custody(spells: list[Spell] | None, window: Window) -> bool:
    """Did the person spend enough of ``window`` in custody for its duties to be excused?"""
    return bool(spells) and custody_days(spells, window) >= rules().checkin_custody_excuse_days


def custody_days(spells: list[Spell], window: Window) -> int:
    """Days of ``window`` (Shanghai calendar days, end excluded) covered by the custody spells."""
    first, last = window.start.date(), (window.end - dt.timedelta(days=1)).date()
    covered: set[dt.date] = set()
    for start, end in spells:
        lo, hi = max(first, start or first), min(last, end or last)
        covered.update(lo + dt.timedelta(days=n) for n in range((hi - lo).days + 1))
    return len(covered)
