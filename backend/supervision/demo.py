"""Demo proposals waiting for a decision, so that `make run` shows approvals given in the system: an
electronic-location order a 司法所 officer proposed (demo_county_head approves or refuses it) and a warning
the same officer proposed (demo_county_officer decides it).  Synthetic, like every demo record."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.core.models import User
from backend.monitoring.actions.orders import add_months, propose_order
from backend.monitoring.models import LocationOrder
from backend.people.models import Case, CaseKind, CaseStatus
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import Sanction


def seed(stdout) -> None:
    officer = User.objects.filter(username="demo_officer_dc").first()
    if (
        officer is None
        or LocationOrder.objects.exists()
        or Sanction.objects.filter(state="proposed").exists()
    ):
        return
    cases = list(
        Case.objects.filter(
            kind=CaseKind.CORRECTION, status=CaseStatus.ACTIVE, jurisdiction=officer.jurisdiction
        ).order_by("id")[:2]
    )
    if len(cases) < 2:
        return
    today = timezone.localdate()
    with transaction.atomic():
        propose_order(
            by=officer, case=cases[0], ground="2", facts="未经批准离开本县三日，经教育后返回（演示）",
            starts_on=today, ends_on=add_months(today, 3), notice_signed_on=today,
        )  # fmt: skip
        record_sanction(by=officer, case=cases[1], kind="warning", reason="无正当理由未按时报告两次（演示）")
    stdout.write("演示待审批事项：电子定位提请 1 件（县局负责人审批）、警告提请 1 件（县矫正机构决定）")
