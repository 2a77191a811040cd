"""Every action the audit chain records, declared once (审计事项).

``record_audit`` takes a member and refuses any other value, so a misspelt action cannot reach the chain.
The stored value is the member's string, unchanged since the first release: the HMAC chain hashes it and
``verify_audit`` recomputes it, so a value is never renamed — a new name means a new member.  The label is
what a person reads.  Core declares the actions of every app (the names are data, not imports), grouped
by the app that records them.
"""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    # core: signing in, accounts, tokens, the jurisdiction tree
    AUTH_LOGIN = "auth.login", "登录"
    AUTH_LOGIN_FAILED = "auth.login_failed", "登录失败"
    AUTH_LOGIN_REFUSED_LOCKED = "auth.login_refused_locked", "账户锁定期间尝试登录"
    AUTH_LOCKED = "auth.locked", "账户锁定"
    AUTH_LOGOUT = "auth.logout", "退出登录"
    AUTH_SESSION_EXPIRED = "auth.session_expired", "会话超时"
    USER_CREATE = "user.create", "新建用户"
    USER_UPDATE = "user.update", "修改用户"
    USER_UNLOCK = "user.unlock", "解锁用户"
    USER_READ = "user.read", "查看用户"
    TOKEN_CREATE = "token.create", "创建访问令牌"
    TOKEN_REVOKE = "token.revoke", "吊销访问令牌"
    JURISDICTION_CREATE = "jurisdiction.create", "新建辖区"
    JURISDICTION_RENAME = "jurisdiction.rename", "辖区更名"
    # core: commands over the whole database
    DB_BACKUP = "db.backup", "数据库备份"
    CRYPTO_ROTATE = "crypto.rotate", "轮换数据密钥"
    CRYPTO_REWRAP = "crypto.rewrap", "重新封装数据密钥"
    CRYPTO_REENCRYPT = "crypto.reencrypt", "重新加密数据"

    # people: persons, grants, teams
    PERSON_CREATE = "person.create", "新建人员档案"
    PERSON_UPDATE = "person.update", "修改人员档案"
    PERSON_LIST = "person.list", "查看人员列表"
    PERSON_SEARCH = "person.search", "查找人员"
    PERSON_READ = "person.read", "查看人员档案"
    PERSON_READ_TRACK = "person.read_track", "查看人员轨迹"
    PERSON_GRANT = "person.grant", "授权查阅档案"
    PERSON_GRANT_REVOKE = "person.grant_revoke", "撤销查阅授权"
    TEAM_LIST = "team.list", "查看矫正小组列表"
    TEAM_READ = "team.read", "查看矫正小组"
    TEAM_ADD_MEMBER = "team.add_member", "矫正小组增加成员"
    TEAM_REMOVE_MEMBER = "team.remove_member", "矫正小组移除成员"
    TEAM_ACTIVATE = "team.activate", "矫正小组启用"
    # people: cases and their particulars
    CASE_OPEN = "case.open", "新建案件"
    CASE_UPDATE = "case.update", "修改案件信息"
    CASE_READ = "case.read", "查看案件"
    CASE_READ_MARKS = "case.read_marks", "查看分类与评估记录"
    CASE_READ_EMERGENCIES = "case.read_emergencies", "查看应急处置记录"
    CASE_PLACEMENT = "case.placement", "登记安置情况"
    CASE_EMERGENCY = "case.emergency", "登记应急处置"
    # people: marks, recorded as "case.<MarkKind>"
    CASE_CATEGORY = "case.category", "调整管理类别"
    CASE_AFTERCARE_RISK = "case.aftercare_risk", "帮教风险评估"
    CASE_RISK_LEVEL = "case.risk_level", "危险性评估"
    # people: status transitions, recorded as "case.<Transition.action>" (backend/people/transitions.py)
    CASE_REPORT = "case.report", "报到"
    CASE_END_TERM = "case.end_term", "矫正期满"
    CASE_RELEASE = "case.release", "解除矫正"
    CASE_TERMINATE = "case.terminate", "终止矫正或帮教"
    CASE_REQUEST_REVOCATION = "case.request_revocation", "提请撤销/收监"
    CASE_REJECT_REVOCATION = "case.reject_revocation", "撤销/收监未获准"
    CASE_START_LEAVE = "case.start_leave", "外出"
    CASE_END_LEAVE = "case.end_leave", "销假"
    CASE_REPORT_LOST_CONTACT = "case.report_lost_contact", "脱管查找"
    CASE_FOUND = "case.found", "查找到位"
    CASE_DETAIN = "case.detain", "羁押"
    CASE_END_DETENTION = "case.end_detention", "解除羁押"
    CASE_HAND_OVER = "case.hand_over", "衔接"
    CASE_END_PERIOD = "case.end_period", "帮教期满"
    CASE_HOSPITALIZE = "case.hospitalize", "住院治疗"
    CASE_DISCHARGE = "case.discharge", "出院"
    CASE_CLOSE = "case.close", "结案"

    # monitoring: devices, location orders, zones, alerts
    DEVICE_PROVISION = "device.provision", "登记定位设备"
    DEVICE_UPDATE = "device.update", "修改定位设备"
    DEVICE_ASSIGN = "device.assign", "配发定位设备"
    DEVICE_UNASSIGN = "device.unassign", "收回定位设备"
    DEVICE_RESET_REGISTRATION = "device.reset_registration", "重置终端注册"
    DEVICE_READ_POSITIONS = "device.read_positions", "查看设备位置"
    LOCATION_ORDER_GRANT = "location_order.grant", "登记电子定位决定"
    LOCATION_ORDER_RENEW = "location_order.renew", "延长电子定位"
    LOCATION_ORDER_END = "location_order.end", "解除电子定位"
    ZONE_CREATE = "zone.create", "设置区域"
    ZONE_UPDATE = "zone.update", "修改区域"
    ZONE_LIST = "zone.list", "查看区域列表"
    ZONE_READ = "zone.read", "查看区域"
    ZONE_IMPORT_BOUNDARY = "zone.import_boundary", "导入行政区边界"
    ALERT_OPEN = "alert.open", "产生告警"
    ALERT_ACKNOWLEDGE = "alert.acknowledge", "签收告警"
    ALERT_ACKNOWLEDGE_LINK = "alert.acknowledge_link", "通过通知链接签收告警"
    ALERT_ACKNOWLEDGE_SMS_REPLY = "alert.acknowledge_sms_reply", "通过短信回复签收告警"
    ALERT_ASSIGN = "alert.assign", "指派告警"
    ALERT_RESOLVE = "alert.resolve", "处置告警"
    ALERT_ESCALATE = "alert.escalate", "告警升级"
    ALERT_LIST = "alert.list", "查看告警列表"
    ALERT_READ = "alert.read", "查看告警"

    # supervision: check-ins, leave, sanctions, follow-ups, the nightly purge
    CHECKIN_RECORD = "checkin.record", "登记签到"
    CHECKIN_APP = "checkin.app", "手机签到"
    CHECKIN_READ = "checkin.read", "查看签到记录"
    CHECKIN_PLAN_OVERRIDE = "checkin_plan.override", "单独设置签到要求"
    CHECKIN_PLAN_RESET = "checkin_plan.reset", "恢复默认签到要求"
    CHECKIN_PLAN_REFRESH = "checkin_plan.refresh", "按类别更新签到要求"
    LEAVE_CREATE = "leave.create", "提交外出申请"
    LEAVE_RETIER = "leave.retier", "外出申请重新确定审批层级"
    LEAVE_APPROVE = "leave.approve", "批准外出"
    LEAVE_REJECT = "leave.reject", "不批准外出"
    LEAVE_CANCEL = "leave.cancel", "撤回外出申请"
    LEAVE_RETURN = "leave.return", "外出销假"
    LEAVE_LIST = "leave.list", "查看外出申请列表"
    LEAVE_READ = "leave.read", "查看外出申请"
    SANCTION_CREATE = "sanction.create", "作出考核奖惩决定"
    SANCTION_REMEDY = "sanction.remedy", "训诫已改正"
    SANCTION_LIST = "sanction.list", "查看考核奖惩"
    SANCTION_SUGGEST = "sanction.suggest", "提出奖惩建议"
    SANCTION_SUGGESTION_ACCEPT = "sanction.suggestion.accept", "采纳奖惩建议"
    SANCTION_SUGGESTION_DISMISS = "sanction.suggestion.dismiss", "不采纳奖惩建议"
    FOLLOWUP_RECORD = "followup.record", "登记随访"
    FOLLOWUP_LIST = "followup.list", "查看随访记录"
    POSITIONS_PURGE = "positions.purge", "清理过期位置数据"

    # notifications: contact points and routing rules
    CONTACT_POINT_SET = "contact_point.set", "设置联系方式"
    CONTACT_POINT_REMOVE = "contact_point.remove", "删除联系方式"
    ROUTING_RULE_CREATE = "routing_rule.create", "新建通知规则"
    ROUTING_RULE_UPDATE = "routing_rule.update", "修改通知规则"
    ROUTING_RULE_DELETE = "routing_rule.delete", "删除通知规则"

    # reports: every printed file is audited like a sensitive read
    REPORT_PERSON_FILE = "report.person_file", "打印人员档案"
    REPORT_MONTHLY = "report.monthly", "打印月度统计"
    REPORT_ALERT_LOG = "report.alert_log", "打印告警台账"
