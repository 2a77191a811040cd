"""Every domain number the system applies, with its source.  A province overrides any of them in a JSON
file named by ``ANBANG_RULES_FILE`` (``{"correction_report_days": 10, …}``); unknown keys or wrong types
stop the process at start.  Code reads ``rules().name``, never a literal.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Rules:
    # 社区矫正法 Art.17 / 实施办法 Art.16: report to the agency within 10 days of the judgment taking effect.
    correction_report_days: int = 10
    # 实施办法 Art.21 and provincial practice: new subjects are 严管 for their first 2 months.
    correction_initial_strict_months: int = 2
    # 安置帮教 period: 5 years after release (provinces may differ per origin).
    aftercare_period_years: int = 5
    # 未成年人: under 18 (刑法 Art.17; 社区矫正法 ch.5).
    minor_age: int = 18
    # 查阅授权 for a minor's or sealed file (未成年人保护法 Art. 103, 刑诉法 Art. 286: access is the exception):
    # at most this long, whether a county head gives it or the registering officer gets it with the file.
    access_grant_max_days: int = 366
    # 安置帮教: prison notifies 30 days before release.
    aftercare_notice_days: int = 30
    # 严重精神障碍管理治疗工作规范 (2018): risk ≥ 3 is unstable, notify police liaison and care team.
    mental_health_unstable_risk: int = 3
    # Three-colour board (红/黄/绿): thresholds documented in docs/people.md.
    colour_red_mh_risk: int = 3
    colour_yellow_mh_risk: int = 1
    # Alerts (alert fatigue: docs/monitoring.md, "Alerts"): every alert has an owner and a due time by
    # severity; not acknowledged by then, it escalates one jurisdiction level up, and again after the same
    # interval.
    alert_due_minutes_critical: int = 15
    alert_due_minutes_high: int = 60
    alert_due_minutes_medium: int = 240
    alert_due_minutes_low: int = 1440
    # Practice default: respond to an office instruction within 1 h; the top of the tree is the province.
    alert_max_escalation_levels: int = 4
    # 社区矫正法 Art. 29: electronic location for at most 3 months per term; each renewal at most 3 months.
    location_order_max_months: int = 3
    # A proposed order (or renewal) not decided by the head by its start date (a renewal: the first day it
    # adds) plus this many days expires and its proposer is told (practice default: no grace).
    location_order_decision_grace_days: int = 0
    # Signal lost: no fix for the device's expected interval plus a buffer (practice: tags 30 min; a phone or
    # tag off for more than 3 h is an alert in any case).
    signal_lost_minutes_tag: int = 30
    signal_lost_minutes_phone: int = 180
    # Suspected absconding (疑似脱管): an inclusion breach and lost signal within this window of each other.
    absconding_window_minutes: int = 120
    # Zone breaches (never on a fix whose accuracy circle straddles the boundary: docs/monitoring.md, "How a
    # violation is detected").  Android and Traccar Client report accuracy as a 68 % radius (1.5 σ); a fix
    # counts as confidently on one side only when it is farther from the boundary than this many times its
    # accuracy (1.5 × → 2.3 σ: a fix that is truly on the other side lands there about 1 time in 90, and a
    # breach needs two of them).
    zone_accuracy_factor: float = 1.5
    # Inclusion zones (活动区域) tolerate this much before a fix counts as outside, unless the zone sets its
    # own margin: urban multipath puts runs of fixes 50–150 m off while claiming 5–15 m, and no rule about
    # accuracy can see that.  Capped at this share of the zone's equivalent radius (√(area/π)), so a small
    # home zone keeps a core that a person inside it can be seen in.
    zone_inclusion_margin_m: float = 150.0
    zone_inclusion_margin_share: float = 0.25
    # A corridor (走廊: keep within this many metres of a route) drawn by an officer is at most this wide on each
    # side; wider is not a route but an area, better drawn as a polygon (engineering default).
    zone_corridor_max_width_m: float = 5000.0
    # Device trust (engineering defaults, docs/protocols.md): a registered JT/T 808 terminal registered again
    # from anywhere is refused; this many refusals within the window raise one device alert (疑似冒用).  A
    # device storing this many impossible jumps within the window (伪造定位 or a broken receiver) raises one too.
    jt808_reregistration_alert_count: int = 3
    jt808_reregistration_alert_window_minutes: int = 60
    implausible_fix_alert_count: int = 5
    implausible_fix_alert_window_minutes: int = 60
    # A standing device alarm (a low-battery or SOS bit repeated on every fix) counts every repeat on the
    # open alert but writes at most one timeline entry in this many minutes; a named repeat (a zone left
    # again) and a back-filled one always write theirs.
    alert_repeat_entry_minutes: int = 10
    # --- Supervision (社区矫正法实施办法; docs/supervision.md) ---------------------------------------
    # Duties per category (分类管理 defaults; a province or an officer may change them).
    duty_strict_in_person_per_week: int = 1
    duty_strict_written_per_week: int = 1
    duty_strict_education_hours_per_month: int = 12
    duty_strict_service_hours_per_month: int = 12
    duty_normal_in_person_per_month: int = 1
    duty_normal_phone_per_week: int = 1
    duty_lenient_in_person_per_month: int = 1
    # Reminders to the person: at the window's opening hour, and this many hours before it closes.
    checkin_reminder_open_hour: int = 9
    checkin_reminder_before_close_hours: int = 24
    # The window a duty comes into force in (a new case, a new category, an officer's new duty) is held
    # against it — reminded at once, a missed-check alert at its end — when at least this share of it is
    # left (half: a weekly duty from Thursday noon, a monthly one from mid-month); otherwise it is a grace
    # window and the next one is the first counted (docs/supervision.md).
    checkin_first_window_min_share: float = 0.5
    # An app check-in confidently outside an inclusion zone that applies (verified: false) never meets a
    # duty, and raises a checkin_unverified alert of this severity: 0 none, 1 low, 2 medium, 3 high (as a
    # zone exit), 4 critical.
    checkin_unverified_alert_level: int = 3
    # A reminder whose moment passed more than this long ago (the scheduler was down) is not sent late.
    reminder_stale_hours: int = 6
    # A check-in window in which the person spent at least this many days in custody (羁押, recorded with
    # the case's detain / end_detention) raises no missed_checkin alert: they could not report, and the
    # officer who recorded the custody knows why; the due item closes as "detained".
    checkin_custody_excuse_days: int = 1
    # Category reviews: 严管 for the first 2 months (correction_initial_strict_months), 宽管 after ≥ 6 months
    # in 普管 with a quarterly score ≥ 80.
    category_lenient_after_months: int = 6
    category_lenient_min_score: int = 80
    # 实施办法 Art. 53: from 30 days before the term ends, self-summary and written assessment.
    term_end_tasks_days: int = 30
    # Leave (实施办法 Art. 27–29): apply ≥ 3 days ahead; ≤ 7 days 司法所; 8–30 county; > 30 days, or > 30 days
    # in total within 2 months (60 days), the next level up with a procuratorate notification.
    leave_apply_days_ahead: int = 3
    leave_township_max_days: int = 7
    leave_county_max_days: int = 30
    leave_window_days: int = 60
    leave_window_max_days: int = 30
    leave_frequent_valid_months: int = 6
    # A request still undecided this many hours after 00:00 of its first day expires, and its proposer is told
    # (0: when the leave would start — leave is approved before one leaves; a province may allow a same-day
    # decision with, say, 12).
    leave_undecided_expiry_hours: int = 0
    # Location orders: notice to the officer and the county head this many days before the end (T-7) and at T-0.
    order_expiry_notice_days: int = 7
    # Sanctions ladder (考核奖惩): lost contact ≤ 10 days → 训诫, > 10 → 警告, > 30 → revocation request;
    # 2 unremedied 训诫 → 警告; 2 警告 → revocation request.
    sanction_lost_contact_warning_days: int = 10
    sanction_lost_contact_revocation_days: int = 30
    sanction_admonitions_to_warning: int = 2
    sanction_warnings_to_revocation: int = 2
    # Who decides each step (实施办法 Art. 32: "经执行地县级社区矫正机构决定"; Art. 35 警告; Art. 36 提请治安
    # 管理处罚 by the county to the police at its level; Arts. 46–49 the county proposes revocation to the
    # court): 1 = the county agency decides — a 司法所's entry is a proposal in the county's queue;
    # 0 = the office that records it decides.  Praise and admonition are county decisions in the letter too,
    # commonly entrusted to the 司法所 (受委托的司法所): 0 by default; a province following the letter sets 1.
    sanction_county_decides_praise: int = 0
    sanction_county_decides_admonition: int = 0
    sanction_county_decides_warning: int = 1
    sanction_county_decides_police_penalty_request: int = 1
    sanction_county_decides_revocation_request: int = 1
    # A proposal the county has not decided within this many days expires and its proposer is told
    # (practice default, not law: the 司法所 then proposes again or escalates).
    sanction_proposal_expiry_days: int = 10
    # Aftercare (安置帮教): contact each quarter (monthly for high risk), risk review every 6 months.
    aftercare_contact_days: int = 90
    aftercare_contact_days_high: int = 30
    aftercare_risk_review_months: int = 6
    # A risk review more than a week overdue raises a (low) alert; the reminder on the day comes first.
    aftercare_risk_review_grace_days: int = 7
    # Mental health (工作规范 2018): stable → next follow-up in 3 months; otherwise within 2 weeks; ≥ 4
    # follow-ups and 1 health check a year; emergency record within 24 h of an incident.
    mh_followup_days_stable: int = 90
    mh_followup_days_unstable: int = 14
    mh_followups_per_year: int = 4
    mh_health_checks_per_year: int = 1
    mh_emergency_record_hours: int = 24
    # Case calendar (engineering defaults, not law): planners create due items this many days ahead, so the
    # calendar shows the coming weeks; a one-off event (a release-day pick-up, an incident) first seen more
    # than calendar_catch_up_days after it happened is not planned any more.
    calendar_plan_ahead_days: int = 35
    calendar_catch_up_days: int = 30
    # Handled due items are kept this long (their alerts, deliveries and audit rows stay for good).
    due_item_retention_days: int = 400
    # 个人信息保护法 Art. 19 (shortest necessary time): a person's positions are deleted this long after the
    # last of their cases closed; location data serves community correction only (社区矫正法 Art. 29).
    position_retention_days_after_case_end: int = 180
    # --- Reports (docs/reports.md) ----------------------------------------------------------------------
    # Person file track map: the same 93-day ceiling as GET /persons/{id}/track (a location read is a
    # sensitive read: 个人信息保护法 Art. 28, 社区矫正法 Art. 29 — no more than the task needs); 7 days by default.
    report_track_max_days: int = 93
    report_track_default_days: int = 7
    # Person file check-in table: the months of the chosen period, at most this many back from its end.
    report_compliance_max_months: int = 4
    # Alert log export: at most one year per file (a yearly review is the longest routine use).
    report_alert_log_max_days: int = 366


def _load(path: str | None) -> Rules:
    if not path:
        return Rules()
    try:
        overrides = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"无法读取规则文件 ANBANG_RULES_FILE={path}：{exc}") from None
    known = {f.name: f.type for f in fields(Rules)}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ImproperlyConfigured(f"规则文件含未知项：{', '.join(unknown)}")
    for key, value in overrides.items():
        number = (int, float) if known[key] == "float" else int
        if not isinstance(value, number) or isinstance(value, bool) or not 0 <= value < math.inf:
            what = "非负数" if known[key] == "float" else "非负整数"
            raise ImproperlyConfigured(f"规则 {key} 应为{what}，实际为 {value!r}")
    if overrides.get("checkin_unverified_alert_level", 0) > 4:
        raise ImproperlyConfigured("规则 checkin_unverified_alert_level 应为 0–4（0 不告警，4 紧急）")
    for key in (k for k in overrides if k.startswith("sanction_county_decides_")):
        if overrides[key] not in (0, 1):
            raise ImproperlyConfigured(f"规则 {key} 应为 0（记录机关决定）或 1（县级社区矫正机构决定）")
    if overrides.get("zone_accuracy_factor", 1) == 0:
        raise ImproperlyConfigured("规则 zone_accuracy_factor 应大于 0")
    return replace(Rules(), **overrides)


@lru_cache(maxsize=1)
def rules() -> Rules:
    return _load(os.environ.get("ANBANG_RULES_FILE"))
