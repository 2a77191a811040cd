"""What the Supervision API and the console accept: the input schemas both validate with, so a form shows the
API's own messages beside each field (backend/console/forms.py).  Output schemas stay in ``api/``; the
console imports no ``api`` module (tests/core/test_api_layers.py).

A record made for a case comes in two parts: its fields (``CheckinFields``, …), which a console form for
one case validates — the case is in the page's address — and the API's body (``CheckinIn``, …), which adds
``case_id``.  The app check-in's device-authenticated body stays with its route (``api/checkins.py``).
"""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from backend.core.http.types import Day, Id, Int64, Moment

# --- 签到与报告 -----------------------------------------------------------------------------------------


class CheckinFields(Schema):
    kind: str = Field(description="phone / in_person / written / education / community_service")
    at: Moment | None = Field(None, description="签到时间（默认现在）")
    # NaN and infinity are no number of hours (a NaN once reached the action's comparison and was a 500).
    hours: float | None = Field(None, allow_inf_nan=False, description="教育学习、社区服务的小时数")
    note: str | None = Field(None, max_length=2000)


class CheckinIn(CheckinFields):
    case_id: Id


class PlanIn(Schema):
    required: Int64 | None = Field(None, description="每个周期要求的次数（教育、社区服务为小时数）")
    period: str | None = Field(None, description="week / month")
    active: bool | None = None
    reset: bool = Field(False, description="恢复为管理类别的默认要求")


# --- 随访与走访 -----------------------------------------------------------------------------------------


class FollowUpFields(Schema):
    kind: str = Field(
        description="mh_followup / mh_health_check / incident / emergency_record（卫生人员）；"
        "aftercare_contact / aftercare_risk_review / aftercare_pickup；category_review / self_summary / written_assessment"
    )
    at: Moment
    risk_level: int | None = Field(
        None, ge=0, le=5, description="精神障碍患者随访：危险性评估等级 0–5（必填）"
    )
    aftercare_risk: str = Field("", description="帮教风险复评：high / medium / low（必填）")
    findings: dict | None = Field(None, description="精神障碍类记录的情况（加密，仅卫生人员可见）")
    note: str | None = Field(None, max_length=2000)


class FollowUpIn(FollowUpFields):
    case_id: Id


# --- 外出 -----------------------------------------------------------------------------------------------


class LeaveFields(Schema):
    starts_on: Day
    ends_on: Day
    destination: str = Field(max_length=500, description="目的地（加密保存）")
    reason: str = Field(max_length=2000, description="事由（加密保存）")
    frequent: bool = Field(False, description="经常性跨市县活动（一次审批最长六个月）")
    destination_geometry: dict | None = Field(
        None, description='目的地范围：GeoJSON 多边形或 {"type": "circle", "lat", "lon", "radius_m"}'
    )


class LeaveIn(LeaveFields):
    case_id: Id


class ReturnIn(Schema):
    returned_at: Moment | None = Field(None, description="销假时间（默认当前时间）")


# --- 考核奖惩 -------------------------------------------------------------------------------------------


class SanctionFields(Schema):
    kind: str = Field(
        description="praise / admonition / warning / police_penalty_request / revocation_request"
    )
    reason: str = Field(max_length=4000, description="事实与理由（加密保存）")
    decided_on: Day | None = None
    basis: str = Field(
        "", max_length=64, description="依据（规则代码，如 missed_report、lost_contact_gt_10d）"
    )


class SanctionIn(SanctionFields):
    case_id: Id


class AcceptIn(Schema):
    reason: str = Field("", max_length=4000, description="事实与理由（必填）")
    decided_on: Day | None = None


class DismissIn(Schema):
    note: str = Field("", max_length=2000, description="不采纳的理由（必填）")


# --- 奖惩提请与外出的决定（县级 / 审批机关） ------------------------------------------------------------------


class SanctionApproveIn(Schema):
    note: str = Field("", max_length=2000, description="审批意见（可选）")


class SanctionRefuseIn(Schema):
    note: str = Field("", max_length=2000, description="不予批准的理由（必填，告知提请人）")
