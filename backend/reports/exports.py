"""The export actions: check access, render, and write the audit row — one function per document.

Every export is audited like a sensitive read (docs/security.md, "Personal data"), with ids, codes
and the period in ``details`` — never names or ID numbers.  Out-of-scope persons and jurisdictions are
404 (``NotFound``), as everywhere in the API; statistics and alert logs need an office role (403).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid, NotFound
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.core.rules import rules
from backend.reports import alert_log
from backend.reports.document import Meta
from backend.reports.monthly import render_monthly
from backend.reports.periods import parse_month, parse_range
from backend.reports.person_file import PersonFile, office_name, render_person_file
from backend.reports.statistics import MonthlyStats, compute_monthly


@dataclass
class Export:
    content: bytes
    filename: str
    content_type: str = "application/pdf"


def jurisdiction_for(user: User | None, code: str | None) -> Jurisdiction:
    """The node by its 12-digit code, within the reader's subtree (no reader: a command, the whole tree)."""
    if not code:
        if user is not None and user.jurisdiction is not None:
            return user.jurisdiction
        raise Invalid("请指定辖区区划代码（jurisdiction）", {"field": "jurisdiction"})
    nodes = Jurisdiction.objects.all() if user is None else Jurisdiction.objects.visible_to(user)
    node = nodes.filter(code=code.strip()).first()
    if node is None:
        raise NotFound("辖区不存在")
    return node


def export_person_file(
    *, by: User, person_id: int, first: str | None = None, last: str | None = None
) -> Export:
    r = rules()
    period = parse_range(first, last, max_days=r.report_track_max_days, default_days=r.report_track_default_days,
                         today=timezone.localdate())  # fmt: skip
    result: PersonFile = render_person_file(by, person_id, period)
    record_audit(
        actor=by, action=AuditAction.REPORT_PERSON_FILE, target=result.person, details=result.details
    )
    return Export(result.pdf, f"person-{person_id}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.pdf")


def monthly_statistics(
    *, by: User | None, code: str | None, month: str, actor_label: str | None = None, progress=None
) -> tuple[Export, MonthlyStats]:
    period = parse_month(month)
    if period.first > timezone.localdate():
        raise Invalid("统计月份不能晚于本月", {"field": "month"})
    if by is not None:
        require(by, "report.print_office")
    node = jurisdiction_for(by, code)
    started = dt.datetime.now()
    stats = compute_monthly(node, period)
    if progress:
        progress(f"统计完成（{(dt.datetime.now() - started).total_seconds():.1f} 秒），正在生成 PDF …")
    label = actor_label or (by.username if by else "system")
    meta = Meta(
        f"{period.first.year}年{period.first.month}月统计", office_name(by, node), label, timezone.now()
    )
    pdf = render_monthly(stats, meta)
    record_audit(actor=by, actor_label=actor_label, action=AuditAction.REPORT_MONTHLY, target=node,
                 details={"jurisdiction": node.code, "month": stats.month, "bytes": len(pdf)})  # fmt: skip
    return Export(pdf, f"monthly-{node.code}-{stats.month}.pdf"), stats


def export_alert_log(
    *, by: User, code: str | None, first: str | None, last: str | None, fmt: str = "pdf"
) -> Export:
    if fmt not in ("pdf", "csv"):
        raise Invalid("格式应为 pdf 或 csv", {"field": "format"})
    r = rules()
    period = parse_range(first, last, max_days=r.report_alert_log_max_days, default_days=30,
                         today=timezone.localdate())  # fmt: skip
    require(by, "report.print_office")
    node = jurisdiction_for(by, code)
    log = alert_log.collect(by, node, period)
    if fmt == "csv":
        content, content_type = alert_log.render_csv(log), "text/csv; charset=utf-8"
    else:
        meta = Meta("告警处置台账", office_name(by, node), by.username, timezone.now())
        content, content_type = alert_log.render_pdf(log, node, period, meta), "application/pdf"
    record_audit(
        actor=by, action=AuditAction.REPORT_ALERT_LOG, target=node,
        details={"jurisdiction": node.code, "from": period.first, "to": period.last, "format": fmt, "ids": log.ids},
    )  # fmt: skip
    name = f"alerts-{node.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.{fmt}"
    return Export(content, name, content_type)
