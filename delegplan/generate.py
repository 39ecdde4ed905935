"""Realistic synthetic scenarios, deterministic for a seed.

The bundled scenarios (``scenarios/*.yaml``) are made here, each shaped on its seed
regulation: the Changchun municipal plan (municipal departments and districts, city
leaders of every rank with 2018-2019 history, the annex-2 catalogue), the Ninh Bình
provincial plan (sở and huyện, key leaders, short stays), and the Sichuan training plan
(long training stays, units in systems, budgets). A few requests in each break a rule on
purpose, as real declarations do (late, no invitation, too few tasks, a refused host).

Run ``python -m delegplan.generate`` to rewrite the bundled files.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from models.files import write_atomic

CONTINENT_POOLS = {
    "Europe": [
        "DE",
        "FR",
        "IT",
        "ES",
        "GB",
        "NL",
        "BE",
        "CH",
        "AT",
        "CZ",
        "PL",
        "HU",
        "RU",
        "FI",
        "SE",
        "DK",
        "PT",
        "GR",
    ],
    "Asia": ["JP", "KR", "SG", "TH", "MY", "VN", "ID", "IN", "AE", "IL", "KZ", "LA", "KH", "MN"],
    "North America": ["US", "CA", "MX"],
    "South America": ["BR", "AR", "CL", "PE"],
    "Africa": ["ZA", "EG", "KE", "ET", "NG", "MA"],
    "Oceania": ["AU", "NZ", "FJ"],
}
CITIES = {
    "DE": ["Berlin", "Essen", "Munich", "Wolfsburg"],
    "FR": ["Paris", "Lyon", "Nice"],
    "JP": ["Tokyo", "Sendai", "Niigata"],
    "KR": ["Seoul", "Incheon"],
    "US": ["Detroit", "Las Vegas", "Seattle"],
    "TH": ["Bangkok", "Phuket"],
    "IT": ["Venice", "Milan"],
    "RU": ["Moscow", "Novosibirsk"],
}


@dataclass(frozen=True)
class Flavour:
    profile: str
    name: str
    year: int
    requests: int
    continent_weights: dict[str, int]
    themes: tuple[str, ...]


CHANGCHUN = Flavour(
    "changchun-2020",
    "长春市2020年因公临时出国（境）计划 (Changchun 2020 municipal plan)",
    2020,
    120,
    {"Europe": 40, "Asia": 35, "North America": 10, "South America": 4, "Africa": 5, "Oceania": 6},
    (
        "belt_and_road",
        "investment",
        "industry",
        "agriculture",
        "county_economy",
        "urban_management",
        "tourism",
        "science_education",
        "exhibitions",
        "friendship",
    ),
)
NINHBINH = Flavour(
    "ninhbinh-2021",
    "Kế hoạch đoàn ra năm 2021 tỉnh Ninh Bình (Ninh Binh 2021 plan)",
    2021,
    50,
    {"Asia": 60, "Europe": 30, "Oceania": 5, "North America": 5},
    ("investment", "tourism", "agriculture", "friendship", "education"),
)
SICHUAN = Flavour(
    "sichuan-training-2020",
    "四川省2020年因公出国（境）培训项目计划 (Sichuan training 2020)",
    2020,
    30,
    {"Europe": 50, "Asia": 20, "North America": 15, "Oceania": 15},
    ("training_priority", "training_key", "ordinary"),
)

CC_DEPARTMENTS = [
    ("gov", "市政府办公厅"),
    ("commerce", "市商务局"),
    ("ndrc", "市发展和改革委员会"),
    ("education", "市教育局"),
    ("science", "市科学技术局"),
    ("agriculture", "市农业农村局"),
    ("culture-tourism", "市文化广电和旅游局"),
    ("fao", "市外事办公室"),
    ("industry", "市工业和信息化局"),
    ("finance", "市金融办"),
    ("housing", "市住房和城乡建设局"),
    ("transport", "市交通运输局"),
    ("planning", "市规划和自然资源局"),
    ("health", "市卫生健康委员会"),
    ("youth", "共青团长春市委"),
    ("arts", "市文学艺术界联合会"),
    ("hr", "市人力资源和社会保障局"),
    ("ecology", "市生态环境局"),
    ("sasac", "市国有资产监督管理委员会"),
    ("ccpit", "市贸促会"),
    ("friendship", "市对外友好协会"),
]
CC_DISTRICTS = [
    ("nanguan", "南关区"),
    ("kuancheng", "宽城区"),
    ("chaoyang", "朝阳区"),
    ("erdao", "二道区"),
    ("lvyuan", "绿园区"),
    ("shuangyang", "双阳区"),
    ("jiutai", "九台区"),
    ("nongan", "农安县"),
    ("yushu", "榆树市"),
    ("dehui", "德惠市"),
]
CC_CATALOGUE = [
    ("investment", "重点项目、重点工程招商团组", 2),
    ("finance", "金融服务与金融管理团组", 1),
    ("modern-agri", "现代农业产业项目团组", 1),
    ("county", "“县域经济”和“特色小城镇”团组", 1),
    ("agri-training", "农牧业化现代化技术人才培训团组", 1),
    ("enterprise", "企业海外合作团组", 1),
    ("smart-manufacturing", "工业智能制造项目洽谈团组", 1),
    ("bri-capacity", "“一带一路”产能合作团组", 1),
    ("bri-connect", "“一带一路”互联互通团组", 1),
    ("bri-talent", "“一带一路”国家科技和人才项目引进团组", 1),
    ("city-safety", "城市安全项目合作团组", 1),
    ("city-transport", "城市交通与城市管理团组", 1),
    ("city-planning", "城市规划与旧城改造团组", 1),
    ("talent", "海外高层次人才及项目引进团组", 1),
    ("sci-coop", "海外科技项目合作团组", 1),
    ("youth", "青少年对外交流团组", 1),
    ("arts", "艺术交流团组", 1),
    ("sister-city", "友好城市及市民交流团组", 2),
]
NB_UNITS = [
    ("ubnd", "Văn phòng UBND tỉnh"),
    ("so-ngoai-vu", "Sở Ngoại vụ"),
    ("so-du-lich", "Sở Du lịch"),
    ("so-kh-dt", "Sở Kế hoạch và Đầu tư"),
    ("so-nn", "Sở Nông nghiệp và PTNT"),
    ("so-gd", "Sở Giáo dục và Đào tạo"),
    ("so-ct", "Sở Công Thương"),
    ("so-yt", "Sở Y tế"),
    ("so-vh", "Sở Văn hóa và Thể thao"),
    ("hoa-lu", "UBND huyện Hoa Lư"),
    ("gia-vien", "UBND huyện Gia Viễn"),
    ("kim-son", "UBND huyện Kim Sơn"),
    ("tp-ninh-binh", "UBND thành phố Ninh Bình"),
    ("tam-diep", "UBND thành phố Tam Điệp"),
    ("bql-kcn", "Ban Quản lý các KCN"),
]
SC_UNITS = [
    ("kjt", "四川省科学技术厅", "science"),
    ("cd-kjj", "成都市科技局", "science"),
    ("my-kjj", "绵阳市科技局", "science"),
    ("zy-kjj", "自贡市科技局", "science"),
    ("scu", "四川大学", "education"),
    ("uestc", "电子科技大学", "education"),
    ("swjtu", "西南交通大学", "education"),
    ("sicau", "四川农业大学", "agriculture"),
    ("nyt", "四川省农业农村厅", "agriculture"),
    ("cd-nyj", "成都市农业农村局", "agriculture"),
    ("wjw", "四川省卫生健康委员会", "health"),
    ("hx", "四川大学华西医院", "health"),
    ("jyt", "四川省教育厅", "education"),
    ("xh", "四川省科学技术协会", None),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅鹏辉斌宇浩凯健俊帆"
VN_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
VN_GIVEN = [
    "Văn An",
    "Thị Bình",
    "Đức Cường",
    "Thị Dung",
    "Minh Hải",
    "Thu Hà",
    "Quốc Hùng",
    "Thanh Lan",
    "Hữu Nam",
    "Thị Oanh",
    "Công Phúc",
    "Ngọc Quang",
    "Thị Sen",
    "Văn Tùng",
]


class _Builder:
    def __init__(self, flavour: Flavour, seed: int):
        self.f = flavour
        self.rng = random.Random(seed)
        self.units: list[dict[str, Any]] = []
        self.people: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.leaders: dict[str, list[str]] = {}
        self.staff: dict[str, list[str]] = {}
        self.names: set[str] = set()
        self.pools: dict[str, list[str]] = CONTINENT_POOLS

    # ---- people ---------------------------------------------------------------------
    def _name(self) -> str:
        for _ in range(1000):
            if self.f.profile == "ninhbinh-2021":
                name = f"{self.rng.choice(VN_SURNAMES)} {self.rng.choice(VN_GIVEN)}"
            else:
                name = self.rng.choice(SURNAMES) + "".join(
                    self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2)))
                )
            if name not in self.names:
                self.names.add(name)
                return name
        return f"person-{len(self.names)}"

    def person(self, unit: str, rank: str, **flags: Any) -> str:
        pid = f"{unit}-{len([p for p in self.people if p['unit'] == unit]) + 1:02d}"
        record: dict[str, Any] = {"id": pid, "name": self._name(), "unit": unit, "rank": rank}
        record.update({k: v for k, v in flags.items() if v})
        self.people.append(record)
        bucket = self.leaders if flags.get("leadership") else self.staff
        bucket.setdefault(unit, []).append(pid)
        return pid

    def past_trip(self, pid: str, years: tuple[int, ...]) -> None:
        year = self.rng.choice(years)
        start = dt.date(year, self.rng.randint(3, 11), self.rng.randint(1, 28))
        continent = self.rng.choice(list(self.pools))
        self.history.append(
            {
                "person": pid,
                "start": start,
                "countries": [self.rng.choice(self.pools[continent])],
            }
        )

    # ---- trips ------------------------------------------------------------------------
    def continent(self) -> str:
        names = list(self.f.continent_weights)
        return self.rng.choices(names, [self.f.continent_weights[n] for n in names])[0]

    def stops(
        self, n_countries: int, days: tuple[int, int], tasks: int, themes: list[str]
    ) -> list[dict[str, Any]]:
        themes = self.rng.sample(themes, min(len(themes), self.rng.choice((1, 1, 2))))
        pool = self.pools[self.continent()]
        countries = self.rng.sample(pool, min(n_countries, len(pool)))
        out = []
        for code in countries:
            stop: dict[str, Any] = {"country": code, "days": self.rng.randint(*days)}
            if code in CITIES and self.rng.random() < 0.5:
                stop["city"] = self.rng.choice(CITIES[code])
            stop["tasks"] = [
                {"theme": self.rng.choice(themes), "text": f"工作任务 {k + 1}（{code}）"}
                for k in range(tasks)
            ]
            out.append(stop)
        return out

    def window(self, length: int, weeks: tuple[int, int]) -> tuple[dt.date, dt.date, dt.date]:
        year = self.f.year
        span = max(length + 3, 7 * self.rng.randint(*weeks))
        lo = dt.date(year, 1, 6) + dt.timedelta(self.rng.randint(0, 340 - span))
        hi = min(lo + dt.timedelta(span - 1), dt.date(year, 12, 30))
        preferred = lo + dt.timedelta(self.rng.randint(0, max(0, (hi - lo).days - length)))
        return lo, hi, preferred

    def scenario(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.f.name, "year": self.f.year, "policy": self.f.profile}
        out.update(extra)
        out.update({"units": self.units, "people": self.people, "history": self.history})
        if "catalogue" in extra:
            out["catalogue"] = extra["catalogue"]
        out["requests"] = self.requests
        return out


def _request(
    b: _Builder,
    rid: str,
    unit: str,
    head: str,
    members: list[str],
    stops: list[dict[str, Any]],
    kind: str = "self",
    travel: int = 2,
    weeks: tuple[int, int] = (3, 10),
) -> dict[str, Any]:
    length = travel + sum(s["days"] for s in stops)
    lo, hi, preferred = b.window(length, weeks)
    themes = sorted({t["theme"] for s in stops for t in s["tasks"] if t.get("theme")})
    return {
        "id": rid,
        "kind": kind,
        "unit": unit,
        "head": head,
        "members": members,
        "stops": stops,
        "window": [lo, hi],
        "preferred_start": preferred,
        "travel_days": travel,
        "invitation": {"from": "host government", "kind": "government"},
        "cost": 0,
        "themes": themes[:2],
        "priority": b.rng.choice((2, 3, 3, 3, 4, 5)),
    }


def changchun(seed: int = 2020) -> dict[str, Any]:
    """About 120 requests from 31 units, shaped on the Changchun notice (seed 000)."""
    b = _Builder(CHANGCHUN, seed)
    rng = b.rng
    for uid, name in CC_DEPARTMENTS:
        unit: dict[str, Any] = {
            "id": uid,
            "name": name,
            "level": "municipal",
            "budget": rng.choice((200000, 300000, 400000, 600000)),
        }
        if uid in ("commerce", "ccpit"):
            unit["foreign_economic"] = True
        if uid == "arts":
            unit["flagged"] = True  # earlier group's findings not remedied (000 §1(五))
        b.units.append(unit)
    for uid, name in CC_DISTRICTS:
        b.units.append(
            {
                "id": uid,
                "name": name,
                "level": "district",
                "budget": rng.choice((150000, 250000, 350000)),
            }
        )
    b.units[-1]["budget"] = 0  # a unit that may send no one this year
    # city leaders (市政府): one of every rank of 000 §1(二)
    b.person("gov", "vice_provincial", leadership=True, head_of_agency=True)
    fa = b.person("gov", "vice_municipal_fa", leadership=True)
    for k in range(3):
        vm = b.person("gov", "vice_municipal", leadership=True)
        b.people[-1]["term"] = [dt.date(2018, 1, 15), dt.date(2022, 12, 31)]
        if k == 0:
            b.past_trip(vm, (2018,))
            b.past_trip(vm, (2019,))
        elif k == 1:
            b.past_trip(vm, (2019,))
    b.past_trip(fa, (2019,))
    for uid, _ in CC_DEPARTMENTS[1:] + CC_DISTRICTS:
        district = uid in dict(CC_DISTRICTS)
        chief = b.person(
            uid, "bureau_chief", leadership=True, head_of_agency=True, district_official=district
        )
        deputy = b.person(uid, "bureau_deputy", leadership=True, district_official=district)
        for _ in range(rng.randint(2, 3)):
            b.person(uid, "division_chief")  # 处级: no quota of its own in 000 §1(二)
        for _ in range(rng.randint(2, 4)):
            b.person(uid, "staff")
        if rng.random() < 0.35:
            b.past_trip(chief, (2018, 2019))
        if rng.random() < 0.25:
            b.past_trip(deputy, (2019,))
    catalogue = [{"id": i, "title": t, "groups": g} for i, t, g in CC_CATALOGUE]
    units = [u for u, _ in CC_DEPARTMENTS[1:] + CC_DISTRICTS]
    for k in range(CHANGCHUN.requests):
        uid = units[k % len(units)] if k < 2 * len(units) else rng.choice(units)
        leaders = b.leaders[uid]
        staff = b.staff[uid]
        divisions = [
            p
            for p in staff
            if p.split("-")[-1]
            and next(x for x in b.people if x["id"] == p)["rank"] == "division_chief"
        ]
        roll = rng.random()
        head = rng.choice(leaders) if roll < 0.45 else rng.choice(divisions)
        if k % 17 == 3:
            head = rng.choice(b.leaders["gov"])  # a city leader leads the group
        members = [rng.choice([p for p in staff if p != head])]
        if rng.random() < 0.5:  # someone of a partner unit joins (a cross-unit group)
            partner = rng.choice([u for u in units if u != uid])
            members.append(rng.choice(b.staff[partner]))
        if k % 23 == 5:  # a leadership pair: breaks PERS-LEADERSHIP
            members = [m for m in leaders if m != head][:1] + members[:1]
        if k % 29 == 7:  # a district official in a municipal group
            other = rng.choice([u for u, _ in CC_DISTRICTS])
            members = [*members[:1], b.leaders[other][0]]
        n_countries = rng.choices((1, 2, 3), (40, 45, 15))[0]
        tasks = 2 if k % 31 == 11 else rng.choice((3, 3, 4))
        stops = b.stops(n_countries, (2, 4), tasks, list(CHANGCHUN.themes))
        if k % 37 == 13 and len(stops) == 1:  # a second continent: breaks GEO-ONE-CONTINENT
            stops.append(b.stops(1, (2, 3), 3, list(CHANGCHUN.themes))[0])
        req = _request(b, f"CC-{k + 1:03d}", uid, head, members, stops)
        req["cost"] = 25000 * (1 + len(members)) + 8000 * sum(s["days"] for s in stops)
        req["submitted"] = dt.date(2019, 9, 20) + dt.timedelta(rng.randint(0, 41))
        if k % 41 == 17:
            req["submitted"] = dt.date(2019, 11, rng.randint(2, 20))  # late: PLAN-DEADLINE
        if k % 43 == 19:
            req["invitation"] = {"from": "某中介机构", "kind": "intermediary"}  # INVITE-SOURCE
        if k % 47 == 23:
            del req["invitation"]  # INVITE-REQUIRED
        if k % 5 == 0:
            item = rng.choice(CC_CATALOGUE)
            req["catalogue"] = item[0]
            req["kind"] = "composite"
        b.requests.append(req)
    # a few groups competing for Germany in spring, as happens every year
    for k in range(4):
        uid = units[k]
        stops = b.stops(1, (3, 3), 3, ["investment", "industry"])
        stops[0]["country"] = "DE"
        req = _request(b, f"CC-DE{k + 1}", uid, b.leaders[uid][1], b.staff[uid][:1], stops)
        req["window"] = [dt.date(2020, 4, 1), dt.date(2020, 4, 12)]
        req["preferred_start"] = dt.date(2020, 4, 6)
        req["cost"] = 90000
        req["submitted"] = dt.date(2019, 10, 10)
        b.requests.append(req)
    # two units' groups to Japan in the same December week on the same theme: apart, only
    # one could go (GEO-SAME-COUNTRY); merged into one delegation (000 §2(二)), both go
    for k, uid in enumerate(units[5:7]):
        divisions = [p for p in b.staff[uid] if p.endswith(("-03", "-04"))]
        stops = b.stops(1, (3, 3), 3, ["science_education"])
        stops[0]["country"] = "JP"
        stops[0]["city"] = "Sendai"
        for n, task in enumerate(stops[0]["tasks"], start=1):
            task["text"] = f"工作任务 {n}（JP）"
        staff = [p for p in b.staff[uid] if p != divisions[0]]
        req = _request(b, f"CC-JP{k + 1}", uid, divisions[0], staff[-1:], stops)
        req["window"] = [dt.date(2020, 12, 14), dt.date(2020, 12, 19)]
        req["preferred_start"] = dt.date(2020, 12, 14)
        req["cost"] = 80000
        req["themes"] = ["science_education"]
        req["submitted"] = dt.date(2019, 10, 12)
        b.requests.append(req)
    data = b.scenario(
        deadline=dt.date(2019, 10, 31), last_year_total=9_000_000, catalogue=catalogue
    )
    data["exceptions"] = [
        {"request": "CC-018", "rule": "FREQ-RANK", "note": "经主要领导单独审批 (000 §1(二))"}
    ]
    return data


def ninhbinh(seed: int = 2021) -> dict[str, Any]:
    """About 50 requests from 15 agencies, shaped on the Ninh Bình plan (seed 002)."""
    b = _Builder(NINHBINH, seed)
    rng = b.rng
    for uid, name in NB_UNITS:
        level = (
            "district"
            if uid in ("hoa-lu", "gia-vien", "kim-son", "tp-ninh-binh", "tam-diep")
            else "province"
        )
        b.units.append({"id": uid, "name": name, "level": level})
    for uid, _ in NB_UNITS:
        head = b.person(uid, "key_leader", leadership=True, head_of_agency=True)
        deputy = b.person(uid, "key_leader", leadership=True)
        for _ in range(rng.randint(3, 8)):
            b.person(uid, "staff")
        if rng.random() < 0.4:
            b.past_trip(head, (2021,))
            b.history[-1]["start"] = dt.date(2021, 1, rng.randint(4, 20))
        del deputy
    for k in range(NINHBINH.requests):
        uid = NB_UNITS[k % len(NB_UNITS)][0]
        head = rng.choice(b.leaders[uid])
        staff = b.staff[uid]
        size = rng.randint(1, min(len(staff), 6))
        if k % 13 == 4:
            size = len(staff)  # a large group: may break PERS-SIZE
        members = rng.sample(staff, size)
        if k % 17 == 6:
            members = [x for x in b.leaders[uid] if x != head] + members[:2]
        n_countries = rng.choices((1, 2, 3, 4), (35, 40, 20, 5))[0]
        stops = b.stops(n_countries, (2, 3), rng.choice((2, 3, 4)), list(NINHBINH.themes))
        if k % 11 == 2:
            stops[0]["days"] = 5
            stops[0]["event"] = k % 22 == 2  # 5 days: fine only with a major event
        req = _request(b, f"NB-{k + 1:03d}", uid, head, members, stops, weeks=(4, 12))
        req["cost"] = 0
        req.pop("cost")
        if k % 9 == 5:
            req["invitation"] = {"from": "Công ty TNHH", "kind": "enterprise"}
        b.requests.append(req)
    return b.scenario()


def sichuan(seed: int = 2019) -> dict[str, Any]:
    """About 30 training requests from 14 units in systems, shaped on seed 001."""
    b = _Builder(SICHUAN, seed)
    rng = b.rng
    for uid, name, system in SC_UNITS:
        unit: dict[str, Any] = {
            "id": uid,
            "name": name,
            "level": "university" if "大学" in name else "province",
        }
        if system:
            unit["system"] = system
        if uid != "xh":  # 四川省科学技术协会 declares no outbound budget: may not apply
            unit["budget"] = rng.choice((400000, 600000, 900000))
        b.units.append(unit)
    for uid, _, _ in SC_UNITS:
        b.person(uid, "bureau_chief", leadership=True, head_of_agency=True)
        for _ in range(rng.randint(10, 22)):
            b.person(uid, "expert")
    by_system: dict[str | None, list[str]] = {}
    for uid, _, system in SC_UNITS:
        by_system.setdefault(system, []).append(uid)
    for k in range(SICHUAN.requests):
        uid, _, system = SC_UNITS[k % len(SC_UNITS)]
        head = b.staff[uid][0]
        pool = list(b.staff[uid][1:])
        partners = [u for u in by_system.get(system, []) if u != uid] if system else []
        if partners and k % 3 == 0:
            pool += b.staff[rng.choice(partners)][:6]
        if k % 10 == 7:  # trainees from another system: breaks PERS-DUAL
            other = rng.choice([u for u, _, s in SC_UNITS if s != system])
            pool += b.staff[other][:3]
        size = rng.randint(8, 19)
        if k % 9 == 4:
            size = 21  # over 20: breaks PERS-SIZE
        members = rng.sample(pool, min(size, len(pool)))
        days = rng.choice((14, 18, 21, 28, 30)) if k % 8 != 3 else 10  # 10: breaks TIME-TRAINING
        stops = b.stops(1, (days, days), 3, list(SICHUAN.themes))
        req = _request(
            b, f"SC-{k + 1:03d}", uid, head, members, stops, kind="training", weeks=(8, 20)
        )
        req["invitation"] = {"from": "境外培训机构", "kind": "institution"}
        req["cost"] = 9000 * (1 + len(members)) + 200 * days * (1 + len(members))
        req["themes"] = [rng.choice(("training_priority", "training_key", "ordinary"))]
        b.requests.append(req)
    return b.scenario()


#: about 80 countries on six continents, for synthetic scenarios of any size
WIDE_POOLS = {
    "Europe": [
        *CONTINENT_POOLS["Europe"],
        "IE",
        "NO",
        "RO",
        "BG",
        "HR",
        "SK",
        "SI",
        "RS",
        "LT",
        "LV",
        "EE",
        "UA",
    ],
    "Asia": [
        *CONTINENT_POOLS["Asia"],
        "PH",
        "PK",
        "BD",
        "LK",
        "NP",
        "UZ",
        "SA",
        "QA",
        "TR",
        "MM",
        "BN",
    ],
    "North America": [*CONTINENT_POOLS["North America"], "CU", "PA", "CR"],
    "South America": [*CONTINENT_POOLS["South America"], "CO", "UY", "EC"],
    "Africa": [*CONTINENT_POOLS["Africa"], "TZ", "GH", "DZ", "TN", "SN", "AO"],
    "Oceania": [*CONTINENT_POOLS["Oceania"], "PG", "WS"],
}


#: at most this many regions: every region needs a country of its own on every continent
MAX_REGIONS = min(len(pool) for pool in WIDE_POOLS.values())


def region_pools(regions: int) -> list[dict[str, list[str]]]:
    """The countries dealt out to ``regions`` regions, every continent in each."""
    return [
        {continent: pool[k::regions] for continent, pool in WIDE_POOLS.items()}
        for k in range(regions)
    ]


def synthetic(
    n: int, seed: int = 0, profile: str = "changchun-2020", regions: int = 1
) -> dict[str, Any]:
    """A scenario of ``n`` requests shaped like the Changchun plan, at any size.

    About ``n/10`` units and ``0.6 n`` people (two leaders and four staff a unit), about
    80 countries on six continents, windows of 2 to 10 weeks, 1 to 3 stops mostly on one
    continent, some history, and a few requests that break a rule on their own (late, no
    invitation, too few tasks, two continents). Deterministic for a seed.

    ``regions`` > 1 splits units and countries into that many regions (provinces whose
    units travel with each other's staff and to their own share of the countries): a
    scenario whose model falls into independent parts (``solver.parts``). One region gives
    the same scenario as before the option existed.
    """
    if not 1 <= regions <= MAX_REGIONS:
        raise ValueError(f"regions must be 1 to {MAX_REGIONS}")
    vietnamese = profile.startswith("ninhbinh")
    year = 2021 if vietnamese else 2020
    flavour = Flavour(
        profile,
        f"Synthetic plan of {n} requests ({profile}, seed {seed})",
        year,
        n,
        CHANGCHUN.continent_weights,
        CHANGCHUN.themes,
    )
    b = _Builder(flavour, seed)
    b.pools = WIDE_POOLS
    pools = region_pools(regions) if regions > 1 else [WIDE_POOLS]
    rng = b.rng
    leader_rank = ("key_leader", "key_leader") if vietnamese else ("bureau_chief", "bureau_deputy")
    units = [f"u{k + 1:04d}" for k in range(max(2 * regions, n // 10))]
    region_of = {uid: k % regions for k, uid in enumerate(units)}
    by_region = [[u for u in units if region_of[u] == r] for r in range(regions)]
    for uid in units:
        b.units.append(
            {
                "id": uid,
                "name": f"Unit {uid}",
                "level": "municipal",
                "budget": rng.choice((400000, 600000, 900000, 1200000)),
            }
        )
        chief = b.person(uid, leader_rank[0], leadership=True, head_of_agency=True)
        b.person(uid, leader_rank[1], leadership=True)
        for _ in range(4):
            b.person(uid, "staff")
        if rng.random() < 0.3:
            b.past_trip(chief, (year - 1,))
    for k in range(n):
        uid = rng.choice(units)
        region = by_region[region_of[uid]]
        head = rng.choice(b.leaders[uid]) if rng.random() < 0.5 else rng.choice(b.staff[uid])
        # at most two of one unit (PERS-UNIT-CAP); a partner unit's staff member at times
        members = rng.sample([p for p in b.staff[uid] if p != head], 1)
        if rng.random() < 0.02:  # a third of one unit: breaks PERS-UNIT-CAP
            members.append(rng.choice([p for p in b.staff[uid] if p not in (head, *members)]))
        elif rng.random() < 0.4:
            partner = rng.choice(region)
            extra = rng.choice(b.staff[partner])
            if extra not in members and extra != head:
                members.append(extra)
        n_countries = rng.choices((1, 2, 3), (45, 40, 15))[0]
        tasks = 2 if rng.random() < 0.02 else 3
        b.pools = pools[region_of[uid]]
        stops = b.stops(n_countries, (2, 4), tasks, list(flavour.themes))
        if rng.random() < 0.02 and len(stops) == 1:  # a second continent
            stops.append(b.stops(1, (2, 3), 3, list(flavour.themes))[0])
        req = _request(b, f"R-{k + 1:05d}", uid, head, members, stops, weeks=(2, 10))
        req["cost"] = 20000 * (1 + len(members)) + 6000 * sum(s["days"] for s in stops)
        req["submitted"] = dt.date(year - 1, 9, 20) + dt.timedelta(rng.randint(0, 40))
        if rng.random() < 0.02:
            req["submitted"] = dt.date(year - 1, 11, rng.randint(2, 20))
        if rng.random() < 0.02:
            del req["invitation"]
        b.requests.append(req)
    deadline = dt.date(year - 1, 10, 31)
    return b.scenario(deadline=deadline) if not vietnamese else b.scenario()


#: the profiles ``synthetic`` can shape a scenario on
PROFILES = ("changchun-2020", "ninhbinh-2021")

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's C dumper when built


def dump(data: dict[str, Any]) -> str:
    """YAML text of a scenario, keys in the order of INTERFACE.md §1."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def scenario_text(data: dict[str, Any], path: Path) -> str:
    """A scenario as JSON text when ``path`` ends in .json, else YAML."""
    if path.suffix.lower() == ".json":
        return json.dumps(data, ensure_ascii=False, indent=1, default=str)
    return dump(data)


def write_scenario(data: dict[str, Any], path: Path) -> None:
    """Write a scenario as YAML or JSON (by the suffix), whole or not at all."""
    write_atomic(path, scenario_text(data, path))


def write_bundled(folder: Path) -> None:
    for name, make in (
        ("changchun-2020", changchun),
        ("ninhbinh-2021", ninhbinh),
        ("sichuan-training-2020", sichuan),
    ):
        (folder / f"{name}.yaml").write_text(dump(make()), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    write_bundled(Path(__file__).resolve().parent.parent / "scenarios")
