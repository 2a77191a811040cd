"""签到与报告: record a report, a visit to the office or hours of education/community service for one case;
and the case's check-in plan (签到计划) — each duty as the category sets it or as adjusted for this person,
this month's windows, and the adjustment form (every change audited by ``override_plan``: 留痕)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from backend.supervision.actions import checkins as actions
from backend.supervision.inputs import CheckinFields, PlanIn
from backend.supervision.models import CheckinKind, CheckinPlan, Period
from backend.supervision.plans import compliance, ensure_default_plan

from ...forms import Form, form_page
from ..common import staff_page
from .common import case_context, case_in_reach, office_time, person_url
from .offers import checkin_refusal

KINDS = [(kind.value, kind.label) for kind in actions.OFFICER_KINDS]
HOUR_HINT = "教育学习、社区服务填写小时数（0.1–24）；其他方式不填"
STATUS_LABELS = {
    "met": "已完成", "missed": "未完成", "open": "进行中", "future": "未开始", "grace": "起始周期不计",
    "custody": "羁押期间免除",
}  # fmt: skip


@staff_page
def record_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_in_reach(request, case_id)

    def run(payload: CheckinFields) -> str:
        actions.record_checkin(
            by=request.user, case=case, kind=payload.kind, at=office_time(payload.at), hours=payload.hours,
            note=payload.note,
        )  # fmt: skip
        return person_url(case, "checkins")

    context = {**case_context(case, "checkins"), "refusal": checkin_refusal(request.user, case), "kinds": KINDS,
               "hour_hint": HOUR_HINT, "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    return form_page(request, Form(
        template="console/supervision/checkin_new.html", context=context, schema=CheckinFields, run=run,
        done="已登记签到与报告", fields=("kind", "at", "hours", "note"),
    ))  # fmt: skip


@staff_page
def plans_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """One route for the page and every row's form: the row's kind comes with the form (``kind``)."""
    case = case_in_reach(request, case_id)
    refusal = checkin_refusal(request.user, case)
    kind = request.POST.get("kind", "") if request.method == "POST" else ""

    def run(payload: PlanIn) -> str:
        actions.override_plan(
            by=request.user, case=case, kind=kind, required=payload.required, period=payload.period,
            active=payload.active, reset=payload.reset,
        )  # fmt: skip
        return f"/console/cases/{case.pk}/checkin-plans/"

    plans = (
        ensure_default_plan(case)
        if not refusal
        else list(CheckinPlan.objects.filter(case=case).order_by("kind"))
    )
    month = f"{timezone.localdate():%Y-%m}"
    windows = {row["plan_id"]: row["windows"] for row in compliance(case, month)} if plans else {}
    rows = [
        {
            "plan": plan,
            "windows": [
                {**w, "label": STATUS_LABELS.get(w["status"], w["status"])} for w in windows.get(plan.pk, [])
            ],
        }
        for plan in plans
    ]
    planned = {plan.kind for plan in plans}
    context = {
        **case_context(case, "checkins"), "refusal": refusal, "rows": rows, "posted_kind": kind, "month": month,
        "kinds": CheckinKind.choices, "new_kinds": [(v, label) for v, label in CheckinKind.choices if v not in planned],
        "periods": Period.choices, "posted_new": request.method == "POST" and kind not in planned,
    }  # fmt: skip
    return form_page(request, Form(
        template="console/supervision/checkin_plans.html", context=context, schema=PlanIn, run=run,
        done="已调整签到要求（留痕）", fields=("required", "period", "active", "kind"), checkboxes=("active",),
        skip=("kind",),
    ))  # fmt: skip
