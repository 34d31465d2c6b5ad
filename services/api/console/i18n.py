"""The console's own words in 中文 and English (metric labels come from the catalogue)."""

from __future__ import annotations

from collections.abc import Callable

from .formatting import Lang

TEXT: dict[str, tuple[str, str]] = {
    "title": ("客服绩效控制台", "CS performance console"),
    "team": ("团队", "Team"),
    "lost": ("询单流失", "Lost inquiries"),
    "performance": ("绩效", "Performance"),
    "qa": ("质检", "QA"),
    "alerts": ("告警", "Alerts"),
    "my_page": ("我的数据", "My numbers"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "email": ("邮箱", "Email"),
    "password": ("密码", "Password"),
    "bad_sign_in": ("邮箱或密码错误。", "Wrong email or password."),
    "throttled": (
        "失败次数过多, 请 15 分钟后再试。",
        "Too many failed sign-ins; try again in 15 minutes.",
    ),
    "period": ("时间段", "Period"),
    "group": ("分组", "Group"),
    "all_groups": ("全部分组", "all groups"),
    "apply": ("查看", "Show"),
    "agent": ("客服", "Agent"),
    "trend": ("14 天转化率", "14-day conversion"),
    "no_rows": ("这段时间没有数据。", "No numbers in this period."),
    "export": ("导出", "Export"),
    "queue": ("待复盘", "Review queue"),
    "day": ("日期", "Day"),
    "buyer": ("买家", "Buyer"),
    "cause": ("原因", "Cause"),
    "note": ("备注", "Note"),
    "reviewed": ("已复盘", "Reviewed"),
    "unreviewed": ("未复盘", "Not reviewed"),
    "save": ("保存", "Save"),
    "next": ("下一个", "Next"),
    "previous": ("上一个", "Previous"),
    "keys": (
        "快捷键: j/k 下一个/上一个, 数字键 1–7 标记原因",
        "Keys: j/k next/previous, 1–7 mark a cause",
    ),
    "summary": ("原因汇总", "Causes"),
    "buyers": ("买家数", "buyers"),
    "unpaid_amount": ("未付款金额", "unpaid amount"),
    "transcript": ("聊天记录", "Transcript"),
    "slow": ("慢", "slow"),
    "session": ("会话", "Session"),
    "bonus": ("奖金", "Bonus"),
    "honour": ("荣誉", "Honour"),
    "by_day": ("按日", "By day"),
    "by_week": ("按周", "By week"),
    "violations_by_rule": ("违规 (按规则)", "Violations by rule"),
    "mentor": ("师傅", "Mentor"),
    "apprentices": ("徒弟", "Apprentices"),
    "plan": ("方案", "Plan"),
    "amount": ("金额", "Amount"),
    "level": ("等级", "Level"),
    "best": ("最佳", "Best"),
    "improved": ("进步最大", "Most improved"),
    "targets": ("目标", "Targets"),
    "rules": ("告警规则", "Alert rules"),
    "breaches": ("当前告警", "Current breaches"),
    "deliveries": ("最近的 Webhook 投递", "Recent webhook deliveries"),
    "status": ("状态", "Status"),
    "none": ("暂无", "None yet"),
    "unanswered": ("未回复", "unanswered"),
    "today": ("今天", "today"),
    "language": ("English", "中文"),
}


def translator(lang: Lang) -> Callable[[str], str]:
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        return TEXT[key][index] if key in TEXT else key

    return t
