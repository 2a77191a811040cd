"""Synthetic people for tests: region 990101 does not exist, names say 测试, ID numbers are valid by checksum."""

from __future__ import annotations

import datetime as dt
import itertools

from backend.core.models import Jurisdiction, User
from backend.people.actions.cases import open_aftercare_case, open_correction_case, open_mental_health_case
from backend.people.actions.persons import PersonData, register_person
from backend.people.idcard import check_character
from backend.people.models import Case, Person

_serial = itertools.count(1)


def make_id(birth: dt.date = dt.date(1990, 3, 7), *, female: bool = False, region: str = "990101") -> str:
    seq = next(_serial) % 500 * 2 + (0 if female else 1)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def person(
    by: User,
    jurisdiction: Jurisdiction,
    *,
    name: str = "测试对象",
    birth: dt.date = dt.date(1990, 3, 7),
    female: bool = False,
    **extra,
) -> Person:
    data = PersonData(name=name, id_number=make_id(birth, female=female), **extra)
    return register_person(by=by, jurisdiction=jurisdiction, data=data)


def correction(by: User, who: Person, **overrides) -> Case:
    today = dt.date.today()
    values = {
        "sentence_type": "02",
        "crime": "测试罪名",
        "court": "演示县人民法院",
        "judgment_effective_on": today - dt.timedelta(days=3),
        "term_start": today - dt.timedelta(days=3),
        "term_end": today + dt.timedelta(days=365),
        "judgment": {"number": "（2026）演刑初字第1号"},
        "prohibition_orders": "禁止进入娱乐场所（测试）",
        **overrides,
    }
    return open_correction_case(by=by, person=who, **values)


def aftercare(by: User, who: Person, **overrides) -> Case:
    values = {"origin": "prison_release", "release_on": dt.date.today(), "prison": "演示监狱", **overrides}
    return open_aftercare_case(by=by, person=who, **values)


def mental_health(by: User, who: Person, *, risk_level: int = 0, **overrides) -> Case:
    values = {
        "diagnosis": "schizophrenia",
        "opened_on": dt.date.today(),
        "medication": {"药": "测试药"},
        **overrides,
    }
    return open_mental_health_case(by=by, person=who, risk_level=risk_level, **values)
