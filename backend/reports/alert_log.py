"""告警处置台账: every alert of a jurisdiction subtree opened in a period, with its handling — PDF or CSV.

Rows come from ``Alert.objects.visible_to(reader)``.  The person's name is printed only when the reader
may open that person's file (a minor's or sealed file without a grant shows "受限档案", and so does its
resolution note, free text about the person); the case number identifies the record for the office
either way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils import timezone

from backend.core.models import Jurisdiction, User
from backend.monitoring.models import Alert
from backend.people.models import Person
from backend.reports import labels as L
from backend.reports.document import Meta, Styles, build, heading, local, signature_block, table, title_block
from backend.reports.periods import Period

RESTRICTED = "受限档案"
HEADER = ["编号", "生成时间", "类型", "级别", "对象", "案件编号", "状态", "签收时间", "签收人", "办结时间", "结论",
          "办结说明", "升级级别", "重复次数"]  # fmt: skip


@dataclass
class AlertLog:
    rows: list[list[object]]
    ids: list[int]


def collect(reader: User, node: Jurisdiction, period: Period) -> AlertLog:
    alerts = list(
        Alert.objects.visible_to(reader)
        .filter(
            jurisdiction__path__startswith=node.path, opened_at__gte=period.start, opened_at__lt=period.end
        )
        .select_related("case", "acknowledged_by")
        .order_by("opened_at", "id")
    )
    person_ids = {a.person_id for a in alerts if a.person_id}
    readable = {p.pk: p for p in Person.objects.visible_to(reader).filter(pk__in=person_ids)}
    rows = []
    for a in alerts:
        who = (
            readable[a.person_id].name
            if a.person_id in readable
            else (RESTRICTED if a.person_id else "（设备）")
        )
        rows.append([
            a.pk, local(a.opened_at), L.choice(L.AlertKind, a.kind), L.choice(L.Severity, a.severity), who,
            a.case.number if a.case else None, L.choice(L.AlertState, a.state), local(a.acknowledged_at),
            a.acknowledged_by.display_name if a.acknowledged_by else None, local(a.resolved_at),
            L.choice(L.Resolution, a.resolution, ""),
            a.resolution_note if a.person_id is None or a.person_id in readable else RESTRICTED,
            a.escalation_level, a.occurrences,
        ])  # fmt: skip
    return AlertLog(rows, [a.pk for a in alerts])


def render_pdf(log: AlertLog, node: Jurisdiction, period: Period, meta: Meta) -> bytes:
    s = Styles()
    story = title_block(
        s, "告警处置台账", f"范围：{node.name}（{node.code}）及所辖单位　时段：{period.label()}"
    )
    story += heading(s, f"共 {len(log.rows)} 条告警")
    keep = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]
    story.append(
        table(
            s,
            [HEADER[i] for i in keep],
            [[row[i] for i in keep] for row in log.rows],
            [0.6, 1.1, 1.4, 0.5, 0.8, 1.3, 0.7, 1.1, 1.1, 0.9, 1.5, 0.5],
            empty="该时段内无告警。",
        )
    )
    story.append(signature_block(s, ("经办人", "审核人")))
    return build(meta, story)


# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with an apostrophe so it shows as
    text.  Only text: ids and counts are numbers from our own code and stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def render_csv(log: AlertLog) -> bytes:
    """UTF-8 with BOM so that Excel on a Chinese Windows opens it without garbling.  Notes, names and
    labels are text someone typed: neutralised against formula injection."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in log.rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def now_meta(title: str, office: str, reader: User | None, label: str | None = None) -> Meta:
    return Meta(title, office, label or (reader.username if reader else "system"), timezone.now())
