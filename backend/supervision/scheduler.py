"""What ``runscheduler`` runs, one function per job, each testable with an explicit time.

| job | every | what |
|---|---|---|
| sweep | 30 s | due items whose time has come (backend/supervision/sweep.py); location-order proposals |
|  |  | undecided by their start date expire (``expire_undecided``, backend/monitoring/actions/orders.py); |
|  |  | leave undecided when it would start and sanction proposals past their days (backend/supervision/expiry.py) |
| detectors | 60 s | signal lost, suspected absconding, alert escalation (backend/monitoring/detectors.py) |
| planners | 1 h | make sure every deadline of the coming weeks has its due item (idempotent) |
| nightly | 02:30 | the audit chain head, written to the log and to <data dir>/audit-heads.log (which
|  |  | ``verify_audit`` compares with, so a truncated or emptied chain is caught); retention purge |

Deadlines live in database rows, never only in this process: a scheduler stopped for two hours finds, at
its first sweep, everything that came due meanwhile and handles each item once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from backend.core.actions.accounts import forget_idle_unknown_sign_ins
from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.models import AuditEvent
from backend.core.rules import rules
from backend.monitoring.actions.orders import expire_undecided
from backend.monitoring.detectors import run_detectors
from backend.monitoring.models import Device, DeviceAssignment, Position
from backend.people.models import Case, Person
from backend.people.models.case import OPEN_STATUSES
from backend.supervision.due import run_planners
from backend.supervision.expiry import expire_proposals
from backend.supervision.models import DueItem, DueState
from backend.supervision.sweep import sweep

logger = logging.getLogger("anbang.scheduler")


def job_sweep(now: dt.datetime | None = None, *, batch: int = 5000) -> int:
    handled = sweep(now, batch=batch)
    # Art. 29 proposals nobody decided by their start date lapse, and their proposers are told.
    if expired := expire_undecided(now):
        handled["location_order_expired"] += expired
    # Leave and sanction proposals undecided in time expire too; their proposers are told.
    handled.update({kind: count for kind, count in expire_proposals(now).items() if count})
    if handled:
        logger.info(
            "到期事项：处理 %d 条（%s）",
            sum(handled.values()),
            "，".join(f"{k} {v}" for k, v in sorted(handled.items())),
        )
    return sum(handled.values())


def job_detectors(now: dt.datetime | None = None) -> dict[str, int]:
    counts = run_detectors(now)
    if any(counts.values()):
        logger.info("定时检测：%s", counts)
    return counts


def job_planners(now: dt.datetime | None = None) -> int:
    planned = run_planners(now)
    logger.info("到期事项规划完成（%d 条候选）", planned)
    return planned


def audit_head() -> tuple[int, str] | None:
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is None:
        return None
    line = f"{timezone.now().isoformat(timespec='seconds')} {head[0]}:{head[1]}\n"
    with settings.AUDIT_HEADS_FILE.open("a", encoding="utf-8") as out:
        out.write(line)
    logger.info("审计链头 %d:%s", head[0], head[1])
    return head


def purge_finished_due_items(now: dt.datetime) -> int:
    """Done and cancelled due items older than the retention window (their effects — alerts, deliveries,
    audit rows — stay); in batches so the write lock is never held long."""
    cutoff = now - dt.timedelta(days=rules().due_item_retention_days)
    removed = 0
    while True:
        ids = list(
            DueItem.objects.filter(
                state__in=[DueState.DONE, DueState.CANCELLED], done_at__lt=cutoff
            ).values_list("pk", flat=True)[:5000]
        )
        if not ids:
            return removed
        with transaction.atomic():
            removed += DueItem.objects.filter(pk__in=ids).delete()[0]


def purge_positions(now: dt.datetime) -> int:
    """Delete the positions of people none of whose cases is open and whose last case closed more than
    ``position_retention_days_after_case_end`` ago.  One audit row per person purged (counts only)."""
    cutoff = (now - dt.timedelta(days=rules().position_retention_days_after_case_end)).date()
    open_case = Case.objects.filter(person=OuterRef("pk"), status__in=OPEN_STATUSES)
    # Only people who have worn a device can have positions (they are found through the devices:
    # PositionQuerySet.of_person); the others are not looked at.
    wore = Q(Exists(DeviceAssignment.objects.filter(person=OuterRef("pk")))) | Q(
        Exists(Device.objects.filter(person=OuterRef("pk")))
    )
    people = (
        Person.objects.annotate(last_closed=Max("cases__closed_on"))
        .filter(wore, ~Exists(open_case), last_closed__lt=cutoff)
        .values_list("pk", flat=True)
    )
    removed = 0
    for person_id in list(people):
        positions = Position.objects.of_person(person_id)
        while ids := list(positions.values_list("pk", flat=True)[:5000]):
            with transaction.atomic():
                count = Position.objects.filter(pk__in=ids).delete()[0]
                removed += count
                record_audit(actor=None, actor_label="system:retention", action=AuditAction.POSITIONS_PURGE,
                             target=("people.person", person_id), details={"rows": count})  # fmt: skip
    return removed


def job_nightly(now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    audit_head()
    if removed := purge_finished_due_items(now):
        logger.info("清理已处理的到期事项 %d 条", removed)
    if removed := purge_positions(now):
        logger.info("按保存期限删除定位记录 %d 条", removed)
    if removed := forget_idle_unknown_sign_ins(now):
        logger.info("清理已失效的未知用户名登录记录 %d 条", removed)
