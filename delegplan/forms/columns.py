"""The declaration form (因公出国（境）计划申报表): its sheets and columns, in three languages.

One table says, for every sheet and column, the scenario field it fills (INTERFACE.md §1),
its header in Chinese, English and Vietnamese, the kind of value it holds and whether it
is required. The template writer (``template.py``) and the reader (``reader.py``) both
work from it, so a column added here is offered in the template and read back on import.
Headers are matched loosely (case, spaces, brackets and asterisks do not count) and any
of the three languages, or the scenario field name itself, is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "int", "date", "bool", "countries", "list", "person", "people", "lines"]
LANGS = ("zh", "en", "vi")


@dataclass(frozen=True)
class Column:
    field: str  # the scenario field (dotted for nested: "invitation.from")
    zh: str
    en: str
    vi: str
    kind: Kind = "text"
    required: bool = False
    width: int = 14  # characters, in the template
    #: the name of a list the template offers as a drop-down (``template.LISTS``)
    choices: str | None = None

    def header(self, lang: str) -> str:
        return getattr(self, lang)

    def names(self) -> set[str]:
        return {fold(self.zh), fold(self.en), fold(self.vi), fold(self.field)}


@dataclass(frozen=True)
class Sheet:
    key: str  # the scenario list it fills ("requests") or "settings"
    zh: str
    en: str
    vi: str
    columns: tuple[Column, ...]

    def title(self, lang: str) -> str:
        return getattr(self, lang)

    def names(self) -> set[str]:
        return {fold(self.zh), fold(self.en), fold(self.vi), fold(self.key)}


def fold(text: str) -> str:
    """A header as compared: width, case, spaces, brackets, asterisks and colons do not count."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s*:：()（）\[\]【】/_\-.]", "", text)


C = Column
REQUESTS = Sheet(
    "requests",
    "申报表",
    "Requests",
    "Đăng ký",
    (
        C("id", "编号", "Request ID", "Mã đoàn", required=True, width=10),
        C("unit", "组团单位", "Organising unit", "Đơn vị tổ chức", required=True, choices="units"),
        C("title", "团组名称", "Delegation name", "Tên đoàn", width=24),
        C("kind", "团组类型", "Kind", "Loại đoàn", choices="kinds", width=10),
        C("head", "团长姓名及职务", "Head (name, post)", "Trưởng đoàn", "person", True, 16),
        C("members", "团组成员名单", "Members", "Thành viên", "people", width=24),
        C("countries", "出访国家（地区）", "Countries", "Nước đến", "countries", True, 18),
        C("days", "各国停留天数", "Days per country", "Số ngày mỗi nước", "list", width=12),
        C("days_abroad", "在外天数", "Days abroad", "Số ngày ở nước ngoài", "int", width=10),
        C("tasks", "出访任务", "Tasks", "Nhiệm vụ", "lines", width=36),
        C("window_start", "出访时间（起）", "Window from", "Thời gian từ", "date", True, 12),
        C("window_end", "出访时间（止）", "Window to", "Thời gian đến", "date", True, 12),
        C("preferred_start", "拟出发日期", "Preferred start", "Ngày đi dự kiến", "date", width=12),
        C("travel_days", "路途天数", "Travel days", "Số ngày đi đường", "int", width=10),
        C("invitation.from", "邀请单位", "Inviting body", "Đơn vị mời", width=22),
        C("invitation.kind", "邀请单位类别", "Invitation kind", "Loại đơn vị mời",
          choices="invitations"),
        C("cost", "经费预算（元）", "Budget", "Kinh phí dự kiến", "int", width=12),
        C("themes", "主题", "Themes", "Chủ đề", "list"),
        C("catalogue", "目录项目", "Catalogue item", "Mục danh mục", width=12),
        C("priority", "优先级", "Priority", "Mức ưu tiên", "int", width=8, choices="priorities"),
        C("submitted", "申报日期", "Submitted", "Ngày đăng ký", "date", width=12),
        C("mergeable", "可合并", "Mergeable", "Có thể ghép đoàn", "bool", width=8, choices="yesno"),
    ),
)  # fmt: skip
ITINERARY = Sheet(
    "itinerary",
    "日程安排",
    "Itinerary",
    "Lịch trình",
    (
        C("request", "编号", "Request ID", "Mã đoàn", required=True, width=10),
        C("country", "国家（地区）", "Country", "Nước", required=True, choices="countries"),
        C("city", "城市", "City", "Thành phố"),
        C("days", "停留天数", "Days", "Số ngày", "int", width=8),
        C("event", "会议或展会", "Event", "Hội nghị, triển lãm", "bool", width=10, choices="yesno"),
        C("text", "任务", "Task", "Nhiệm vụ", width=36),
        C("theme", "主题", "Theme", "Chủ đề"),
        C("by", "承担单位", "Done by", "Đơn vị thực hiện"),
    ),
)
UNITS = Sheet(
    "units",
    "单位",
    "Units",
    "Đơn vị",
    (
        C("id", "单位编号", "Unit ID", "Mã đơn vị", required=True, width=12),
        C("name", "单位名称", "Name", "Tên đơn vị", width=24),
        C("level", "层级", "Level", "Cấp", choices="levels"),
        C("system", "系统", "System", "Hệ thống"),
        C("foreign_economic", "外经贸单位", "Foreign-economic", "Đơn vị kinh tế đối ngoại", "bool",
          choices="yesno"),
        C("budget", "年度经费（元）", "Budget", "Kinh phí năm", "int"),
        C("flagged", "重点关注", "Flagged", "Cần lưu ý", "bool", choices="yesno"),
    ),
)  # fmt: skip
PEOPLE = Sheet(
    "people",
    "人员",
    "People",
    "Cán bộ",
    (
        C("id", "人员编号", "Person ID", "Mã cán bộ", required=True, width=12),
        C("name", "姓名", "Name", "Họ tên"),
        C("unit", "所在单位", "Unit", "Đơn vị", required=True, choices="units"),
        C("rank", "职级", "Rank", "Cấp bậc", choices="ranks"),
        C("leadership", "领导干部", "Leader", "Cán bộ lãnh đạo", "bool", choices="yesno"),
        C("head_of_agency", "单位主要负责人", "Head of agency", "Người đứng đầu", "bool",
          choices="yesno"),
        C("district_official", "区县干部", "District official", "Cán bộ cấp huyện", "bool",
          choices="yesno"),
        C("term_start", "任期（起）", "Term from", "Nhiệm kỳ từ", "date"),
        C("term_end", "任期（止）", "Term to", "Nhiệm kỳ đến", "date"),
        C("multi_trip_approval", "一次审批多次有效", "Multi-trip approval", "Phê duyệt nhiều lần",
          "bool", choices="yesno"),
    ),
)  # fmt: skip
HISTORY = Sheet(
    "history",
    "出访记录",
    "History",
    "Lịch sử đi nước ngoài",
    (
        C("person", "人员编号", "Person ID", "Mã cán bộ", "person", True),
        C("start", "出发日期", "Start", "Ngày đi", "date", True),
        C("countries", "国家（地区）", "Countries", "Nước đến", "countries"),
        C("note", "备注", "Note", "Ghi chú", width=24),
    ),
)
CATALOGUE = Sheet(
    "catalogue",
    "年度目录",
    "Catalogue",
    "Danh mục",
    (
        C("id", "目录编号", "Item ID", "Mã mục", required=True),
        C("title", "名称", "Title", "Tên", width=30),
        C("groups", "团组数", "Groups", "Số đoàn", "int", True),
    ),
)
EXCEPTIONS = Sheet(
    "exceptions",
    "特批",
    "Exceptions",
    "Ngoại lệ",
    (
        C("request", "编号", "Request ID", "Mã đoàn", required=True),
        C("rule", "规则", "Rule", "Quy tắc", required=True, choices="rules"),
        C("note", "说明", "Note", "Ghi chú", width=30),
    ),
)
SETTINGS = Sheet(
    "settings",
    "计划设置",
    "Settings",
    "Thiết lập",
    (
        C("name", "计划名称", "Plan name", "Tên kế hoạch", width=24),
        C("year", "年度", "Year", "Năm", "int", True),
        C("policy", "适用规定", "Policy", "Quy định áp dụng", required=True, choices="policies"),
        C("deadline", "申报截止日期", "Deadline", "Hạn đăng ký", "date"),
        C("last_year_total", "上年经费总额（元）", "Last year's total", "Tổng kinh phí năm trước",
          "int"),
    ),
)  # fmt: skip
#: every sheet, in the order the template writes them
SHEETS = (SETTINGS, REQUESTS, ITINERARY, UNITS, PEOPLE, HISTORY, CATALOGUE, EXCEPTIONS)


def sheet_for(title: str) -> Sheet | None:
    """The sheet a workbook's tab or a CSV file's name stands for, in any language."""
    name = fold(title)
    return next((s for s in SHEETS if name in s.names()), None)


def column_for(sheet: Sheet, header: str) -> Column | None:
    name = fold(header)
    return next((c for c in sheet.columns if name in c.names()), None)


__all__ = ["LANGS", "SHEETS", "Column", "Sheet", "column_for", "fold", "sheet_for"]
