"""The supervision forms of the console (签到与报告, 签到计划, 随访与走访, 外出, 考核奖惩), each reached from the
person page, each validated by the API's own input schema (``backend/supervision/inputs.py``) and done by
the API's own action (``backend/supervision/actions/*``): the console decides only what it offers."""
