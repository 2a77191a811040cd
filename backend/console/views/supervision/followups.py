"""随访与走访: record one follow-up, visit, review, summary, assessment, pick-up or incident for a case.

The record types offered are those of the case's kind that this user may enter (mental-health ones:
health staff only, ``followup.record``); the mental-health follow-up asks the risk level (危险性评估 0–5),
the aftercare review its result; the health kinds' findings (情况, encrypted, health staff only) are a few
named lines.  Everything else — the calendar it moves, the risk history, the notice to the police — is
``record_followup``'s (actions/followups.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from backend.core.errors import Invalid
from backend.people.models import AftercareRisk, CaseKind
from backend.people.permissions import sees_health_fields
from backend.supervision.actions import followups as actions
from backend.supervision.inputs import FollowUpFields

from ...forms import Form, form_page
from ..common import staff_page
from .common import case_context, case_in_reach, office_time, person_url
from .offers import followup_kinds, followup_refusal

# The findings of a mental-health record, as named lines (the API takes any object; these are what the
# 随访 form of 工作规范 2018 asks in words: condition, medication, what was done).
FINDINGS = (("findings.病情", "病情与症状"), ("findings.服药", "服药情况"), ("findings.处置", "处置与建议"))
FINDING_MAX = 2000
RISK_LEVELS = [(str(n), f"{n} 级") for n in range(6)]


@staff_page
def record_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_in_reach(request, case_id)
    user = request.user

    def run(payload: FollowUpFields) -> str:
        for name, _ in FINDINGS:  # a line of the form, bounded as a note is
            if len(request.POST.get(name, "")) > FINDING_MAX:
                raise Invalid("长度超出上限", {"field": name})
        values = payload.dict()
        values["at"] = office_time(values["at"])
        actions.record_followup(by=user, case=case, **values)
        return person_url(case, "followups")

    health = case.kind == CaseKind.MENTAL_HEALTH and sees_health_fields(user)
    context = {
        **case_context(case, "followups"), "refusal": followup_refusal(user, case),
        "kinds": followup_kinds(user, case), "risk_levels": RISK_LEVELS if case.kind == CaseKind.MENTAL_HEALTH else [],
        "aftercare_risks": AftercareRisk.choices if case.kind == CaseKind.AFTERCARE else [],
        "findings": FINDINGS if health else (), "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }  # fmt: skip
    shown = {
        "risk_level": context["risk_levels"],
        "aftercare_risk": context["aftercare_risks"],
        "findings": health,
    }
    fields = (
        "kind",
        "at",
        "note",
        *(name for name, on in shown.items() if on),
        *(name for name, _ in context["findings"]),
    )
    return form_page(request, Form(
        template="console/supervision/followup_new.html", context=context, schema=FollowUpFields, run=run,
        done="已登记随访与走访记录", fields=fields,
    ))  # fmt: skip
