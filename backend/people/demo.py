"""About 60 synthetic persons across the three kinds, with teams and histories (``seed_demo``).

Everything goes through the actions, so the demo has the same audit trail a real office would.  Names are
"演示对象NN", ID numbers use the non-existent region 990102 (valid check characters), phones 139000xxxxx.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from backend.core.models import Jurisdiction, User
from backend.people.actions.cases import (
    add_emergency,
    add_placement,
    open_aftercare_case,
    open_correction_case,
    open_mental_health_case,
    record_mark,
)
from backend.people.actions.persons import PersonData, register_person
from backend.people.actions.teams import activate_team, add_member
from backend.people.actions.transitions import transition_case
from backend.people.idcard import check_character
from backend.people.models import Case, Person

DEMO_REGION = "990102"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"


def demo_id(index: int, birth: dt.date, female: bool) -> str:
    first17 = f"{DEMO_REGION}{birth:%Y%m%d}{(index * 2 + (0 if female else 1)) % 1000:03d}"
    return first17 + check_character(first17)


def _person(
    index: int, office: Jurisdiction, by: User, rng: random.Random, *, age: int | None = None
) -> Person:
    female = index % 4 == 0
    today = timezone.localdate()
    birth = dt.date(today.year - (age or rng.randint(20, 65)), rng.randint(1, 12), rng.randint(1, 28))
    lat, lon = 29.90 + rng.random() * 0.1, 120.10 + rng.random() * 0.1
    data = PersonData(
        name=f"{SURNAMES[index % len(SURNAMES)]}演示对象{index:02d}",
        id_number=demo_id(index, birth, female),
        ethnicity="汉族",
        household_address=f"演示省安和县{office.name}户籍路{index}号（虚构）",
        residence_address=f"演示省安和县{office.name}居住街{index}号（虚构）",
        residence_point={"lat": round(lat, 6), "lon": round(lon, 6)},
        employer=rng.choice(["演示制造厂（虚构）", "演示农业合作社（虚构）", "无业", "演示物流公司（虚构）"]),
        phones=[{"number": f"1390000{index:04d}", "label": "本人"}],
        contacts=[
            {
                "relation": "配偶" if index % 3 else "父亲",
                "name": f"演示家属{index:02d}",
                "phone": f"1391000{index:04d}",
                "is_guardian": index % 3 == 0,
            }
        ],
    )
    return register_person(by=by, jurisdiction=office, data=data)


def _team(case: Case, leader: User, person: Person, index: int) -> None:
    add_member(by=leader, team=case.team, role="leader", gender="male", user=leader)
    add_member(by=leader, team=case.team, role="social_worker", gender="female", name=f"演示社工{index:02d}",
               phone=f"1392000{index:04d}", trained_for_minors=person.is_minor)  # fmt: skip
    add_member(
        by=leader,
        team=case.team,
        role="family",
        gender="male",
        name=f"演示家属{index:02d}",
        phone=f"1391000{index:04d}",
    )
    activate_team(by=leader, team=case.team)


def seed(stdout) -> None:
    if Person.objects.filter(jurisdiction__code__startswith="99").exists():
        stdout.write("演示人员已存在，未做改动")
        return
    rng = random.Random(2026)  # the same demo every time
    offices = list(
        Jurisdiction.objects.filter(code__in=["990102001000", "990102002000", "990102003000"]).order_by(
            "code"
        )
    )
    officers = {
        o.pk: User.objects.get(username=u)
        for o, u in zip(offices, ["demo_officer_dc", "demo_officer_xc", "demo_county_officer"], strict=True)
    }
    doctor = User.objects.get(username="demo_health_worker")
    today = timezone.localdate()
    with transaction.atomic():
        for index in range(1, 61):
            office = offices[index % 3]
            officer = officers[office.pk]
            if index <= 25:
                _seed_correction(index, office, officer, rng, today)
            elif index <= 45:
                _seed_aftercare(index, office, officer, rng, today)
            else:
                _seed_mental_health(index, offices[0], doctor, officers[offices[0].pk], rng, today)
    stdout.write("演示人员 60 名（社区矫正 25、安置帮教 20、严重精神障碍 15），含小组与历史记录")


def _seed_correction(index: int, office, officer, rng: random.Random, today: dt.date) -> None:
    person = _person(index, office, officer, rng, age=16 if index == 7 else None)
    effective = (
        today - dt.timedelta(days=rng.randint(20, 300)) if index > 3 else today - dt.timedelta(days=index * 4)
    )
    case = open_correction_case(
        by=officer, person=person, sentence_type=rng.choice(["01", "02", "02", "03", "04"]),
        crime=rng.choice(["危险驾驶罪（演示）", "盗窃罪（演示）", "故意伤害罪（演示）", "诈骗罪（演示）"]),
        court="安和县人民法院（虚构）", judgment_effective_on=effective, term_start=effective,
        term_end=effective + dt.timedelta(days=rng.choice([180, 365, 730])),
        judgment={"number": f"（{effective.year}）演刑初字第{index}号"},
        prohibition_orders="禁止进入夜总会、酒吧等娱乐场所（演示）" if index % 5 == 0 else None,
    )  # fmt: skip
    if index <= 3:
        return  # 待报到: index 1 is already past its deadline (漏管 for the scheduler to catch)
    transition_case(
        by=officer, case=case, action="report", effective_on=effective + dt.timedelta(days=rng.randint(1, 9))
    )
    _team(case, officer, person, index)
    if (today - effective).days > 70:
        record_mark(by=officer, case=case, kind="category", value="normal", effective_on=effective + dt.timedelta(days=61),
                    reason="入矫两个月表现良好（演示）")  # fmt: skip
    case.refresh_from_db()
    if index % 8 == 0:
        transition_case(by=officer, case=case, action="start_leave", note="探亲（演示）")
    elif index == 9:
        transition_case(by=officer, case=case, action="report_lost_contact", note="电话无法接通（演示）")
    elif index == 10 and case.correction.term_end <= today:
        transition_case(by=officer, case=case, action="end_term", effective_on=case.correction.term_end)
        transition_case(by=officer, case=case, action="release", effective_on=case.correction.term_end)


def _seed_aftercare(index: int, office, officer, rng: random.Random, today: dt.date) -> None:
    person = _person(index, office, officer, rng)
    release = today - dt.timedelta(days=rng.randint(-20, 900))
    key = index % 5 == 0
    case = open_aftercare_case(
        by=officer, person=person, origin="prison_release", release_on=release, prison="演示监狱（虚构）",
        release_notice_on=release - dt.timedelta(days=30), key_person=key,
    )  # fmt: skip
    if release > today:
        return  # 待衔接: released later this month
    handover = (
        {"接收人": "演示司法所工作人员", "地点": "演示监狱大门（虚构）", "公安登记": True} if key else None
    )
    transition_case(by=officer, case=case, action="hand_over", effective_on=release, handover=handover)
    record_mark(by=officer, case=case, kind="aftercare_risk", value="high" if key else rng.choice(["medium", "low", "low"]),
                effective_on=release, reason="出监评估（演示）")  # fmt: skip
    add_placement(by=officer, case=case, kind=rng.choice(["job", "self_employed", "relief", "transitional_base"]),
                  start_on=release + dt.timedelta(days=rng.randint(5, 60)) if release + dt.timedelta(days=60) < today else release,
                  end_on=None, note="演示安置记录")  # fmt: skip
    _team(case, officer, person, index)


def _seed_mental_health(index: int, office, doctor, officer, rng: random.Random, today: dt.date) -> None:
    person = _person(index, office, doctor, rng)
    risk = [0, 0, 1, 1, 2, 2, 3, 4, 5, 0, 1, 0, 2, 3, 0][index - 46]
    case = open_mental_health_case(
        by=doctor, person=person, diagnosis=rng.choice(["schizophrenia", "bipolar", "delusional", "epilepsy"]),
        risk_level=risk, opened_on=today - dt.timedelta(days=rng.randint(30, 700)),
        treatment={"方式": "门诊随访（演示）"}, medication={"药物": "演示药物", "依从性": "规律服药"},
    )  # fmt: skip
    if risk >= 3:
        add_emergency(by=doctor, case=case, occurred_at=timezone.now() - dt.timedelta(days=rng.randint(2, 30)),
                      description="家中毁物，经劝说平息（演示）")  # fmt: skip
    add_member(by=doctor, team=case.team, role="leader", gender="male", user=officer)
    add_member(by=doctor, team=case.team, role="doctor", gender="female", user=doctor)
    add_member(by=doctor, team=case.team, role="guardian", gender="male", name=f"演示监护人{index:02d}")
    activate_team(by=doctor, team=case.team)
