"""Due-item planners and handlers of the case calendar: correction (category reviews, term end, release,
location orders), aftercare (pick-up, contacts, risk reviews, period end) and mental health (follow-ups,
health checks, emergency records, risk rising).  What each deadline is: ``backend/supervision/calendar.py``.

Planners run hourly over every open case with a few bulk queries and plan what is due within
``calendar_plan_ahead_days``; reminders whose moment passed more than ``reminder_stale_hours`` ago are
not planned (no flood of old reminders when a county is imported), missed deadlines that raise an alert
are.  Handlers check a whole batch with one query, finish every item that needs nothing in one
transaction, and raise alerts (or queue reminders) one item per transaction through ``finish_each``.
Nothing here changes a case's status: release and period end are the officer's acts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction

from backend.core.models import Jurisdiction, Role, User
from backend.core.rules import rules
from backend.monitoring.alerting import raise_alert
from backend.monitoring.models import AlertKind, LocationOrder, Severity
from backend.people.models import Case, CaseKind, CaseStatus, TeamMember
from backend.supervision import calendar as cal
from backend.supervision.due import Plan, finish, finish_each, handler, planner
from backend.supervision.models import DueItem, DueKind, FollowUp, FollowUpKind
from backend.supervision.reminders import remind_staff

K = FollowUpKind


def _window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(earliest reminder still worth planning, latest deadline planned now)."""
    r = rules()
    earliest = now - dt.timedelta(hours=r.reminder_stale_hours)
    return earliest, now + dt.timedelta(days=r.calendar_plan_ahead_days)


def _settle(
    items: list[DueItem],
    now: dt.datetime,
    decide: Callable[[DueItem], str | None],
    act: Callable[[DueItem], str],
) -> None:
    """``decide`` gives the outcome of items that need nothing (None: act on it).  Those are finished
    together in one transaction; the others one by one, each with its alert or reminder."""
    quiet: dict[str, list[DueItem]] = defaultdict(list)
    todo = []
    for item in items:
        outcome = decide(item)
        if outcome is None:
            todo.append(item)
        else:
            quiet[outcome].append(item)
    if quiet:
        with transaction.atomic():
            for outcome, group in quiet.items():
                finish(group, outcome, now)
    finish_each(todo, act, now)


def _cases(items: Iterable[DueItem]):
    return Case.objects.filter(pk__in={i.case_id for i in items})


def _flat(*plans: dict[int, Plan] | dict[int, tuple[Plan, ...]]) -> list[Plan]:
    return [p for d in plans for v in d.values() for p in (v if isinstance(v, tuple) else (v,))]


def _current(plans: list[Plan]) -> Callable[[DueItem], str | None]:
    """An item is acted on when it is still its case's current deadline; otherwise "stale" (the date
    moved) or "not_needed" (the case left the state the deadline belongs to)."""
    subjects = {(p.kind, p.subject) for p in plans}
    cases = {p.case_id for p in plans}

    def decide(item: DueItem) -> str | None:
        if (item.kind, item.subject) in subjects:
            return None
        return "stale" if item.case_id in cases else "not_needed"

    return decide


def _officers(items: Iterable[DueItem]) -> dict[int, User]:
    """Case id → officer, for a batch, in one query."""
    by_case = {i.case_id: i.case.officer_id for i in items if i.case_id}
    users = User.objects.filter(pk__in={u for u in by_case.values() if u}, is_active=True).in_bulk()
    return {case_id: users[uid] for case_id, uid in by_case.items() if uid in users}


def _remind(item: DueItem, users: Iterable[User | None], title: str, text: str) -> str:
    users = [u for u in users if u is not None]
    if not users:
        return "no_recipient"
    remind_staff(item, users, title=title, text=text)
    return "reminded"


def _alert(item: DueItem, severity: str, subject: str, **details) -> str:
    alert, _ = raise_alert(
        kind=AlertKind.FOLLOWUP_DUE,
        severity=severity,
        person=item.person,
        case=item.case,
        subject=subject,
        details={"due_item": item.pk, "due_kind": item.kind, **details},
    )
    return f"alert:{alert.pk}"


def _ancestor_ids(jurisdiction_path: str) -> list[int]:
    return [int(part) for part in jurisdiction_path.strip("/").split("/") if part]


def _holders(items: list[DueItem], role: str, *, nearest: bool) -> dict[int, list[User]]:
    """Case jurisdiction id → active users holding ``role``: those at the county above it (``nearest``
    False: the county head), or those at the nearest level from the case's own jurisdiction up to its
    county (``nearest`` True: the police station's liaison before the county bureau's)."""
    paths = dict(
        Jurisdiction.objects.filter(pk__in={i.jurisdiction_id for i in items}).values_list("pk", "path")
    )
    chains = {jid: _ancestor_ids(path) for jid, path in paths.items()}
    nodes = dict(
        Jurisdiction.objects.filter(pk__in={a for chain in chains.values() for a in chain}).values_list(
            "pk", "level"
        )
    )
    holders: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.with_role(role).filter(is_active=True, jurisdiction_id__in=nodes).distinct():
        holders[user.jurisdiction_id].append(user)
    found: dict[int, list[User]] = {}
    for jid, chain in chains.items():
        counties = [a for a in chain if nodes.get(a) == Jurisdiction.Level.COUNTY]
        if not nearest:
            found[jid] = [u for c in counties for u in holders[c]]
            continue
        below_county = chain[chain.index(counties[-1]) :] if counties else chain
        found[jid] = next((holders[a] for a in reversed(below_county) if holders[a]), [])
    return found


def _number(item: DueItem) -> str:
    return item.case.number if item.case else "—"


# --- 社区矫正 --------------------------------------------------------------------------------------------


@planner
def plan_correction_calendar(now: dt.datetime) -> int:
    r = rules()
    low, high = _window(now)
    low_day, high_day = cal.local_date(low), cal.local_date(high)
    correction = Case.objects.filter(kind=CaseKind.CORRECTION)
    margin = dt.timedelta(days=4)  # month clamping (31 Dec + 2 months = 28 Feb) moves a date by ≤ 3 days
    initial = correction.filter(
        opened_on__gte=cal.add_months(low_day, -r.correction_initial_strict_months) - margin,
        opened_on__lte=cal.add_months(high_day, -r.correction_initial_strict_months) + margin,
    )
    tasks_days = dt.timedelta(days=r.term_end_tasks_days)
    ending = correction.filter(
        correction__term_end__gte=low_day + tasks_days - cal.DAY,
        correction__term_end__lte=high_day + tasks_days,
    )
    orders = LocationOrder.objects.approved().filter(
        ends_on__gte=low_day - cal.DAY, ends_on__lte=high_day + dt.timedelta(days=r.order_expiry_notice_days)
    )
    plans = [
        *cal.within(cal.initial_review_plans(initial).values(), low, high),
        *cal.within(cal.lenient_review_plans(correction).values(), low, high),
        *cal.within(cal.term_end_task_plans(ending).values(), low, high),
        # A term that ended with its documents missing is a miss whenever it is found: no lower bound.
        *cal.within(
            cal.release_plans(correction.filter(correction__term_end__lte=high_day)).values(), None, high
        ),
        *cal.within(_flat(cal.order_plans(orders)), low, high),
    ]
    return cal.plan_missing(plans)


@handler(DueKind.CATEGORY_REVIEW)
def handle_category_review(items: list[DueItem], now: dt.datetime) -> None:
    r, cases = rules(), _cases(items)
    decide = _current(_flat(cal.initial_review_plans(cases), cal.lenient_review_plans(cases)))
    officers = _officers(items)

    def act(item: DueItem) -> str:
        if item.details.get("stage") == "initial":
            text = (
                f"案件 {_number(item)}：入矫初期严管（{r.correction_initial_strict_months} 个月）于 "
                f"{item.details['due_on']} 届满，请进行管理类别评估。"
            )
        else:
            text = (
                f"案件 {_number(item)}：自 {item.details['since']} 起普管已满 {r.category_lenient_after_months} 个月，"
                f"季度考核均在 {r.category_lenient_min_score} 分以上的，可评估调整为宽管。"
            )
        return _remind(item, [officers.get(item.case_id)], "管理类别评估到期", text)

    _settle(items, now, decide, act)


def _documents(case_ids: Iterable[int]) -> dict[int, set[str]]:
    """Self-summary and written assessment recorded per case, in one query."""
    done: dict[int, set[str]] = defaultdict(set)
    rows = FollowUp.objects.filter(
        case_id__in=list(case_ids), kind__in=[K.SELF_SUMMARY, K.WRITTEN_ASSESSMENT]
    )
    for case_id, kind in rows.values_list("case_id", "kind").distinct():
        done[case_id].add(kind)
    return done


def _missing_documents(done: set[str]) -> list[str]:
    return [K(k).label for k in (K.SELF_SUMMARY, K.WRITTEN_ASSESSMENT) if k not in done]


@handler(DueKind.TERM_END_TASKS)
def handle_term_end_tasks(items: list[DueItem], now: dt.datetime) -> None:
    current = _current(_flat(cal.term_end_task_plans(_cases(items))))
    documents, officers = _documents(i.case_id for i in items), _officers(items)

    def decide(item: DueItem) -> str | None:
        return current(item) or (None if _missing_documents(documents[item.case_id]) else "done")

    def act(item: DueItem) -> str:
        missing = "、".join(_missing_documents(documents[item.case_id]))
        text = (
            f"案件 {_number(item)}：矫正期将于 {item.details['term_end']} 届满，请督促对象完成个人总结并出具书面鉴定"
            f"（尚缺：{missing}）。"
        )
        return _remind(item, [officers.get(item.case_id)], "矫正期满前总结与鉴定", text)

    _settle(items, now, decide, act)


@handler(DueKind.RELEASE_DUE)
def handle_release_due(items: list[DueItem], now: dt.datetime) -> None:
    """Missing documents → alert (high, subject ``term_end:<case>``); otherwise the officer is reminded
    to release — never released here (实施办法 Art. 53: not while a revocation is pending)."""
    current = _current(_flat(cal.release_plans(_cases(items))))
    documents, officers = _documents(i.case_id for i in items), _officers(items)

    def act(item: DueItem) -> str:
        done = documents[item.case_id]
        if _missing_documents(done):
            missing = [k for k in (K.SELF_SUMMARY, K.WRITTEN_ASSESSMENT) if k not in done]
            return _alert(
                item,
                Severity.HIGH,
                f"term_end:{item.case_id}",
                term_end=item.details["term_end"],
                missing=missing,
            )
        if item.case.revocation_pending:
            text = (
                f"案件 {_number(item)}：矫正期于 {item.details['term_end']} 届满，但撤销缓刑/假释或收监执行正在审批，"
                "暂不解除矫正（期满待处理）。"
            )
        else:
            text = (
                f"案件 {_number(item)}：矫正期于 {item.details['term_end']} 届满，个人总结与书面鉴定已完成，"
                "请办理解除矫正（宣告、发放解除证明书，通知法院、检察院、公安机关）。"
            )
        return _remind(item, [officers.get(item.case_id)], "矫正期满解除", text)

    _settle(items, now, current, act)


def _handle_order(items: list[DueItem], now: dt.datetime, title: str, text: Callable[[DueItem], str]) -> None:
    """The officer and the county head(s) who approve orders (Art. 29) are told."""
    orders = LocationOrder.objects.filter(pk__in={i.details.get("order") for i in items})
    current = _current(_flat(cal.order_plans(orders)))
    officers, heads = _officers(items), _holders(items, Role.COUNTY_HEAD, nearest=False)

    def act(item: DueItem) -> str:
        users = [officers.get(item.case_id), *heads.get(item.jurisdiction_id, [])]
        return _remind(item, users, title, text(item))

    _settle(items, now, current, act)


@handler(DueKind.ORDER_EXPIRY_NOTICE)
def handle_order_expiry_notice(items: list[DueItem], now: dt.datetime) -> None:
    def text(item: DueItem) -> str:
        return (
            f"案件 {_number(item)}：电子定位将于 {item.details['ends_on']} 届满。如需延长，须经复查评估并报县级司法行政部门负责人批准"
            f"（每次不超过 {rules().location_order_max_months} 个月）；否则届满时解除。"
        )

    _handle_order(items, now, "电子定位即将到期", text)


@handler(DueKind.ORDER_EXPIRED)
def handle_order_expired(items: list[DueItem], now: dt.datetime) -> None:
    def text(item: DueItem) -> str:
        return f"案件 {_number(item)}：电子定位已于 {item.details['ends_on']} 届满，请解除定位装置；届满后的定位数据不再采用。"

    _handle_order(items, now, "电子定位已到期", text)


# --- 安置帮教 ---------------------------------------------------------------------------------------------


@planner
def plan_aftercare_calendar(now: dt.datetime) -> int:
    r = rules()
    low, high = _window(now)
    aftercare = Case.objects.filter(kind=CaseKind.AFTERCARE)
    caught_up = cal.local_date(now - dt.timedelta(days=r.calendar_catch_up_days))
    pickups = aftercare.filter(
        aftercare__release_on__gte=caught_up, aftercare__release_on__lte=cal.local_date(high)
    )
    ending = aftercare.filter(
        aftercare__period_end__gte=cal.local_date(low), aftercare__period_end__lte=cal.local_date(high)
    )
    reviews = cal.risk_review_plans(aftercare)
    plans = [
        # Missed pick-ups, contacts and overdue reviews raise alerts: no lower bound.
        *cal.within(cal.pickup_plans(pickups).values(), None, high),
        *cal.within(cal.contact_plans(aftercare).values(), None, high),
        *cal.within([remind for remind, _ in reviews.values()], low, high),
        *cal.within([overdue for _, overdue in reviews.values()], None, high),
        *cal.within(cal.period_end_plans(ending).values(), low, high),
    ]
    return cal.plan_missing(plans)


@handler(DueKind.AFTERCARE_PICKUP)
def handle_pickup(items: list[DueItem], now: dt.datetime) -> None:
    current = _current(_flat(cal.pickup_plans(_cases(items))))
    picked: dict[int, list[dt.datetime]] = defaultdict(list)
    for case_id, at in FollowUp.objects.filter(
        case_id__in={i.case_id for i in items}, kind=K.AFTERCARE_PICKUP
    ).values_list("case_id", "at"):
        picked[case_id].append(at)

    def decide(item: DueItem) -> str | None:
        return current(item) or ("done" if any(at < item.due_at for at in picked[item.case_id]) else None)

    def act(item: DueItem) -> str:
        return _alert(item, Severity.HIGH, item.subject, release_on=item.details["release_on"])

    _settle(items, now, decide, act)


def _cycle(plans: list[Plan]) -> Callable[[DueItem], str | None]:
    """For cycles (contact, follow-up, review): a newer base than the item's means it was done."""
    current = _current(plans)
    bases = {p.case_id: p.details["base"] for p in plans}

    def decide(item: DueItem) -> str | None:
        outcome = current(item)
        if outcome == "stale" and bases[item.case_id] > item.details.get("base", ""):
            return "done"
        return outcome

    return decide


@handler(DueKind.AFTERCARE_CONTACT)
def handle_contact(items: list[DueItem], now: dt.datetime) -> None:
    decide = _cycle(_flat(cal.contact_plans(_cases(items))))
    _settle(
        items,
        now,
        decide,
        lambda item: _alert(item, Severity.MEDIUM, item.subject, due_on=item.details["due_on"]),
    )


@handler(DueKind.AFTERCARE_RISK_REVIEW)
def handle_risk_review(items: list[DueItem], now: dt.datetime) -> None:
    r = rules()
    decide = _cycle(_flat(cal.risk_review_plans(_cases(items))))
    officers = _officers(items)

    def act(item: DueItem) -> str:
        if item.details.get("stage") == "overdue":
            return _alert(item, Severity.LOW, item.subject, due_on=item.details["due_on"])
        text = f"案件 {_number(item)}：帮教风险复评于 {item.details['due_on']} 到期（每 {r.aftercare_risk_review_months} 个月一次），请进行复评。"
        return _remind(item, [officers.get(item.case_id)], "帮教风险复评到期", text)

    _settle(items, now, decide, act)


@handler(DueKind.AFTERCARE_PERIOD_END)
def handle_period_end(items: list[DueItem], now: dt.datetime) -> None:
    current, officers = _current(_flat(cal.period_end_plans(_cases(items)))), _officers(items)

    def act(item: DueItem) -> str:
        text = f"案件 {_number(item)}：帮教期于 {item.details['period_end']} 届满，请办理帮教期满解除。"
        return _remind(item, [officers.get(item.case_id)], "帮教期满", text)

    _settle(items, now, current, act)


# --- 严重精神障碍 -----------------------------------------------------------------------------------------


@planner
def plan_mental_health_calendar(now: dt.datetime) -> int:
    r = rules()
    low, high = _window(now)
    mental = Case.objects.filter(kind=CaseKind.MENTAL_HEALTH, status=CaseStatus.ACTIVE)
    year = cal.local_date(now).year
    checks = [p for p in cal.health_check_plans(mental, year).values() if low <= p.due_at <= high]
    counts = cal.yearly_counts([p.case_id for p in checks], year)
    incidents = FollowUp.objects.filter(
        kind=K.INCIDENT,
        at__gte=now - dt.timedelta(days=r.calendar_catch_up_days),
        case__status=CaseStatus.ACTIVE,
    )
    plans = [
        *cal.within(cal.mh_followup_plans(mental).values(), None, high),
        *[p for p in checks if counts[p.case_id][K.MH_HEALTH_CHECK] < r.mh_health_checks_per_year],
        *cal.within(cal.emergency_plans(incidents).values(), None, high),
    ]
    return cal.plan_missing(plans)


@handler(DueKind.MH_FOLLOWUP)
def handle_mh_followup(items: list[DueItem], now: dt.datetime) -> None:
    decide = _cycle(_flat(cal.mh_followup_plans(_cases(items))))
    _settle(
        items,
        now,
        decide,
        lambda item: _alert(item, Severity.MEDIUM, item.subject, due_on=item.details["due_on"]),
    )


@handler(DueKind.MH_HEALTH_CHECK)
def handle_health_check(items: list[DueItem], now: dt.datetime) -> None:
    r = rules()
    active = set(
        _cases(items)
        .filter(kind=CaseKind.MENTAL_HEALTH, status=CaseStatus.ACTIVE)
        .values_list("pk", flat=True)
    )
    counts_by_year = {
        year: cal.yearly_counts([i.case_id for i in items if i.details["year"] == year], year)
        for year in {i.details["year"] for i in items}
    }
    officers = _officers(items)

    def counts(item: DueItem) -> dict[str, int]:
        return counts_by_year[item.details["year"]][item.case_id]

    def decide(item: DueItem) -> str | None:
        if item.case_id not in active:
            return "not_needed"
        return "done" if counts(item)[K.MH_HEALTH_CHECK] >= r.mh_health_checks_per_year else None

    def act(item: DueItem) -> str:
        text = (
            f"案件 {_number(item)}：{item.details['year']} 年度尚未进行健康体检（本年已随访 {counts(item)[K.MH_FOLLOWUP]} 次；"
            f"每年须随访不少于 {r.mh_followups_per_year} 次、健康体检不少于 {r.mh_health_checks_per_year} 次）。"
        )
        return _remind(item, [officers.get(item.case_id)], "年度健康体检", text)

    _settle(items, now, decide, act)


@handler(DueKind.MH_EMERGENCY_RECORD)
def handle_emergency_record(items: list[DueItem], now: dt.datetime) -> None:
    recorded: dict[int, list[dt.datetime]] = defaultdict(list)
    rows = FollowUp.objects.filter(case_id__in={i.case_id for i in items}, kind=K.EMERGENCY_RECORD)
    for case_id, at in rows.values_list("case_id", "at"):
        recorded[case_id].append(at)

    def decide(item: DueItem) -> str | None:
        since = dt.datetime.fromisoformat(item.details["incident_at"])
        return "done" if any(at >= since for at in recorded[item.case_id]) else None

    def act(item: DueItem) -> str:
        return _alert(item, Severity.HIGH, item.subject, incident=item.details["incident"])

    _settle(items, now, decide, act)


@handler(DueKind.MH_RISK_RAISED)
def handle_risk_raised(items: list[DueItem], now: dt.datetime) -> None:
    """工作规范 2018: risk rising to ≥ 3 → the police liaison of the jurisdiction and the care team
    (关爱帮扶小组) members who use the system are told, through the staff reminder channels."""
    police = _holders(items, Role.POLICE_LIAISON, nearest=True)
    team: dict[int, list[User]] = defaultdict(list)
    members = TeamMember.objects.filter(
        team__case_id__in={i.case_id for i in items},
        left_at__isnull=True,
        user__isnull=False,
        user__is_active=True,
    ).select_related("user", "team")
    for member in members:
        team[member.team.case_id].append(member.user)

    def act(item: DueItem) -> str:
        previous = item.details.get("previous")
        text = (
            f"案件 {_number(item)}：随访评估危险性等级{'由 ' + str(previous) + ' 级' if previous is not None else ''}"
            f"升至 {item.details['level']} 级（病情不稳定），请关爱帮扶小组按职责跟进，必要时协助处置。"
        )
        return _remind(
            item, [*police.get(item.jurisdiction_id, []), *team[item.case_id]], "患者危险性等级升高", text
        )

    _settle(items, now, lambda item: None, act)
