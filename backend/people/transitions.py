"""The status machines of the three kinds of case, as data (docs/people.md draws them).

社区矫正 (社区矫正法 Arts. 17, 44–49): 待报到 → 在矫 → 期满待处理 → 已解除, or → 已终止 (撤销缓刑/假释, 收监执行,
死亡); while 在矫 a case may be 外出中, 脱管查找中 or 羁押.  Release is refused while a revocation is pending
(实施办法 Art.53: never release while revocation/arrest is being decided).
安置帮教: 待衔接 → 帮教中 → 期满解除, or → 已终止 (重新犯罪, 死亡, 迁出).
严重精神障碍: 在管 (住院治疗 as a sub-state) → 已结案 (死亡, 迁居, 排除诊断).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.people.models import CaseKind, CaseStatus, SubStatus

S, SUB = CaseStatus, SubStatus

# The one code "active" reads in each kind's own words (the code's label joins all three).
ACTIVE_LABELS = {CaseKind.CORRECTION: "在矫", CaseKind.AFTERCARE: "帮教中", CaseKind.MENTAL_HEALTH: "在管"}


def status_label(kind: str, status: str) -> str:
    """A case's status as its kind says it: 在矫 / 帮教中 / 在管 for an active case, else the code's label."""
    if status == CaseStatus.ACTIVE:
        return ACTIVE_LABELS.get(kind, CaseStatus.ACTIVE.label)
    return dict(CaseStatus.choices).get(status, status or "—")


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    kind: str
    sources: tuple[str, ...]
    target: str | None = None  # None: status unchanged
    sub_sources: tuple[str, ...] | None = None  # None: any sub-state
    sub_target: str | None = None  # None: sub-state unchanged
    reasons: tuple[str, ...] = ()  # non-empty: one of these is required


REASON_LABELS = {
    "revoked": "撤销缓刑/假释",
    "committed": "收监执行",
    "death": "死亡",
    "reoffended": "重新犯罪",
    "moved_away": "迁出/迁居",
    "diagnosis_withdrawn": "排除诊断",
    "other": "其他",
}

_ACTIVE_SUBS = (SUB.NONE, SUB.ON_LEAVE)

TRANSITIONS: dict[tuple[str, str], Transition] = {
    (t.kind, t.action): t
    for t in [
        # 社区矫正
        Transition("report", "报到", CaseKind.CORRECTION, (S.PENDING_REPORT,), S.ACTIVE, sub_target=SUB.NONE),
        Transition(
            "end_term", "矫正期满", CaseKind.CORRECTION, (S.ACTIVE,), S.TERM_ENDED, _ACTIVE_SUBS, SUB.NONE
        ),
        Transition("release", "解除矫正", CaseKind.CORRECTION, (S.TERM_ENDED,), S.RELEASED),
        Transition(
            "terminate",
            "终止矫正",
            CaseKind.CORRECTION,
            (S.PENDING_REPORT, S.ACTIVE, S.TERM_ENDED),
            S.TERMINATED,
            sub_target=SUB.NONE,
            reasons=("revoked", "committed", "death"),
        ),
        Transition("request_revocation", "提请撤销/收监", CaseKind.CORRECTION, (S.ACTIVE, S.TERM_ENDED)),
        Transition("reject_revocation", "撤销/收监未获准", CaseKind.CORRECTION, (S.ACTIVE, S.TERM_ENDED)),
        Transition(
            "start_leave",
            "外出",
            CaseKind.CORRECTION,
            (S.ACTIVE,),
            sub_sources=(SUB.NONE,),
            sub_target=SUB.ON_LEAVE,
        ),
        Transition(
            "end_leave",
            "销假",
            CaseKind.CORRECTION,
            (S.ACTIVE,),
            sub_sources=(SUB.ON_LEAVE,),
            sub_target=SUB.NONE,
        ),
        Transition(
            "report_lost_contact",
            "脱管查找",
            CaseKind.CORRECTION,
            (S.ACTIVE,),
            sub_sources=_ACTIVE_SUBS,
            sub_target=SUB.LOST_CONTACT,
        ),
        Transition(
            "found",
            "查找到位",
            CaseKind.CORRECTION,
            (S.ACTIVE,),
            sub_sources=(SUB.LOST_CONTACT,),
            sub_target=SUB.NONE,
        ),
        Transition(
            "detain",
            "羁押",
            CaseKind.CORRECTION,
            (S.ACTIVE,),
            sub_sources=(*_ACTIVE_SUBS, SUB.LOST_CONTACT),
            sub_target=SUB.DETAINED,
        ),
        Transition(
            "end_detention",
            "解除羁押",
            CaseKind.CORRECTION,
            (S.ACTIVE,),
            sub_sources=(SUB.DETAINED,),
            sub_target=SUB.NONE,
        ),
        # 安置帮教
        Transition("hand_over", "衔接", CaseKind.AFTERCARE, (S.NOTIFIED,), S.ACTIVE),
        Transition("end_period", "帮教期满", CaseKind.AFTERCARE, (S.ACTIVE,), S.ENDED),
        Transition(
            "terminate",
            "终止帮教",
            CaseKind.AFTERCARE,
            (S.NOTIFIED, S.ACTIVE),
            S.TERMINATED,
            reasons=("reoffended", "death", "moved_away"),
        ),
        # 严重精神障碍
        Transition(
            "hospitalize",
            "住院治疗",
            CaseKind.MENTAL_HEALTH,
            (S.ACTIVE,),
            sub_sources=(SUB.NONE,),
            sub_target=SUB.HOSPITALIZED,
        ),
        Transition(
            "discharge",
            "出院",
            CaseKind.MENTAL_HEALTH,
            (S.ACTIVE,),
            sub_sources=(SUB.HOSPITALIZED,),
            sub_target=SUB.NONE,
        ),
        Transition(
            "close",
            "结案",
            CaseKind.MENTAL_HEALTH,
            (S.ACTIVE,),
            S.CLOSED,
            sub_target=SUB.NONE,
            reasons=("death", "moved_away", "diagnosis_withdrawn"),
        ),
    ]
}


def actions_for(kind: str) -> list[Transition]:
    return [t for (k, _), t in TRANSITIONS.items() if k == kind]
