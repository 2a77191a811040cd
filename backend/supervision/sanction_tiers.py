"""Who decides a sanction (考核奖惩的决定机关): the county agency, or the office that records it.

社区矫正法实施办法 (2020) Art. 32: rewards and punishments are given "经执行地县级社区矫正机构决定"; Art. 35
(警告) is the county's; Art. 36: the county agency asks the police at its level for a penalty (提请治安管理
处罚); Arts. 46–49: the county agency proposes revocation or committal to the court.  The 司法所 investigates
and proposes (受委托的司法所).  Which kinds the county decides is ``rules().sanction_county_decides_<kind>``
(defaults: warning, police-penalty request and revocation request; praise and admonition are entrusted to
the 司法所).  The county is the case's: the county-level jurisdiction above (or holding) the case.
"""

from __future__ import annotations

from backend.core.models import Jurisdiction, Role, User
from backend.core.rules import rules
from backend.people.models import Case

COUNTY_ROLES = (Role.COUNTY_OFFICER, Role.COUNTY_HEAD)


def county_decides(kind: str) -> bool:
    """Whether the county agency decides this kind (a 司法所's entry is then a proposal)."""
    return getattr(rules(), f"sanction_county_decides_{kind}", 0) == 1


def deciding_county(case: Case) -> Jurisdiction | None:
    """The county of the case (None for a case held above any county: its own office decides)."""
    return next((j for j in case.jurisdiction.ancestors() if j.level == Jurisdiction.Level.COUNTY), None)


def is_deciding_county(user: User, case: Case) -> bool:
    """``user`` is an officer or the head of the case's county agency."""
    county = deciding_county(case)
    return county is not None and user.jurisdiction_id == county.pk and user.has_role(*COUNTY_ROLES)


def proposes(user: User, case: Case, kind: str) -> bool:
    """Whether ``user`` recording ``kind`` makes a proposal for the county rather than a decision."""
    if not county_decides(kind) or deciding_county(case) is None:
        return False
    return not is_deciding_county(user, case)
