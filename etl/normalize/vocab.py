"""Closed vocabularies of the sources (status, channel, satisfaction, re-inspection result), with their Chinese labels.

Keys are match keys (`etl.normalize.text.match_keys`: NFKC, no spaces, lower case).
"""

from __future__ import annotations

HOTLINE_STATUSES = ("received", "dispatched", "in_progress", "closed", "reopened", "cancelled", "duplicate")
HOTLINE_STATUS = {
    **{s: s for s in HOTLINE_STATUSES},
    "受理": "received", "已受理": "received", "派单": "dispatched", "已派单": "dispatched", "签收": "dispatched",
    "已签收": "dispatched", "办理中": "in_progress", "处理中": "in_progress", "办结": "closed", "已办结": "closed",
    "退回": "reopened", "重办": "reopened", "撤销": "cancelled", "已撤销": "cancelled", "重复件": "duplicate",
}
# Open311 knows only open/closed. "open" is `received` while the request has not changed since it was
# made (updated_datetime == requested_datetime or absent) and `in_progress` once it has.
OPEN311_STATUS = {"open": "open", "closed": "closed"}

CHANNELS = ("12345", "app", "patrol", "media", "open311")
CHANNEL = {
    **{c: c for c in CHANNELS},
    "12345热线": "12345", "热线": "12345", "巡查": "patrol", "小程序": "patrol", "巡查小程序": "patrol",
    "曝光台": "media", "媒体": "media", "媒体曝光": "media",
}

SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
SATISFACTION = {
    **{s: s for s in SATISFACTIONS},
    "满意": "satisfied", "非常满意": "satisfied", "基本满意": "basically_satisfied", "不满意": "dissatisfied",
}
NOT_RATED = {"not_rated", "unrated", "未评价", "未评", "无"}

EVENT_STATUSES = ("planned", "held", "cancelled")
EVENT_STATUS = {
    **{s: s for s in EVENT_STATUSES},
    "canceled": "cancelled", "计划": "planned", "计划中": "planned", "未开始": "planned", "报名中": "planned",
    "已举办": "held", "已结束": "held", "已完成": "held", "已取消": "cancelled", "取消": "cancelled",
}

REINSPECTION = {
    "通过": True, "已通过": True, "合格": True, "是": True, "pass": True, "passed": True, "true": True,
    "未通过": False, "不通过": False, "不合格": False, "否": False, "fail": False, "failed": False, "false": False,
}
