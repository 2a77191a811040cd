"""考核奖惩: record a step for a correction case as the API's POST /sanctions does (``record_sanction``:
whatever it makes of it — a decision, or a proposal the county decides — is the action's), mark an
admonition remedied (训诫已改正), and accept or dismiss a suggestion the rules made (采纳 / 不采纳).

Electronic-location suggestions are not here: the county head grants the order itself on
/console/approvals/ (社区矫正法 Art. 29), which accepts the suggestion in the same transaction."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from backend.supervision.actions import sanctions as actions
from backend.supervision.inputs import AcceptIn, DismissIn, SanctionFields
from backend.supervision.models import Sanction, SanctionKind, SanctionState, SanctionSuggestion
from backend.supervision.sanction_tiers import proposes

from ...forms import Form, form_page
from ..common import act, staff_page
from .common import case_context, case_in_reach, person_url
from .offers import sanction_refusal, suggestion_refusal

KINDS = [(kind.value, kind.label) for kind in actions.DECIDABLE]
# What each rule of the ladder found (actions/sanctions.py), in words.
RULES = {
    actions.LOST_CONTACT_ADMONITION: "脱管不超过十日",
    actions.LOST_CONTACT_WARNING: "脱管超过十日",
    actions.LOST_CONTACT_REVOCATION: "脱管超过三十日",
    actions.ADMONITIONS_TO_WARNING: "训诫后仍未改正，累计达到警告条件",
    actions.WARNINGS_TO_REVOCATION: "多次警告，达到提请撤销条件",
}
DETAIL_NAMES = {"lost_since": "脱管起始", "days": "脱管天数", "ongoing": "仍在脱管", "count": "次数"}


@staff_page
def record_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_in_reach(request, case_id)

    def run(payload: SanctionFields) -> str:
        sanction = actions.record_sanction(by=request.user, case=case, **payload.dict())
        if sanction.state == SanctionState.PROPOSED:  # the county decides it (sanction_tiers.py)
            messages.info(
                request, f"「{sanction.get_kind_display()}」须县级社区矫正机构决定，已提请，决定后生效"
            )
        return person_url(case, "sanctions")

    county = [label for value, label in KINDS if proposes(request.user, case, value)]
    context = {**case_context(case, "sanctions"), "refusal": sanction_refusal(request.user, case), "kinds": KINDS,
               "county": county}  # fmt: skip
    return form_page(request, Form(
        template="console/supervision/sanction_new.html", context=context, schema=SanctionFields, run=run,
        done="已登记考核奖惩", fields=("kind", "reason", "decided_on", "basis"),
    ))  # fmt: skip


@require_POST
@staff_page
def remedy(request: HttpRequest, sanction_id: int) -> HttpResponse:
    sanction = get_object_or_404(
        Sanction.objects.visible_to(request.user).select_related("case"), pk=sanction_id
    )
    return act(
        request, person_url(sanction.case, "sanctions"),
        lambda: actions.remedy_sanction(by=request.user, sanction=sanction),
        "已标记训诫已改正：不再计入警告条件",
    )  # fmt: skip


@staff_page
def suggestion_page(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """One page, two forms: 采纳 (``_decision=accept``: the reason, the date) or 不采纳 (a reason)."""
    suggestion = get_object_or_404(
        SanctionSuggestion.objects.visible_to(request.user).exclude(kind=SanctionKind.LOCATION_ORDER)
        .select_related("case", "case__person"), pk=suggestion_id,
    )  # fmt: skip
    case = suggestion.case
    accepting = request.POST.get("_decision") != "dismiss"

    def accept(payload: AcceptIn) -> str:
        actions.accept_suggestion(by=request.user, suggestion=suggestion, **payload.dict())
        return person_url(case, "sanctions")

    def dismiss(payload: DismissIn) -> str:
        actions.dismiss_suggestion(by=request.user, suggestion=suggestion, note=payload.note)
        return person_url(case, "sanctions")

    details = [(DETAIL_NAMES[k], v) for k, v in suggestion.details.items() if k in DETAIL_NAMES]
    context = {
        **case_context(case, "sanctions"), "suggestion": suggestion, "rule": RULES.get(suggestion.rule, suggestion.rule),
        "details": details, "refusal": suggestion_refusal(request.user, suggestion),
        "posted": ("accept" if accepting else "dismiss") if request.method == "POST" else "",
    }  # fmt: skip
    if accepting:
        form = Form(template="console/supervision/suggestion.html", context=context, schema=AcceptIn, run=accept,
                    done="已采纳建议", fields=("reason", "decided_on"))  # fmt: skip
    else:
        form = Form(template="console/supervision/suggestion.html", context=context, schema=DismissIn, run=dismiss,
                    done="已不采纳建议", fields=("note",))  # fmt: skip
    return form_page(request, form)
