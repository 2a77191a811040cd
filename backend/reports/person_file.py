"""个人档案: one person's file as the reader may see it, with a track map for a chosen period.

What is shown is decided where the API decides it: ``Person.objects.visible_to`` (else 404), the People
read side (``backend/people/queries.py``: ``person_view``/``case_view``, full or need-to-know identity,
masked ID number, criminal details for the office, diagnosis/treatment/medication for health roles), the
supervision querysets' own scoping (leave and sanctions: correction office only) and ``followup_view``
(``backend/supervision/queries.py``: mental-health findings for health roles only).  Location data
(orders, zones, fixes) is for the correction office only (Art. 29).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from backend.core.errors import NotFound
from backend.core.models import Jurisdiction, User
from backend.core.rules import rules
from backend.monitoring.models import Alert, LocationOrder, Position, Zone
from backend.people.colour import with_colour
from backend.people.models import Case, CaseKind, Person, TeamMember
from backend.people.models.scope import OFFICE_ROLES
from backend.people.permissions import sees_criminal_details, sees_health_fields
from backend.people.queries import case_view, person_view
from backend.reports import labels as L
from backend.reports.document import (
    Meta,
    Styles,
    build,
    escape,
    fields_table,
    frame_width,
    heading,
    local,
    signature_block,
    table,
    title_block,
)
from backend.reports.periods import Period, midnight
from backend.reports.trackmap import MapZone, track_map
from backend.supervision.models import FollowUp, LeaveRequest, Sanction
from backend.supervision.plans import compliance
from backend.supervision.queries import followup_view

COLOURS = {"red": "红", "yellow": "黄", "green": "绿"}
HIDDEN_HEALTH = "（卫生健康信息，仅卫生人员可见）"


@dataclass
class PersonFile:
    pdf: bytes
    person: Person
    details: dict


def office_name(user: User | None, fallback: Jurisdiction | None = None) -> str:
    node = (user.jurisdiction if user is not None else None) or fallback
    if node is None:
        return "安帮社区矫正工作平台"
    chain = {j.level: j.name for j in node.ancestors()}
    if "township" in chain:
        return f"{chain.get('county', '')}{chain['township']}"
    if "county" in chain:
        return f"{chain['county']}司法局（社区矫正机构）"
    return f"{node.name}司法厅（局）" if node.level in ("province", "city") else node.name


@dataclass
class _Reading:
    """One reader's reading of one person's file: what every section needs, read once before the first.

    ``names`` holds the display names of the users the sections have met so far (officers, deciders,
    actors); a section adds the ones it needs with ``name_users``.  The location section records what it
    drew in ``points`` and ``implausible`` for the export's audit row.
    """

    reader: User
    person: Person
    period: Period
    view: dict
    cases: list[Case]
    full: bool  # identity in full; else need-to-know, ID number masked
    health: bool  # diagnosis, treatment, medication, findings
    office: bool  # the correction office: leave, sanctions and location data (Art. 29)
    styles: Styles
    names: dict[int, str] = field(default_factory=dict)
    points: int = 0
    implausible: int = 0

    def name_users(self, ids) -> dict[int, str]:
        """Add the names of the users in ``ids`` not met yet (one query; none when all are known)."""
        missing = {i for i in ids if i and i not in self.names}
        if missing:
            self.names.update(User.objects.filter(pk__in=missing).values_list("pk", "display_name"))
        return self.names


def _months(period: Period, limit: int) -> list[str]:
    months, day = [], period.last.replace(day=1)
    while day >= period.first.replace(day=1) and len(months) < limit:
        months.append(f"{day:%Y-%m}")
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return months[::-1]


def render_person_file(reader: User, person_id: int, period: Period) -> PersonFile:
    """The file's sections in their printed order, between the title and the signature block."""
    f = _read(reader, person_id, period)
    story: list = title_block(
        f.styles,
        "个 人 档 案",
        f"档案编号 P{f.person.pk:08d}　所属单位：{f.person.jurisdiction.name}　轨迹时段：{period.label()}",
    )
    for section in SECTIONS:
        story += section(f)
    story.append(signature_block(f.styles))
    meta = Meta("个人档案", office_name(reader, f.person.jurisdiction), reader.username, timezone.now())
    details = {
        "person": f.person.pk,
        "from": period.first,
        "to": period.last,
        "access": f.view["access"],
        "health": f.health,
        "cases": [c.pk for c in f.cases],
        "points": f.points,
        "implausible": f.implausible,
    }
    return PersonFile(build(meta, story), f.person, details)


def _read(reader: User, person_id: int, period: Period) -> _Reading:
    """The person as ``reader`` may see them (else 404), their cases in reach and those cases' people."""
    queryset = with_colour(Person.objects.visible_to(reader)).prefetch_related(
        "phones", "contacts", Prefetch("cases", queryset=Case.objects.order_by("id"))
    )
    person = queryset.select_related("jurisdiction").filter(pk=person_id).first()
    if person is None:
        raise NotFound("人员不存在")
    view = person_view(person, reader)
    cases = list(
        Case.objects.visible_to(reader)
        .filter(person=person)
        .select_related("correction", "aftercare", "mental_health", "team")
        .prefetch_related("transitions", "marks", "emergencies")
        .order_by("id")
    )
    f = _Reading(
        reader,
        person,
        period,
        view,
        cases,
        full=view["access"] == "full",
        health=sees_health_fields(reader),
        office=reader.has_role(*OFFICE_ROLES),
        styles=Styles(),
    )
    f.name_users(
        [c.officer_id for c in cases]
        + [t.by_id for c in cases for t in c.transitions.all()]
        + [m.by_id for c in cases for m in c.marks.all()]
    )
    return f


def _basic_data(f: _Reading) -> list:
    """一、基本信息: identity in full or to need-to-know, and the contacts for a full reading."""
    s, view, full = f.styles, f.view, f.full
    story = heading(s, "一、基本信息")
    pairs = [
        ("姓名", view["name"]),
        ("性别", L.choice(L.Gender, view["gender"])),
        ("年龄", f"{view['age']} 岁" if view["age"] is not None else None),
        ("证件号码", view["id_number"] if full else view["id_number_masked"]),
        ("居住地", view["residence_address"]),
        ("联系电话", "；".join(p["number"] for p in view["phones"]) or None),
        ("三色标识", COLOURS.get(view["colour"], "—")),
        ("特殊档案", "、".join(x for x, on in (("未成年人", view["is_minor"]), ("犯罪记录封存", view["is_sealed"])) if on) or "否"),
    ]  # fmt: skip
    if full:
        pairs += [
            ("出生日期", view["birth_date"]),
            ("民族", view["ethnicity"]),
            ("户籍地", view["household_address"]),
            ("工作单位/学校", view["employer"]),
            ("曾用名", "、".join(view["former_names"] or []) or None),
            ("查阅范围", "完整档案"),
        ]
    else:
        pairs += [("查阅范围", "需知范围（身份信息部分隐去，证件号码已遮蔽）")]
    story.append(fields_table(s, pairs))
    if full and view.get("contacts"):
        story.append(Spacer(1, 2 * mm))
        story.append(
            table(
                s,
                ["关系", "姓名", "电话", "监护人"],
                [
                    [c["relation"], c["name"], c["phone"], "是" if c["is_guardian"] else "否"]
                    for c in view["contacts"]
                ],
                [1, 1.2, 1.5, 0.6],
            )
        )
    return story


def _cases(f: _Reading) -> list:
    """二、案件及其历史: each case's fields, its status changes, marks and (for health readers) emergencies."""
    s = f.styles
    story = heading(s, "二、案件及其历史")
    if not f.cases:
        story.append(Paragraph("无案件。", s.note))
    for case in f.cases:
        kind_label = L.choice(L.CaseKind, case.kind)
        story.append(
            Paragraph(escape(f"{case.number}　{kind_label}（{L.status(case.kind, case.status)}）"), s.h2)
        )
        story.append(fields_table(s, _case_fields(f, case, kind_label)))
        story += _case_history(f, case)
    return story


def _case_fields(f: _Reading, case: Case, kind_label: str) -> list[tuple[str, object]]:
    """The case's own fields, then its kind's detail as far as ``case_view`` shows it to the reader."""
    cv = case_view(case, f.reader)
    pairs = [
        ("案件类型", kind_label),
        ("状态", L.status(case.kind, case.status)),
        ("子状态", L.choice(L.SubStatus, case.sub_status)),
        ("立案日期", case.opened_on),
        ("结案日期", case.closed_on),
        ("结案原因", L.reason(case.close_reason) if case.close_reason else None),
        ("负责工作人员", f.names.get(case.officer_id)),
    ]
    if case.kind == CaseKind.CORRECTION:
        d = cv["correction"]
        pairs += [
            ("矫正类别", L.choice(L.SentenceType, d["sentence_type"])),
            ("管理类别", L.choice(L.Category, case.category)),
            ("决定机关", d["court"]),
            ("判决生效日期", d["judgment_effective_on"]),
            ("矫正期限", f"{d['term_start']} 至 {d['term_end']}"),
            ("报到期限", d["report_deadline"]),
            ("报到日期", d["reported_on"]),
            ("撤销/收监审批中", "是" if case.revocation_pending else "否"),
        ]
        if "crime" in d:
            pairs += [("罪名", d["crime"]), ("禁止令", d["prohibition_orders"])]
    elif case.kind == CaseKind.AFTERCARE:
        d = cv["aftercare"]
        pairs += [
            ("来源", "刑满释放" if d["origin"] == "prison_release" else "社区矫正期满"),
            ("原服刑单位", d["prison"]),
            ("释放日期", d["release_on"]),
            ("帮教期满日期", d["period_end"]),
            ("重点帮教对象", "是（必接必送）" if d["key_person"] else "否"),
            ("衔接日期", d["handed_over_on"]),
            ("风险等级", L.choice(L.AftercareRisk, case.aftercare_risk)),
        ]
    else:
        d = cv["mental_health"]
        pairs += [
            ("危险性评估等级", case.risk_level),
            ("病情稳定性", L.choice(L.Stability, d["stability"])),
        ]
        if "diagnosis" in d:
            pairs += [
                ("诊断", L.choice(L.Diagnosis, d["diagnosis"])),
                ("治疗情况", _flat(d["treatment"])),
                ("用药情况", _flat(d["medication"])),
            ]
        else:
            pairs += [("诊断与用药", HIDDEN_HEALTH)]
    return pairs


def _case_history(f: _Reading, case: Case) -> list:
    """The case's status changes and marks, and its emergencies for a health reader."""
    s, names = f.styles, f.names
    # Notes and reasons of a mental-health case may carry health detail; of others, case detail.
    notes_ok = f.health if case.kind == CaseKind.MENTAL_HEALTH else sees_criminal_details(f.reader)
    story: list = [Paragraph("状态变更记录", s.small)]
    story.append(
        table(
            s,
            ["生效日期", "事项", "状态变化", "原因", "说明", "经办人"],
            [
                [t.effective_on, L.action(case.kind, t.action),
                 f"{L.status(case.kind, t.from_status)}→{L.status(case.kind, t.to_status)}"
                 + (f"（{L.choice(L.SubStatus, t.to_sub_status, '—')}）" if t.to_sub_status != t.from_sub_status else ""),
                 L.reason(t.reason) if t.reason else None, t.note if notes_ok else "—", names.get(t.by_id)]
                for t in case.transitions.all()
            ],
            [1.1, 1.1, 2, 1, 2, 1],
        )
    )  # fmt: skip
    story.append(Paragraph("分类管理与风险评估记录", s.small))
    story.append(
        table(
            s,
            ["生效日期", "项目", "结果", "理由", "经办人"],
            [[m.effective_on, L.choice(L.MarkKindLabels, m.kind), L.mark_value(m.kind, m.value),
              m.reason if notes_ok else "—", names.get(m.by_id)] for m in case.marks.all()],
            [1.1, 1.2, 1, 3, 1],
        )
    )  # fmt: skip
    if case.kind == CaseKind.MENTAL_HEALTH and f.health:
        story.append(Paragraph("应急处置记录", s.small))
        story.append(
            table(
                s,
                ["发生时间", "处置情况", "登记时间"],
                [[local(e.occurred_at), e.description, local(e.recorded_at)] for e in case.emergencies.all()],
                [1.2, 4, 1.2],
            )
        )
    return story


def _teams(f: _Reading) -> list:
    """三、小组: each case's team and its present members."""
    s = f.styles
    story = heading(s, "三、矫正小组 / 帮教小组 / 关爱帮扶小组")
    teams = [(c, getattr(c, "team", None)) for c in f.cases]
    teams = [(c, t) for c, t in teams if t is not None]
    if not teams:
        story.append(Paragraph("无小组。", s.note))
    for case, team in teams:
        members = list(
            TeamMember.objects.filter(team=team, left_at__isnull=True).select_related("user").order_by("id")
        )
        state = f"已启用（{local(team.activated_at, '%Y-%m-%d')}）" if team.activated_at else "未启用"
        story.append(Paragraph(escape(f"{case.number}　{team.name}　{state}"), s.h2))
        story.append(
            table(
                s,
                ["姓名", "职责", "性别", "经未成年人工作培训", "身份"],
                [[m.user.display_name if m.user else m.name, L.choice(L.TeamRole, m.role),
                  "女" if m.gender == "female" else "男", "是" if m.trained_for_minors else "否",
                  "系统用户" if m.user_id else "外部成员"] for m in members],
                [1.2, 1.4, 0.6, 1.2, 1],
            )
        )  # fmt: skip
    return story


def _reporting(f: _Reading) -> list:
    """四、签到与报告: each reporting window of the correction cases in the period's months."""
    s = f.styles
    rows = []
    now = timezone.now()
    for case in f.cases:
        if case.kind != CaseKind.CORRECTION:
            continue
        reported = case.correction.reported_on
        if reported is None:
            continue  # not yet under supervision: no duty has a window
        shown: set[tuple[str, str]] = set()
        for month in _months(f.period, rules().report_compliance_max_months):
            for duty in compliance(case, month, now):
                for w in duty["windows"]:
                    # A week across two months is shown once; windows over before the report day never applied.
                    if (duty["kind"], w["window"]) in shown or w["end"] <= midnight(reported):
                        continue
                    shown.add((duty["kind"], w["window"]))
                    rows.append([case.number, month, L.duty(duty["kind"]),
                                 f"{local(w['start'], '%m-%d')}—{local(w['end'] - dt.timedelta(days=1), '%m-%d')}",
                                 w["required"], w["done"], L.COMPLIANCE_STATUS.get(w["status"], w["status"])])  # fmt: skip
    return [
        *heading(s, "四、签到与报告完成情况"),
        table(s, ["案件", "月份", "要求", "窗口", "应完成", "已完成", "情况"], rows, [1.6, 0.9, 1.4, 1.2, 0.7, 0.7, 0.8],
              empty="无社区矫正签到要求。"),
    ]  # fmt: skip


# 五、外出 / 六、考核奖惩 are the correction office's: the querysets answer nothing to anyone else.
def _leave(f: _Reading) -> list:
    """五、外出请假."""
    s = f.styles
    leaves = list(
        LeaveRequest.objects.visible_to(f.reader).filter(case__person=f.person).order_by("starts_on", "id")
    )
    names = f.name_users([x.decided_by_id for x in leaves])
    story = heading(s, "五、外出请假")
    if not f.office:
        story.append(Paragraph("外出信息仅限社区矫正机构与司法所工作人员查阅。", s.note))
        return story
    story.append(
        table(
            s,
            ["申请日期", "外出期间", "天数", "目的地", "审批层级", "状态", "审批人", "销假时间"],
            [[x.applied_on, f"{x.starts_on} 至 {x.ends_on}", x.days, x.destination, L.choice(L.LeaveTier, x.tier),
              L.choice(L.LeaveState, x.state), names.get(x.decided_by_id), local(x.returned_at)] for x in leaves],
            [1, 1.6, 0.5, 1.5, 1.6, 0.8, 0.8, 1.1],
        )
    )  # fmt: skip
    return story


def _sanctions(f: _Reading) -> list:
    """六、考核奖惩."""
    s = f.styles
    sanctions = list(
        Sanction.objects.visible_to(f.reader)
        .decided()
        .filter(case__person=f.person)
        .order_by("decided_on", "id")
    )
    names = f.name_users([x.decided_by_id for x in sanctions])
    story = heading(s, "六、考核奖惩")
    if not f.office:
        story.append(Paragraph("考核奖惩信息仅限社区矫正机构与司法所工作人员查阅。", s.note))
        return story
    story.append(
        table(
            s,
            ["决定日期", "类别", "事实与理由", "依据", "决定人", "已改正"],
            [[x.decided_on, L.choice(L.SanctionKind, x.kind), x.reason, x.basis or None, names.get(x.decided_by_id),
              "是" if x.remedied else "否"] for x in sanctions],
            [1, 1.3, 3, 1.2, 0.8, 0.6],
        )
    )  # fmt: skip
    return story


def _followups(f: _Reading) -> list:
    """七、随访、走访与评估: findings of the health kinds only for a health reader (``followup_view``)."""
    s = f.styles
    followups = list(FollowUp.objects.visible_to(f.reader).filter(case__person=f.person).order_by("at", "id"))
    names = f.name_users([x.by_id for x in followups])
    rows = []
    for x in followups:
        fv = followup_view(x, f.reader)
        hidden = x.kind in L.HEALTH_KINDS and not f.health
        text = (
            HIDDEN_HEALTH
            if hidden
            else "；".join(t for t in (_flat(fv["findings"]), fv["note"]) if t) or None
        )
        risk = (
            fv["risk_level"]
            if fv["risk_level"] is not None
            else (L.choice(L.AftercareRisk, fv["aftercare_risk"], "") or None)
        )
        rows.append([local(x.at), L.choice(L.FollowUpKind, x.kind), names.get(x.by_id), risk, text])
    return [
        *heading(s, "七、随访、走访与评估"),
        table(s, ["时间", "类别", "经办人", "评估结果", "情况"], rows, [1.2, 1.4, 0.8, 0.8, 3.5]),
    ]


def _alerts(f: _Reading) -> list:
    """八、告警及处置情况: each alert with its events (who did what, when) and its conclusion."""
    s = f.styles
    alerts = list(
        Alert.objects.visible_to(f.reader)
        .filter(person=f.person)
        .prefetch_related("events")
        .order_by("opened_at", "id")
    )
    names = f.name_users([e.actor_id for a in alerts for e in a.events.all()])
    return [
        *heading(s, "八、告警及处置情况"),
        table(
            s,
            ["生成时间", "类型", "级别", "状态", "处置经过", "结论"],
            [[local(a.opened_at), L.choice(L.AlertKind, a.kind), L.choice(L.Severity, a.severity),
              L.choice(L.AlertState, a.state),
              [f"{local(e.at, '%m-%d %H:%M')} {L.choice(L.AlertEvent.Kind, e.kind)}"
               + (f" {names[e.actor_id]}" if e.actor_id in names else "") + (f"：{e.note}" if e.note else "")
               for e in a.events.all()],
              "；".join(x for x in (L.choice(L.Resolution, a.resolution, ""), a.resolution_note or "") if x) or None]
             for a in alerts],
            [1.1, 1.4, 0.5, 0.7, 3.2, 1.4],
        ),
    ]  # fmt: skip


def _location(f: _Reading) -> list:
    """九、电子定位与活动轨迹: the location orders and the period's track map, for the correction office only
    (Art. 29).  Records the fixes drawn and the implausible ones left out in ``f`` for the audit row."""
    s = f.styles
    story = heading(s, "九、电子定位与活动轨迹")
    if not f.office:
        story.append(
            Paragraph(
                "定位信息仅用于社区矫正工作，仅限司法所与县级工作人员查阅（社区矫正法第二十九条）。", s.note
            )
        )
        return story
    orders = list(LocationOrder.objects.visible_to(f.reader).approved().filter(person=f.person))
    story.append(
        table(
            s,
            ["适用情形", "批准日期", "期限", "状态", "告知书签收", "抄送检察院"],
            [[L.choice(L.Ground, o.ground), o.approved_on, f"{o.starts_on} 至 {o.ends_on}",
              {"active": "执行中", "pending": "未开始", "ended": "已结束"}[o.status(timezone.localdate())],
              o.notice_signed_on, o.procuratorate_copy_sent_on] for o in orders],
            [2.6, 0.9, 1.7, 0.7, 0.9, 0.9],
            empty="无电子定位决定（手机信息化核查不需要决定）。",
        )
    )  # fmt: skip
    period = f.period
    positions = (
        Position.objects.of_person(f.person, seen_by=f.reader)
        .filter(fix_time__gte=period.start, fix_time__lt=period.end, point__isnull=False)
        .order_by("fix_time")
    )
    # An impossible jump (stored flagged) is not drawn: the line would cross the map to a place the
    # person cannot have been; the caption counts it.
    every = list(positions.values_list("point", "source", "late", "implausible"))
    rows = [row[:3] for row in every if not row[3]]
    implausible = len(every) - len(rows)
    fixes = [(p[0], p[1]) for p, _, _ in rows if p]
    zones = _zones(f.reader, f.person, f.cases)
    sources: dict[str, int] = {}
    for _, source, _ in rows:
        sources[source] = sources.get(source, 0) + 1
    summary = "、".join(f"{k or '未知'} {v} 个" for k, v in sorted(sources.items())) or "无"
    story.append(Spacer(1, 2 * mm))
    jumps = f"；另有异常跳变点 {implausible} 个未绘制" if implausible else ""
    story.append(Paragraph(escape(f"时段：{period.label()}；定位点 {len(fixes)} 个（{summary}）{jumps}；适用区域 {len(zones)} 个。"
                                  "绿色为允许区域，红色为禁止区域，蓝线为按时间连接的定位点。"), s.small))  # fmt: skip
    story.append(Spacer(1, 1 * mm))
    story.append(track_map(zones, fixes, width=frame_width(), height=frame_width() * 0.72))
    f.points, f.implausible = len(fixes), implausible
    return story


# The printed file, in order.
SECTIONS: tuple[Callable[[_Reading], list], ...] = (
    _basic_data,
    _cases,
    _teams,
    _reporting,
    _leave,
    _sanctions,
    _followups,
    _alerts,
    _location,
)


def _zones(reader: User, person: Person, cases: list[Case]) -> list[MapZone]:
    """The zones that apply to the person: their own, their layers', and the county boundary for a
    correction subject (a default layer of an ancestor jurisdiction)."""
    applies = Q(person=person) | Q(layer__persons=person)
    if any(c.kind == CaseKind.CORRECTION for c in cases):
        ancestors = [int(x) for x in person.jurisdiction.path.strip("/").split("/") if x]
        applies |= Q(layer__default_for_correction=True, layer__jurisdiction_id__in=ancestors)
    zones = Zone.objects.visible_to(reader).filter(applies, active=True).distinct().order_by("id")
    return [MapZone(z.name, z.kind, z.geometry) for z in zones]


def _flat(value) -> str | None:
    if value in (None, "", {}, []):
        return None
    if isinstance(value, dict):
        return "；".join(f"{k}：{_flat(v) or '—'}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_flat(v) or "—" for v in value)
    return str(value)
