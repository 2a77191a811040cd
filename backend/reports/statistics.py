"""Monthly statistics for a jurisdiction subtree (月度统计): plain numbers, no rendering.

Every figure is an aggregate query over the subtree (``Jurisdiction.path`` prefix) and one month on the
Asia/Shanghai calendar; only the few per-row comparisons a database cannot do portably (medians, the
pick-up on the release day, the aftercare contact cycle) fetch small column lists.  The rate definitions
are those of docs/reports.md, "Monthly statistics"; ``definitions()`` gives their wording for the appendix,
with the numbers from ``rules()``.

Stock figures are "at the end of the month": a case's status, category and risk at that date come from
its dated history (``CaseTransition``, ``CaseMark``), so a report for a past month shows that month, not
today.  Check-in plans have no history: a past window is judged against the plan's current requirement.
"""

from __future__ import annotations

import datetime as dt
import statistics as pystats
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from backend.core.models import Jurisdiction
from backend.core.rules import rules
from backend.monitoring.models import Alert, AlertEvent, DeviceAssignment, LocationOrder
from backend.monitoring.models.order import in_force_during_q
from backend.people.models import (
    AftercareDetail,
    AftercareOrigin,
    Case,
    CaseKind,
    CaseMark,
    CaseTransition,
    CorrectionDetail,
    MarkKind,
)
from backend.people.models.case import OPEN_STATUSES
from backend.reports.periods import SHANGHAI, Period, midnight
from backend.supervision.custody import custody_spells, excused_by_custody
from backend.supervision.models import HOUR_KINDS, Checkin, CheckinKind, CheckinPlan, FollowUp, FollowUpKind
from backend.supervision.models import Period as Every
from backend.supervision.plans import COUNTS_TOWARD, counted_since
from backend.supervision.windows import window_by_key, windows_overlapping


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return None if self.denominator == 0 else round(100 * self.numerator / self.denominator, 1)

    def text(self) -> str:
        if self.denominator == 0:
            return "—（无统计对象）"
        return f"{self.numerator} / {self.denominator} = {self.percent:.1f}%"


@dataclass
class MonthlyStats:
    jurisdiction_code: str
    jurisdiction_name: str
    month: str
    first: dt.date
    last: dt.date
    as_of: dt.datetime
    # Cases on the register at the end of the month (opened by then, still open then), by kind.
    register: dict[str, int] = field(default_factory=dict)
    persons_on_register: int = 0
    # Cases open at any time in the month, by kind and status at the month's end.
    status: dict[str, dict[str, int]] = field(default_factory=dict)
    category: dict[str, int] = field(default_factory=dict)  # correction cases on the register
    aftercare_risk: dict[str, int] = field(default_factory=dict)
    mh_risk: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)  # 新立案 by kind
    intakes: int = 0  # 报到（入矫）
    releases: int = 0  # 解除矫正
    aftercare_ended: int = 0  # 帮教期满
    terminations: dict[str, dict[str, int]] = field(default_factory=dict)  # kind → reason → n
    on_time_report: Rate = Rate(0, 0)
    handover: Rate = Rate(0, 0)
    pickup: Rate = Rate(0, 0)
    support: Rate = Rate(0, 0)
    mh_standard: Rate = Rate(0, 0)
    checkin: Rate = Rate(0, 0)
    checkin_by_duty: dict[str, Rate] = field(default_factory=dict)
    alerts_total: int = 0
    alerts_by_kind: dict[str, int] = field(default_factory=dict)
    alerts_by_severity: dict[str, int] = field(default_factory=dict)
    alerts_acknowledged: int = 0
    alerts_resolved: int = 0
    ack_median_minutes: float | None = None
    resolve_median_minutes: float | None = None
    escalation_steps: int = 0
    escalated_alerts: int = 0
    alerts_per_day: list[int] = field(default_factory=list)
    checkins_per_day: list[int] = field(default_factory=list)
    lost_contact_events: int = 0
    lost_contact_found: int = 0
    orders_in_force: int = 0
    orders_new: int = 0
    orders_expiring: int = 0
    orders_ended_early: int = 0
    tag_wearers: int = 0
    phone_holders: int = 0
    app_checkins: int = 0
    app_checkins_verified: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _status_at(last: dt.date, case_ref: str = "pk"):
    """A case's status at the end of ``last``: the latest transition by then; before any, the status it was
    opened in (the first transition's source); with no transitions at all, its status now."""
    moves = CaseTransition.objects.filter(case=OuterRef(case_ref))
    latest = moves.filter(effective_on__lte=last).order_by("-effective_on", "-id").values("to_status")[:1]
    initial = moves.order_by("effective_on", "id").values("from_status")[:1]
    return Coalesce(Subquery(latest), Subquery(initial), F("status" if case_ref == "pk" else "case__status"))


def _mark_at(kind: str, last: dt.date, case_ref: str = "pk"):
    """The value of a dated history (category, risk) in force at the end of ``last``; "" when none yet."""
    marks = CaseMark.objects.filter(case=OuterRef(case_ref), kind=kind, effective_on__lte=last)
    return Coalesce(Subquery(marks.order_by("-effective_on", "-id").values("value")[:1]), Value(""))


def _counts(queryset, key: str) -> dict[str, int]:
    return {str(k if k is not None else ""): n for k, n in queryset.values_list(key).annotate(n=Count("pk"))}


def _per_day(queryset, column: str, period: Period) -> list[int]:
    by_day = dict(
        queryset.annotate(day=TruncDate(column, tzinfo=SHANGHAI)).values_list("day").annotate(n=Count("pk"))
    )
    return [by_day.get(period.first + dt.timedelta(days=i), 0) for i in range(period.days)]


def _minutes(pairs) -> float | None:
    values = [(b - a).total_seconds() / 60 for a, b in pairs if a is not None and b is not None]
    return round(pystats.median(values), 1) if values else None


def compute_monthly(node: Jurisdiction, period: Period, *, as_of: dt.datetime | None = None) -> MonthlyStats:
    """The month's figures for ``node`` and everything under it."""
    as_of = as_of or timezone.now()
    path, first, last, start, end = node.path, period.first, period.last, period.start, period.end
    stats = MonthlyStats(node.code, node.name, f"{first:%Y-%m}", first, last, as_of)
    cases = Case.objects.filter(jurisdiction__path__startswith=path)

    # --- the register ---------------------------------------------------------------------------------
    in_month = (
        cases.filter(opened_on__lte=last)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=first))
        .annotate(st=_status_at(last))
    )
    for kind, status, n in in_month.values_list("kind", "st").annotate(n=Count("pk")):
        stats.status.setdefault(kind, {})[status] = n
    on_register = in_month.filter(st__in=OPEN_STATUSES)
    stats.register = _counts(on_register, "kind")
    stats.persons_on_register = on_register.values("person_id").distinct().count()
    stats.category = _counts(
        on_register.filter(kind=CaseKind.CORRECTION).annotate(v=_mark_at(MarkKind.CATEGORY, last)), "v"
    )
    stats.aftercare_risk = _counts(
        on_register.filter(kind=CaseKind.AFTERCARE).annotate(v=_mark_at(MarkKind.AFTERCARE_RISK, last)), "v"
    )
    stats.mh_risk = _counts(
        on_register.filter(kind=CaseKind.MENTAL_HEALTH).annotate(v=_mark_at(MarkKind.RISK_LEVEL, last)), "v"
    )

    # --- movements ------------------------------------------------------------------------------------
    stats.opened = _counts(cases.filter(opened_on__gte=first, opened_on__lte=last), "kind")
    moves = CaseTransition.objects.filter(
        case__jurisdiction__path__startswith=path, effective_on__gte=first, effective_on__lte=last
    )
    by_action = dict(moves.values_list("action").annotate(n=Count("pk")))
    stats.intakes = by_action.get("report", 0)
    stats.releases = by_action.get("release", 0)
    stats.aftercare_ended = by_action.get("end_period", 0)
    stats.lost_contact_events = by_action.get("report_lost_contact", 0)
    stats.lost_contact_found = by_action.get("found", 0)
    ended = moves.filter(action__in=["terminate", "close"]).values_list("case__kind", "reason")
    for kind, reason, n in ended.annotate(n=Count("pk")):
        stats.terminations.setdefault(kind, {})[reason or "other"] = n

    # --- rates ----------------------------------------------------------------------------------------
    due = CorrectionDetail.objects.filter(
        case__jurisdiction__path__startswith=path, report_deadline__gte=first, report_deadline__lte=last
    ).aggregate(
        total=Count("pk"),
        on_time=Count("pk", filter=Q(reported_on__isnull=False, reported_on__lte=F("report_deadline"))),
    )
    stats.on_time_report = Rate(due["on_time"], due["total"])

    released = AftercareDetail.objects.filter(
        case__jurisdiction__path__startswith=path,
        origin=AftercareOrigin.PRISON_RELEASE,
        release_on__gte=first,
        release_on__lte=last,
    )
    handed = released.aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(handed_over_on__isnull=False, handed_over_on__lte=last))
    )
    stats.handover = Rate(handed["done"], handed["total"])
    stats.pickup = _pickup(released.filter(key_person=True))
    stats.support = _support(path, period)
    stats.mh_standard = _mh_standard(on_register.filter(kind=CaseKind.MENTAL_HEALTH), period)
    stats.checkin, stats.checkin_by_duty = _checkin_compliance(path, period, as_of)

    # --- alerts ---------------------------------------------------------------------------------------
    alerts = Alert.objects.filter(
        jurisdiction__path__startswith=path, opened_at__gte=start, opened_at__lt=end
    )
    stats.alerts_by_kind = _counts(alerts, "kind")
    stats.alerts_by_severity = _counts(alerts, "severity")
    stats.alerts_total = sum(stats.alerts_by_kind.values())
    acked = list(alerts.filter(acknowledged_at__isnull=False).values_list("opened_at", "acknowledged_at"))
    resolved = list(alerts.filter(resolved_at__isnull=False).values_list("opened_at", "resolved_at"))
    stats.alerts_acknowledged, stats.alerts_resolved = len(acked), len(resolved)
    stats.ack_median_minutes, stats.resolve_median_minutes = _minutes(acked), _minutes(resolved)
    steps = AlertEvent.objects.filter(
        kind=AlertEvent.Kind.ESCALATED, at__gte=start, at__lt=end, alert__jurisdiction__path__startswith=path
    )
    stats.escalation_steps = steps.count()
    stats.escalated_alerts = steps.values("alert_id").distinct().count()
    stats.alerts_per_day = _per_day(alerts, "opened_at", period)

    # --- location: wearable orders apart from phone-based checks (Art. 29) --------------------------
    orders = LocationOrder.objects.approved().filter(case__jurisdiction__path__startswith=path)
    stats.orders_in_force = orders.filter(in_force_during_q(first, last)).count()
    stats.orders_new = orders.filter(starts_on__gte=first, starts_on__lte=last).count()
    stats.orders_expiring = orders.filter(
        ended_early_on__isnull=True, ends_on__gte=first, ends_on__lte=last
    ).count()
    stats.orders_ended_early = orders.filter(ended_early_on__gte=first, ended_early_on__lte=last).count()
    worn = DeviceAssignment.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=start),
        person__jurisdiction__path__startswith=path,
        started_at__lt=end,
    )
    stats.tag_wearers = worn.filter(device__kind="tag").values("person_id").distinct().count()
    stats.phone_holders = worn.filter(device__kind="phone").values("person_id").distinct().count()
    checkins = Checkin.objects.filter(case__jurisdiction__path__startswith=path, at__gte=start, at__lt=end)
    app = checkins.filter(kind=CheckinKind.APP).aggregate(
        n=Count("pk"), ok=Count("pk", filter=Q(verified=True))
    )
    stats.app_checkins, stats.app_checkins_verified = app["n"], app["ok"]
    stats.checkins_per_day = _per_day(checkins, "at", period)
    return stats


def _pickup(key_releases) -> Rate:
    """必接必送: a pick-up recorded by the end of the release day (as the calendar's pick-up check judges)."""
    released = dict(key_releases.values_list("case_id", "release_on"))
    picked = FollowUp.objects.filter(case_id__in=list(released), kind=FollowUpKind.AFTERCARE_PICKUP)
    done = {
        c
        for c, at in picked.values_list("case_id", "at")
        if at < midnight(released[c] + dt.timedelta(days=1))
    }
    return Rate(len(done), len(released))


def _support(path: str, period: Period) -> Rate:
    """帮教率: aftercare cases under support in the month with an active team and a contact in the current
    contact cycle (90 days; 30 for high risk) ending at the month's end.  A case handed over less than one
    cycle before the month's end has no contact due yet: an active team suffices."""
    r = rules()
    last, end = period.last, period.end
    contacts = FollowUp.objects.filter(
        case=OuterRef("case_id"), kind=FollowUpKind.AFTERCARE_CONTACT, at__lt=end
    ).order_by("-at")
    rows = (
        AftercareDetail.objects.filter(
            Q(case__closed_on__isnull=True) | Q(case__closed_on__gte=period.first),
            case__jurisdiction__path__startswith=path,
            handed_over_on__lte=last,
        )
        .annotate(
            risk=_mark_at(MarkKind.AFTERCARE_RISK, last, "case_id"),
            last_contact=Subquery(contacts.values("at")[:1]),
        )
        .values_list("handed_over_on", "risk", "last_contact", "case__team__activated_at")
    )
    met = total = 0
    for handed_over_on, risk, last_contact, activated in rows:
        total += 1
        days = r.aftercare_contact_days_high if risk == "high" else r.aftercare_contact_days
        cycle_start = end - dt.timedelta(days=days)
        if activated is None or activated >= end:
            continue
        if midnight(handed_over_on) > cycle_start or (
            last_contact is not None and last_contact >= cycle_start
        ):
            met += 1
    return Rate(met, total)


def _mh_standard(patients, period: Period) -> Rate:
    """规范管理率: registered patients with ≥ 4 follow-ups and ≥ 1 health check in the calendar year up to the
    month's end (as GET /followups/compliance counts a year)."""
    r = rules()
    year_start = midnight(dt.date(period.first.year, 1, 1))
    window = Q(followups__at__gte=year_start, followups__at__lt=period.end)
    counted = patients.annotate(
        visits=Count("followups", filter=window & Q(followups__kind=FollowUpKind.MH_FOLLOWUP), distinct=True),
        checks=Count(
            "followups", filter=window & Q(followups__kind=FollowUpKind.MH_HEALTH_CHECK), distinct=True
        ),
    )
    total = counted.count()
    met = counted.filter(visits__gte=r.mh_followups_per_year, checks__gte=r.mh_health_checks_per_year).count()
    return Rate(met, total)


def _checkin_compliance(path: str, period: Period, as_of: dt.datetime) -> tuple[Rate, dict[str, Rate]]:
    """Duty windows that closed in the month (the month itself; the ISO weeks ending in it), for cases that
    had reported before the window ended and were not closed before its last day, excluding a plan's grace
    window (plans.py ``counted``), windows short but excused by days in custody (custody.py) and windows
    not yet over at ``as_of``.  A window is met when its check-ins (hours for education and community
    service) reach the plan's requirement."""
    month = window_by_key(Every.MONTH, f"{period.first:%Y-%m}")
    windows = {
        Every.MONTH: [month] if month.end <= as_of else [],
        Every.WEEK: [
            w for w in windows_overlapping(Every.WEEK, period.start, period.end)
            if w.end <= period.end and w.end <= as_of
        ],
    }  # fmt: skip
    plans = CheckinPlan.objects.filter(
        active=True,
        case__kind=CaseKind.CORRECTION,
        case__jurisdiction__path__startswith=path,
        case__correction__reported_on__isnull=False,
    ).values_list("case_id", "kind", "period", "required", "active_since", "case__correction__reported_on",
                  "case__closed_on")  # fmt: skip
    plans = list(plans)
    spells = custody_spells({row[0] for row in plans})
    held: dict[tuple[str, str], list[tuple[int, int, object]]] = defaultdict(list)
    for case_id, kind, every, required, since, reported_on, closed_on in plans:
        for window in windows.get(every, []):
            last_day = (window.end - dt.timedelta(days=1)).astimezone(SHANGHAI).date()
            if not counted_since(since, window):
                continue  # the grace window the duty came into force in (plans.counted)
            if reported_on > last_day or (closed_on is not None and closed_on < last_day):
                continue
            held[(kind, window.key)].append((case_id, required, window))
    met: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for (kind, _), items in held.items():
        window = items[0][2]
        done = (
            Checkin.objects.counting()
            .filter(
                case__jurisdiction__path__startswith=path,
                kind__in=COUNTS_TOWARD[kind],
                at__gte=window.start,
                at__lt=window.end,
            )
            .values("case_id")
        )
        measure = Sum("hours") if kind in HOUR_KINDS else Count("pk")
        totals = dict(done.annotate(total=measure).values_list("case_id", "total"))
        for case_id, required, _ in items:
            done_enough = (totals.get(case_id) or Decimal(0)) >= required
            if not done_enough and excused_by_custody(spells.get(case_id), window):
                continue  # short, but in custody: the duty could not be done (custody.py)
            total[kind] += 1
            met[kind] += done_enough
    by_duty = {kind: Rate(met[kind], total[kind]) for kind in sorted(total)}
    return Rate(sum(met.values()), sum(total.values())), by_duty


def definitions() -> list[tuple[str, str]]:
    """The wording of every rate and figure, for the appendix (numbers from ``rules()``)."""
    r = rules()
    return [
        ("在册人数", "统计月末已立案且尚未结案（状态为待报到、在矫、期满待处理、待衔接或帮教中/在管）的案件数；"
                   "同一人员有多类案件时分别计入各类，“在册人员”按人去重。"),
        ("状态、类别与风险", "以统计月末的状态（案件状态变更记录）、管理类别与风险等级（分类与评估的生效记录）为准；"
                         "月末尚无评估记录的计为“未评估”。"),
        ("入矫、解除、终止", "统计月内生效的报到、解除矫正、帮教期满、终止矫正/帮教与结案记录数（按生效日期）。"),
        ("按期报到率", f"报到期限（判决生效后 {r.correction_report_days} 日）落在统计月内的社区矫正对象中，"
                    "在期限内（含当日）报到的人数 ÷ 报到期限落在统计月内的人数。逾期未报到即漏管。"),
        ("衔接率", "释放日期在统计月内的刑满释放人员（安置帮教，来源为刑满释放）中，至月末已完成衔接的人数 ÷ "
                 "释放日期在统计月内的人数（已衔接 ÷ 已通知）。"),
        ("必接必送率", "上述人员中的重点帮教对象，在释放当日结束前登记了接送记录的人数 ÷ 释放日期在统计月内的"
                    "重点帮教对象人数。"),
        ("帮教率", f"统计月内处于帮教期（月末前已衔接、月初前未结案）的人员中，帮教小组已启用且在截至月末的"
                 f"联系周期内（每 {r.aftercare_contact_days} 日；高风险每 {r.aftercare_contact_days_high} 日）"
                 "有走访/联系记录的人数 ÷ 帮教期内人数；衔接不满一个周期的，小组已启用即计为达标。"),
        ("规范管理率", f"月末在册的严重精神障碍患者中，本年 1 月 1 日至统计月末随访不少于 {r.mh_followups_per_year} 次且"
                    f"健康体检不少于 {r.mh_health_checks_per_year} 次的人数 ÷ 月末在册患者数（目标 ≥ 80%；"
                    "全年是否达标以 12 月报表为准）。"),
        ("签到与报告完成率", "统计月内结束的各项签到/报告窗口（当月，及在当月结束的自然周）中，达到计划要求次数"
                        "（教育学习、社区服务为小时数）的窗口数 ÷ 应统计的窗口数。不计：义务生效当期（宽限期）、"
                        "窗口结束前尚未报到或已结案的、打印时尚未结束的窗口，以及未完成但窗口内羁押满 "
                        f"{r.checkin_custody_excuse_days} 日的窗口（羁押期间无法报到）。按现行计划要求判断。"),
        ("告警处置时长", "统计月内生成的告警，从生成到签收、到办结的时长的中位数（分钟）；未签收或未办结的不计入"
                      "对应时长。升级次数为统计月内发生的逐级上报次数。"),
        ("脱管事件", "统计月内登记的“脱管查找”记录数；“查找到位”为同期解除脱管查找的记录数。"),
        ("电子定位", f"电子定位决定（社区矫正法第二十九条，每期不超过 {r.location_order_max_months} 个月）："
                   "统计月内任一日在有效期内的决定数、月内新作出的、月内届满的与提前解除的决定数；"
                   "佩戴电子定位装置人数与手机信息化核查人数分别统计，二者不合并。"),
    ]  # fmt: skip
