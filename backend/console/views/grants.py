"""查阅授权: the county head's (or an admin's) grants of access to a minor's or sealed file (社区矫正法 ch.5
closes such files to the office; a grant with a stated reason opens one to one member of staff for a time).

As the grants API: the policy is asked *before* the file is looked up, so nobody else learns that a
restricted file exists (403 with the rule's message); the file is found by its place in the tree
(``in_subtree_of``), not through ``visible_to``, which hides it from a head who holds no grant.  The page
therefore shows the file's number and flags, never its name or other particulars.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.bounds import ID_MAX
from backend.core.errors import DomainError
from backend.core.models import User
from backend.core.policy import require
from backend.core.rules import rules
from backend.people.actions.persons import grant_access, revoke_grant
from backend.people.inputs import GrantIn
from backend.people.models import AccessGrant, Person

from ..forms import Form, form_page
from .common import act, int_or_none, staff_page

GRANTEES_MAX = 500  # staff offered in the grantee list (a county has a few dozen to a few hundred)


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "console/denied.html", {"message": exc.message, "nav": "people"}, status=403)


def _restricted_file(request: HttpRequest, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.in_subtree_of(request.user).select_related("jurisdiction"), pk=person_id
    )


@staff_page
def grants_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """The file's grants (active first, then expired and revoked) and the form for a new one."""
    user = request.user
    try:
        require(user, "person.grant")  # before the lookup: others must not learn that the file exists
    except DomainError as exc:
        return _refused(request, exc)
    person = _restricted_file(request, person_id)
    now = timezone.now()
    grants = list(
        AccessGrant.objects.filter(person=person).select_related("user", "granted_by").order_by("-granted_at")
    )
    for grant in grants:
        grant.active = grant.revoked_at is None and grant.expires_at > now
    grantees = (
        User.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("jurisdiction")
        .order_by("jurisdiction__path", "username")[:GRANTEES_MAX]
    )
    context = {
        "person": person, "grants": grants, "grantees": grantees, "max_days": rules().access_grant_max_days,
        "nav": "people",
    }  # fmt: skip
    here = f"/console/people/{person.pk}/grants"

    def run(payload: GrantIn) -> str:
        grantee = get_object_or_404(User.objects.visible_to(user), pk=payload.user_id)
        grant_access(by=user, person=person, user=grantee, reason=payload.reason, days=payload.days)
        return here

    return form_page(
        request,
        Form(
            "console/person_grants.html", context, GrantIn, run, "已授权", fields=("user_id", "reason", "days"),
            initial={"days": "30"},
        ),
    )  # fmt: skip


@staff_page
@require_POST
def revoke(request: HttpRequest, person_id: int, grant_id: int) -> HttpResponse:
    try:
        require(request.user, "person.grant")
    except DomainError as exc:
        return _refused(request, exc)
    person = _restricted_file(request, person_id)
    grant = get_object_or_404(AccessGrant, pk=grant_id, person=person)
    return act(
        request,
        f"/console/people/{person.pk}/grants",
        lambda: revoke_grant(by=request.user, grant=grant),
        "已撤销授权",
    )


@staff_page
def find_file(request: HttpRequest) -> HttpResponse:
    """The head knows a restricted file only by its number (an officer asks for a grant, an alert row reads
    受限档案): this box on the people list goes to that file's grants."""
    person_id = int_or_none(request.GET.get("person"))
    if person_id is None or not 1 <= person_id <= ID_MAX:
        return redirect("/console/people/")
    return redirect(f"/console/people/{person_id}/grants")
