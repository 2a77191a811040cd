"""Report downloads: person files, monthly statistics, alert logs (PDF; the alert log also as CSV).

Thin views over ``backend/reports/exports.py``, which checks access, renders and audits.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from backend.core.http.types import Id
from backend.reports import exports

router = Router(tags=["报表"])


class TrackPeriod(Schema):
    from_: str | None = Field(
        None, alias="from", description="轨迹起始日期 YYYY-MM-DD（含，北京时间；默认近 7 天）"
    )
    to: str | None = Field(None, description="轨迹截止日期 YYYY-MM-DD（含；默认今天）")


class MonthlyQuery(Schema):
    jurisdiction: str | None = Field(None, description="辖区区划代码（12 位；默认本人所属辖区）")
    month: str = Field(description="统计月份 YYYY-MM（北京时间）")


class AlertLogQuery(Schema):
    jurisdiction: str | None = Field(None, description="辖区区划代码（默认本人所属辖区）")
    from_: str | None = Field(None, alias="from", description="起始日期 YYYY-MM-DD（含；默认近 30 天）")
    to: str | None = Field(None, description="截止日期 YYYY-MM-DD（含；默认今天）")


def _download(export: exports.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"  # personal data: no copies in proxies or the browser cache
    return response


@router.get("/person/{int:person_id}.pdf", summary="个人档案 PDF（含所选时段的活动轨迹图；导出留痕）")
def person_file(request: HttpRequest, person_id: Id, period: Query[TrackPeriod]):
    return _download(exports.export_person_file(by=request.auth, person_id=person_id, first=period.from_,
                                                last=period.to))  # fmt: skip


@router.get("/monthly.pdf", summary="月度统计 PDF（辖区及所辖单位；导出留痕）")
def monthly(request: HttpRequest, query: Query[MonthlyQuery]):
    export, _ = exports.monthly_statistics(by=request.auth, code=query.jurisdiction, month=query.month)
    return _download(export)


@router.get("/alerts.pdf", summary="告警处置台账 PDF（导出留痕）")
def alerts_pdf(request: HttpRequest, query: Query[AlertLogQuery]):
    return _download(exports.export_alert_log(by=request.auth, code=query.jurisdiction, first=query.from_,
                                              last=query.to))  # fmt: skip


@router.get("/alerts.csv", summary="告警处置台账 CSV（UTF-8，导出留痕）")
def alerts_csv(request: HttpRequest, query: Query[AlertLogQuery]):
    return _download(exports.export_alert_log(by=request.auth, code=query.jurisdiction, first=query.from_,
                                              last=query.to, fmt="csv"))  # fmt: skip
