"""Rendering the monthly statistics (``statistics.MonthlyStats``) as a PDF with charts and the appendix."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer

from backend.reports import labels as L
from backend.reports.charts import bar_chart, line_chart
from backend.reports.document import (
    Meta,
    Styles,
    build,
    escape,
    frame_width,
    heading,
    signature_block,
    table,
    title_block,
)
from backend.reports.statistics import MonthlyStats, Rate, definitions

KINDS = [("correction", "社区矫正对象"), ("aftercare", "安置帮教对象"), ("mental_health", "严重精神障碍患者")]
STATUS_ORDER = [
    "pending_report",
    "active",
    "term_ended",
    "notified",
    "released",
    "ended",
    "terminated",
    "closed",
]


def _pct(rate: Rate) -> str:
    return "—" if rate.percent is None else f"{rate.percent:.1f}%"


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g} 分钟" if value < 120 else f"{value:g} 分钟（约 {value / 60:.1f} 小时）"


def render_monthly(stats: MonthlyStats, meta: Meta) -> bytes:
    s = Styles()
    width = frame_width()
    year, month = stats.first.year, stats.first.month
    story: list = title_block(
        s,
        f"{stats.jurisdiction_name}服务管理工作月度统计",
        f"统计月份：{year}年{month}月（{stats.first:%m月%d日}—{stats.last:%m月%d日}，北京时间）　"
        f"统计范围：{stats.jurisdiction_name}（{stats.jurisdiction_code}）及所辖单位",
    )

    story += heading(s, "一、在册人员")
    story.append(
        table(
            s,
            ["类别", "月末在册", "本月新立案"],
            [[label, stats.register.get(kind, 0), stats.opened.get(kind, 0)] for kind, label in KINDS]
            + [["在册人员（按人去重）", stats.persons_on_register, "—"]],
            [2, 1, 1],
        )
    )
    story.append(Spacer(1, 2 * mm))
    story.append(bar_chart("月末在册人数（按类别）", [k[1] for k in KINDS], [stats.register.get(k, 0) for k, _ in KINDS],
                           width=width))  # fmt: skip
    rows = []
    for kind, label in KINDS:
        by_status = stats.status.get(kind, {})
        cells = [f"{L.status(kind, st)} {by_status[st]}" for st in STATUS_ORDER if by_status.get(st)]
        rows.append([label, "；".join(cells) or "无"])
    story.append(Paragraph("本月内在册过的案件按月末状态", s.h2))
    story.append(table(s, ["类别", "月末状态"], rows, [1, 4]))
    story.append(
        Paragraph("社区矫正对象管理类别、安置帮教对象风险等级、严重精神障碍患者危险性等级（月末）", s.h2)
    )
    category = [
        [L.choice(L.Category, k, "未评估"), stats.category.get(k, 0)]
        for k in ("strict", "normal", "lenient", "")
    ]
    risk = [
        [L.choice(L.AftercareRisk, k, "未评估"), stats.aftercare_risk.get(k, 0)]
        for k in ("high", "medium", "low", "")
    ]
    levels = [
        [f"{k} 级" if k else "未评估", stats.mh_risk.get(k, 0)] for k in ("0", "1", "2", "3", "4", "5", "")
    ]
    story.append(
        table(
            s,
            ["管理类别", "人数", "帮教风险", "人数", "危险性等级", "人数"],
            [
                [
                    *(category[i] if i < len(category) else ["", ""]),
                    *(risk[i] if i < len(risk) else ["", ""]),
                    *levels[i],
                ]
                for i in range(len(levels))
            ],
            [1.2, 0.7, 1.2, 0.7, 1.2, 0.7],
        )
    )

    story += heading(s, "二、人员变动")
    ended = []
    for kind, label in KINDS:
        for reason, n in sorted(stats.terminations.get(kind, {}).items()):
            ended.append([f"{label}终止/结案（{L.reason(reason)}）", n])
    story.append(
        table(
            s,
            ["事项", "本月人数"],
            [["社区矫正对象报到（入矫）", stats.intakes], ["解除社区矫正", stats.releases],
             ["安置帮教期满", stats.aftercare_ended], *ended],
            [3, 1],
        )
    )  # fmt: skip

    story += heading(s, "三、主要工作指标")
    rates = [
        ("按期报到率", stats.on_time_report),
        ("衔接率", stats.handover),
        ("必接必送率", stats.pickup),
        ("帮教率", stats.support),
        ("规范管理率（严重精神障碍）", stats.mh_standard),
        ("签到与报告完成率", stats.checkin),
    ]
    story.append(
        table(
            s,
            ["指标", "达标（分子）", "应统计（分母）", "比率"],
            [[name, r.numerator, r.denominator, _pct(r)] for name, r in rates],
            [2.5, 1, 1, 1],
        )
    )
    story.append(Paragraph("签到与报告完成情况（按要求）", s.h2))
    story.append(
        table(
            s,
            ["要求", "已完成窗口", "应统计窗口", "完成率"],
            [[L.duty(k), r.numerator, r.denominator, _pct(r)] for k, r in stats.checkin_by_duty.items()],
            [2.5, 1, 1, 1],
            empty="本月无应统计的签到窗口。",
        )
    )
    story.append(Spacer(1, 2 * mm))
    # A rate with no denominator ("—" in the table above) is no bar: charts.bar_chart labels it 无数据.
    story.append(bar_chart("主要指标（%）", [n.split("（")[0] for n, _ in rates], [r.percent for _, r in rates],
                           width=width, label_format="%.1f"))  # fmt: skip

    story += heading(s, "四、告警与处置")
    story.append(
        table(
            s,
            ["项目", "数值"],
            [
                ["本月生成告警", stats.alerts_total],
                ["其中已签收 / 已办结", f"{stats.alerts_acknowledged} / {stats.alerts_resolved}"],
                ["签收时长中位数", _minutes(stats.ack_median_minutes)],
                ["办结时长中位数", _minutes(stats.resolve_median_minutes)],
                ["逐级上报（升级）次数 / 涉及告警", f"{stats.escalation_steps} / {stats.escalated_alerts}"],
                ["按级别", "；".join(f"{L.choice(L.Severity, k)} {v}" for k, v in sorted(stats.alerts_by_severity.items())) or "无"],
            ],
            [2.5, 2.5],
        )
    )  # fmt: skip
    kinds = sorted(stats.alerts_by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    story.append(Paragraph("按类型", s.h2))
    story.append(
        table(
            s,
            ["告警类型", "数量"],
            [[L.choice(L.AlertKind, k), n] for k, n in kinds],
            [3, 1],
            empty="本月无告警。",
        )
    )
    story.append(Spacer(1, 2 * mm))
    story.append(
        KeepTogether(
            [
                bar_chart("告警数量（按类型）", [L.choice(L.AlertKind, k).split("（")[0] for k, _ in kinds],
                          [n for _, n in kinds], width=width),
                line_chart("每日告警与签到数", [str(i + 1) if (i + 1) % 5 == 0 or i == 0 else "" for i in range(len(stats.alerts_per_day))],
                           [("告警", stats.alerts_per_day), ("签到/报告", stats.checkins_per_day)], width=width),
            ]
        )
    )  # fmt: skip

    story += heading(s, "五、脱管与电子定位")
    story.append(
        table(
            s,
            ["项目", "数值"],
            [
                ["脱管查找事件（本月登记）", stats.lost_contact_events],
                ["查找到位", stats.lost_contact_found],
                ["电子定位决定：本月有效", stats.orders_in_force],
                ["电子定位决定：本月新作出", stats.orders_new],
                ["电子定位决定：本月届满", stats.orders_expiring],
                ["电子定位决定：本月提前解除", stats.orders_ended_early],
                ["佩戴电子定位装置人数（可穿戴设备）", stats.tag_wearers],
                ["手机信息化核查人数（另行统计）", stats.phone_holders],
                ["手机签到次数 / 其中位置核验通过", f"{stats.app_checkins} / {stats.app_checkins_verified}"],
            ],
            [3, 1.5],
        )
    )
    story.append(signature_block(s, ("填报人", "审核人", "负责人")))

    story.append(PageBreak())
    story += heading(s, "附录：指标口径")
    for name, text in definitions():
        story.append(Paragraph(f"【{escape(name)}】{escape(text)}", s.body))
        story.append(Spacer(1, 1.5 * mm))
    story.append(
        Paragraph(
            escape(
                f"数据截至 {meta.printed_at_text}（北京时间）；统计月份尚未结束的，期末数为截至当时的数。"
            ),
            s.note,
        )
    )
    return build(meta, story)
