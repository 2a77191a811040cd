from __future__ import annotations

import functools

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import connection, models
from django.db.models import Q

from backend.core.crypto.fields import BlindIndexField, EncryptedTextField
from backend.core.scoping import ScopedQuerySet, forget_scopes, jurisdiction_subtree_q


class Role(models.TextChoices):
    """What a member of staff or a partner may do (角色)."""

    ADMIN = "admin", "系统管理员"
    COUNTY_OFFICER = "county_officer", "县级社区矫正机构工作人员"
    COUNTY_HEAD = "county_head", "县级司法行政部门负责人"
    TOWNSHIP_OFFICER = "township_officer", "司法所工作人员"
    SUPERVISOR = "supervisor", "监督管理人员"
    TEAM_MEMBER = "team_member", "小组成员"
    HEALTH_WORKER = "health_worker", "精防医生/卫生人员"
    POLICE_LIAISON = "police_liaison", "公安联络员"


class UserQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        return jurisdiction_subtree_q(user, "jurisdiction")

    def with_role(self, role: Role) -> UserQuerySet:
        return self.filter(roles__role=role)


class StaffUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in: office staff and partners.  Their contact points are encrypted."""

    first_name = None
    last_name = None
    email = None
    display_name = models.CharField("姓名", max_length=64)
    jurisdiction = models.ForeignKey(
        "core.Jurisdiction", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    mobile = EncryptedTextField("手机号", null=True, blank=True)
    mobile_index = BlindIndexField(source="mobile", domain="phone")
    email_address = EncryptedTextField("电子邮箱", null=True, blank=True)
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    objects = StaffUserManager()

    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_codes(self) -> frozenset[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(_role_codes(self.pk)) if self.pk else frozenset()
            self._role_codes = cached
        return cached

    def has_role(self, *roles: Role | str) -> bool:
        return any(str(role) in self.role_codes for role in roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    def set_roles(self, roles: list[str]) -> None:
        self.roles.exclude(role__in=roles).delete()
        for role in roles:
            UserRole.objects.get_or_create(user=self, role=role)
        self._role_codes = frozenset(roles)
        forget_scopes(self)  # what this user sees is built from the roles


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_unique")]
        # Used by routing (notifications) to find who holds a role in a jurisdiction.
        indexes = [models.Index(fields=["role"], name="user_role_by_role")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


def _role_codes(user_id: int) -> list[str]:
    """A user's role codes, asked by every request: SQL written once, not a queryset built each time."""
    with connection.cursor() as cursor:
        cursor.execute(_roles_sql(), [user_id])
        return [code for (code,) in cursor.fetchall()]


@functools.cache
def _roles_sql() -> str:
    q, meta = connection.ops.quote_name, UserRole._meta
    role, user = (q(meta.get_field(name).column) for name in ("role", "user"))
    return f"SELECT {role} FROM {q(meta.db_table)} WHERE {user} = %s"  # noqa: S608 (the model's own names)
