"""The columns each list page exports (导出 XLSX): what the page shows, through the same presenters, of the
rows the page's own query found (the view calls here with them, so the file is scoped as the page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from backend.core.models import Jurisdiction
from backend.people.colour import LABELS
from backend.people.models import CaseKind, CaseStatus, Gender

from ..exports import audited_export

KIND_LABELS, STATUS_LABELS, GENDER_LABELS = (
    dict(CaseKind.choices),
    dict(CaseStatus.choices),
    dict(Gender.choices),
)
DEVICE_STATES = {"online": "在线", "offline": "离线", "never": "从未上线"}


def _cases(item: dict) -> str:
    return "；".join(
        f"{c['number'] or ''} {KIND_LABELS.get(c['kind'], c['kind'])} {STATUS_LABELS.get(c['status'], c['status'])}"
        for c in item["open_cases"]
    )


def people(request: HttpRequest, items: list[dict], filters: list[str]) -> HttpResponse:
    """``items`` are ``list_items`` rows: the ID number already masked as the page masks it."""
    offices = dict(
        Jurisdiction.objects.filter(pk__in={i["jurisdiction_id"] for i in items}).values_list("pk", "name")
    )
    columns = [
        ("编号", lambda i: i["id"]),
        ("三色", lambda i: LABELS.get(i["colour"], "")),
        ("姓名", lambda i: i["name"]),
        ("性别", lambda i: GENDER_LABELS.get(i["gender"], "")),
        ("年龄", lambda i: i["age"]),
        ("证件号码（脱敏）", lambda i: i["id_number_masked"]),
        ("所属单位", lambda i: offices.get(i["jurisdiction_id"], "")),
        ("未成年人", lambda i: i["is_minor"]),
        ("在册案件", _cases),
    ]
    return audited_export(request, list_name="people", rows=items, columns=columns,
                          ids=[i["id"] for i in items], filters=filters)  # fmt: skip


def alerts(request: HttpRequest, rows: list, filters: list[str]) -> HttpResponse:
    """Rows after ``give_names``: a file the reader may not open shows （受限档案）, as on the page."""
    columns = [
        ("编号", lambda a: a.pk),
        ("级别", lambda a: a.get_severity_display()),
        ("类型", lambda a: a.get_kind_display()),
        ("对象", lambda a: a.person.name if a.person_id else ""),
        ("状态", lambda a: a.get_state_display()),
        ("生成时间", lambda a: a.opened_at),
        ("处置时限", lambda a: a.due_at),
    ]
    return audited_export(request, list_name="alerts", rows=rows, columns=columns,
                          ids=[a.pk for a in rows], filters=filters)  # fmt: skip


def devices(request: HttpRequest, rows: list, filters: list[str]) -> HttpResponse:
    columns = [
        ("编号", lambda d: d.pk),
        ("类型", lambda d: d.get_kind_display()),
        ("协议", lambda d: d.get_protocol_display()),
        ("标识", lambda d: "（仅存摘要）" if d.protocol == "osmand" else d.identifier),
        ("备注名", lambda d: d.label),
        ("佩戴人", lambda d: d.person.name if d.person_id else ""),
        ("状态", lambda d: DEVICE_STATES.get(d.state, "")),
        ("最后定位", lambda d: d.last_fix_at),
        ("电量（%）", lambda d: d.battery_pct),
    ]
    return audited_export(request, list_name="devices", rows=rows, columns=columns,
                          ids=[d.pk for d in rows], filters=filters)  # fmt: skip


def leave_queue(request: HttpRequest, rows: list) -> HttpResponse:
    """The leave requests waiting for this reader (the approvals queue); destinations and reasons stay on
    the page, where they are read to decide."""
    columns = [
        ("编号", lambda lv: lv.pk),
        ("姓名", lambda lv: lv.case.person.name),
        ("案件编号", lambda lv: lv.case.number),
        ("审批层级", lambda lv: lv.get_tier_display()),
        ("外出起", lambda lv: lv.starts_on),
        ("外出止", lambda lv: lv.ends_on),
    ]
    return audited_export(request, list_name="approvals.leave", rows=rows, columns=columns,
                          ids=[lv.pk for lv in rows], filters=[])  # fmt: skip
