"""The reports' rule in the one policy (``backend.core.policy``), declared when ``ReportsConfig.ready``
imports this module.  A person's file is printed by whoever may open it (``visible_to``); the county's
statistics and the alert log are the office's."""

from __future__ import annotations

from backend.core.policy import declare, grant
from backend.people.models.scope import OFFICE_ROLES

declare("report.print_office", "统计报表与告警台账仅限社区矫正机构与司法所工作人员打印", grant(*OFFICE_ROLES))
