"""Synthetic demo data: a county that does not exist, with obviously fake codes (99…) and names.

Idempotent: running it again changes nothing that is already there.  Other apps add their own
``demo.py`` with a ``seed(stdout)`` function; ``seed_demo`` calls them in INSTALLED_APPS order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.db import transaction

from backend.core.actions.directory import create_user
from backend.core.models import Jurisdiction, Role, User

DEMO_PASSWORD_ENV = "ANBANG_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "anbang-demo-2026"
PROVINCE_CODE = "990000000000"


def demo_password() -> str:
    return os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD


TREE = [
    ("990000000000", "演示省", Jurisdiction.Level.PROVINCE, None),
    ("990100000000", "演示市", Jurisdiction.Level.CITY, "990000000000"),
    ("990102000000", "安和县", Jurisdiction.Level.COUNTY, "990100000000"),
    ("990102001000", "东城司法所", Jurisdiction.Level.TOWNSHIP, "990102000000"),
    ("990102002000", "西城司法所", Jurisdiction.Level.TOWNSHIP, "990102000000"),
    ("990102003000", "南山司法所", Jurisdiction.Level.TOWNSHIP, "990102000000"),
    ("990102001001", "东城一社区（演示）", Jurisdiction.Level.GRID, "990102001000"),
    ("990102001002", "东城二社区（演示）", Jurisdiction.Level.GRID, "990102001000"),
    ("990102001003", "东城三社区（演示）", Jurisdiction.Level.GRID, "990102001000"),
    ("990102001004", "东城四社区（演示）", Jurisdiction.Level.GRID, "990102001000"),
    ("990102002001", "西城一社区（演示）", Jurisdiction.Level.GRID, "990102002000"),
    ("990102002002", "西城二社区（演示）", Jurisdiction.Level.GRID, "990102002000"),
    ("990102002003", "西城三社区（演示）", Jurisdiction.Level.GRID, "990102002000"),
    ("990102003001", "南山一村（演示）", Jurisdiction.Level.GRID, "990102003000"),
    ("990102003002", "南山二村（演示）", Jurisdiction.Level.GRID, "990102003000"),
    ("990102003003", "南山三村（演示）", Jurisdiction.Level.GRID, "990102003000"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: Role
    jurisdiction_code: str


LOGINS = [
    DemoLogin("demo_admin", "演示管理员", Role.ADMIN, "990102000000"),
    DemoLogin("demo_county_officer", "演示县矫正工作人员", Role.COUNTY_OFFICER, "990102000000"),
    DemoLogin("demo_county_head", "演示县司法局负责人", Role.COUNTY_HEAD, "990102000000"),
    DemoLogin("demo_officer_dc", "演示东城司法所工作人员", Role.TOWNSHIP_OFFICER, "990102001000"),
    DemoLogin("demo_officer_xc", "演示西城司法所工作人员", Role.TOWNSHIP_OFFICER, "990102002000"),
    DemoLogin("demo_supervisor", "演示监督管理人员", Role.SUPERVISOR, "990102000000"),
    DemoLogin("demo_team_member", "演示小组成员", Role.TEAM_MEMBER, "990102001001"),
    DemoLogin("demo_health_worker", "演示精防医生", Role.HEALTH_WORKER, "990102001000"),
    DemoLogin("demo_police", "演示公安联络员", Role.POLICE_LIAISON, "990102001000"),
]


def seed(stdout) -> None:
    with transaction.atomic():
        nodes: dict[str, Jurisdiction] = {}
        for code, name, level, parent_code in TREE:
            node = Jurisdiction.objects.filter(code=code).first()
            if node is None:
                node = Jurisdiction(code=code, name=name, level=level, parent=nodes.get(parent_code))
                node.save()
            nodes[code] = node
        created = 0
        for index, login in enumerate(LOGINS, start=1):
            if User.objects.filter(username=login.username).exists():
                continue
            create_user(
                by=None,
                username=login.username,
                password=demo_password(),
                display_name=login.display_name,
                jurisdiction=nodes[login.jurisdiction_code],
                roles=[login.role],
                mobile=f"1380000{index:04d}",
                email=f"{login.username}@anbang.example",
            )
            created += 1
    stdout.write(f"演示辖区 {len(TREE)} 个，新建演示账户 {created} 个")


def has_demo_data() -> bool:
    return Jurisdiction.objects.filter(code=PROVINCE_CODE).exists()


def login_table() -> str:
    lines = [f"  {login.username:<22} {login.role.label}（{login.display_name}）" for login in LOGINS]
    return "\n".join(lines) + f"\n  演示密码：{demo_password()}"
