"""What the supervision form pages share: the case in reach, the way back to the person page, and the
office's wall-clock time of a ``datetime-local`` field."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from backend.people.models import Case

from ..common import SHANGHAI
from .offers import KIND_NAMES


def case_in_reach(request: HttpRequest, case_id: int) -> Case:
    """The case, if the user may see it (its person's file): out of reach, or sealed without a grant → 404."""
    return get_object_or_404(Case.objects.visible_to(request.user).select_related("person"), pk=case_id)


def person_url(case: Case, section: str) -> str:
    return f"/console/people/{case.person_id}/#{section}"


def case_context(case: Case, section: str) -> dict:
    """The heading every form page of a case shows, and its way back."""
    return {
        "case": case, "person": case.person, "case_name": KIND_NAMES.get(case.kind, case.kind),
        "back": person_url(case, section), "nav": "people",
    }  # fmt: skip


def office_time(at: dt.datetime | None) -> dt.datetime | None:
    """A ``datetime-local`` field carries no zone: it is the office's time (Asia/Shanghai).  A value that
    names its zone (the API's ISO 8601 form, typed or pasted) keeps it."""
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=SHANGHAI)
    return at
