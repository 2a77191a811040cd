"""Sanction proposals (奖惩提请) decided by the county agency: approve, refuse with a reason, or expire.

社区矫正法实施办法 Art. 32 ("经执行地县级社区矫正机构决定"), Art. 35 (警告), Art. 36 (提请治安管理处罚),
Arts. 46–49 (提请撤销缓刑/假释、收监执行): the 司法所 proposes (``record_sanction`` makes the proposal), an officer
or the head of the case's county agency decides (``sanction_tiers.is_deciding_county``; policy
``sanction.approve``).  Approval makes the same row the decided step — decider, date — and only then does it
take effect (revocation pending, the Art. 29 suggestion) and count on the ladder.  A proposal undecided for
``rules().sanction_proposal_expiry_days`` expires (the scheduler's ``expiries`` job).  Refusal, approval and
expiry are told to the proposer through the notice port, never with a name or an ID number; the reason only
while the proposer may still see the record.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.models import Jurisdiction, User
from backend.core.notices import notify_staff
from backend.core.policy import require
from backend.core.rules import rules
from backend.people.models import Case
from backend.supervision.actions.sanctions import take_effect
from backend.supervision.models import Sanction, SanctionKind, SanctionState
from backend.supervision.sanction_tiers import COUNTY_ROLES, deciding_county, is_deciding_county

logger = logging.getLogger("anbang.supervision")
S = SanctionState


def decides_proposal(user: User, sanction: Sanction) -> bool:
    """``sanction.approve``: an officer or the head of the case's county agency."""
    return is_deciding_county(user, sanction.case)


def not_the_county(sanction: Sanction) -> Forbidden:
    county = deciding_county(sanction.case)
    return Forbidden(
        "考核奖惩提请须由案件所属县级社区矫正机构工作人员决定",
        {"roles": list(COUNTY_ROLES), "jurisdiction": county.pk if county else None},
    )


def expires_at(sanction: Sanction) -> dt.datetime:
    return sanction.proposed_at + dt.timedelta(days=rules().sanction_proposal_expiry_days)


def awaiting_q(user: User, now: dt.datetime | None = None) -> Q:
    """The proposals this user may decide: their county's, still within their time (same rule as
    ``decides_proposal``)."""
    home = user.jurisdiction
    if home is None or home.level != Jurisdiction.Level.COUNTY or not user.has_role(*COUNTY_ROLES):
        return Q(pk__in=[])
    cutoff = (now or timezone.now()) - dt.timedelta(days=rules().sanction_proposal_expiry_days)
    return Q(state=S.PROPOSED, proposed_at__gt=cutoff, case__jurisdiction__path__startswith=home.path)


def _proposed(sanction: Sanction, verb: str) -> None:
    if sanction.state != S.PROPOSED:
        raise Conflict(f"该提请已「{S(sanction.state).label}」，不能{verb}", {"state": sanction.state})
    if expires_at(sanction) <= timezone.now():
        raise Conflict(
            f"该提请已超过 {rules().sanction_proposal_expiry_days} 日未决定，已失效", {"state": S.EXPIRED}
        )


def _decide(sanction: Sanction, **values) -> None:
    moved = Sanction.objects.filter(pk=sanction.pk, state=S.PROPOSED).update(**values)
    if not moved:
        raise Conflict("该提请已被他人处理，请刷新后重试")
    sanction.refresh_from_db()


def approve_sanction(*, by: User, sanction: Sanction, note: str = "") -> Sanction:
    """批准: the county decides the proposed step; it is in force from today and takes effect now."""
    _proposed(sanction, "批准")
    require(by, "sanction.approve", sanction)
    today, now = timezone.localdate(), timezone.now()
    with transaction.atomic():
        _decide(sanction, state=S.DECIDED, decided_by=by, decided_on=today, decided_at=now,
                decision_note=note or None)  # fmt: skip
        record_audit(actor=by, action=AuditAction.SANCTION_APPROVE, target=sanction,
                     details={"case": sanction.case_id, "kind": sanction.kind, "proposed_by": sanction.proposed_by_id})  # fmt: skip
        take_effect(by, Case.objects.get(pk=sanction.case_id), sanction, today)
        tell_proposer(sanction, "approved")
    return sanction


def refuse_sanction(*, by: User, sanction: Sanction, note: str) -> Sanction:
    """不予批准: with a reason, which the proposer is told."""
    _proposed(sanction, "作出不予批准决定")
    require(by, "sanction.approve", sanction)
    if not (note or "").strip():
        raise Invalid("不予批准须说明理由", {"field": "note"})
    with transaction.atomic():
        _decide(sanction, state=S.REFUSED, decided_by=by, decided_at=timezone.now(), decision_note=note)
        record_audit(actor=by, action=AuditAction.SANCTION_REFUSE, target=sanction,
                     details={"case": sanction.case_id, "kind": sanction.kind, "proposed_by": sanction.proposed_by_id})  # fmt: skip
        tell_proposer(sanction, "refused")
    return sanction


def expire_sanction_proposals(now: dt.datetime | None = None) -> int:
    """For the scheduler: proposals undecided for ``sanction_proposal_expiry_days`` expire, each with its
    audit row and its notice in one transaction (a second run finds nothing: the UPDATE is conditional)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=rules().sanction_proposal_expiry_days)
    ids = list(
        Sanction.objects.filter(state=S.PROPOSED, proposed_at__lte=cutoff).values_list("pk", flat=True)
    )
    expired = 0
    for pk in ids:
        try:
            with transaction.atomic():
                if not Sanction.objects.filter(pk=pk, state=S.PROPOSED).update(
                    state=S.EXPIRED, decided_at=now
                ):
                    continue  # decided meanwhile
                sanction = Sanction.objects.select_related("proposed_by").get(pk=pk)
                record_audit(actor=None, actor_label="system:expiry", action=AuditAction.SANCTION_EXPIRE, target=sanction,
                             details={"case": sanction.case_id, "kind": sanction.kind,
                                      "days": rules().sanction_proposal_expiry_days})  # fmt: skip
                tell_proposer(sanction, "expired")
                expired += 1
        except Exception:  # its notice could not be queued: it stays proposed and is tried again next run
            logger.exception("奖惩提请 %s 未能标记为逾期", pk)
    return expired


# --- notices ------------------------------------------------------------------------------------------

_TITLES = {"approved": "奖惩提请已批准", "refused": "奖惩提请不予批准", "expired": "奖惩提请逾期未决定"}


def tell_proposer(sanction: Sanction, outcome: str) -> int:
    """The proposer hears the outcome: the kind only while they may still see the record (a proposer moved
    to another office gets the bare outcome).  Never the refusal's reason, a name or an ID number: a notice
    may go out by e-mail (docs/security.md, "Personal data"); the reason is on the page the link opens."""
    proposer = sanction.proposed_by
    if proposer is None:
        return 0
    number = f"第 {sanction.pk} 号考核奖惩提请"
    if not Sanction.objects.visible_to(proposer).filter(pk=sanction.pk).exists():
        text = f"您提交的{number}已有结果：{_TITLES[outcome].removeprefix('奖惩提请')}。"
        return notify_staff([proposer], title=_TITLES[outcome], text=text)
    kind = SanctionKind(sanction.kind).label
    when = timezone.localtime(sanction.proposed_at).date().isoformat()
    if outcome == "approved":
        text = (
            f"您于 {when} 提交的{number}（{kind}）已由县级社区矫正机构批准，自 {sanction.decided_on} 起生效。"
        )
    elif outcome == "refused":
        text = f"您于 {when} 提交的{number}（{kind}）县级社区矫正机构不予批准，理由请在工作台查看。"
    else:
        text = (
            f"您于 {when} 提交的{number}（{kind}）{rules().sanction_proposal_expiry_days} 日内未获县级社区矫正"
            "机构决定，已失效；如仍需处理，请重新提请。"
        )
    return notify_staff(
        [proposer], title=_TITLES[outcome], text=text, link=f"/console/approvals/sanctions/{sanction.pk}/"
    )
