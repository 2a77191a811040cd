from __future__ import annotations

import functools
import operator

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from backend.core.crypto.fields import (
    BlindIndexField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from backend.core.models import Role
from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q, reused
from backend.people.idcard import DocumentType

# Roles that see every person in their jurisdiction subtree.  Others see only the people whose team they are
# on (team members, police liaisons) or, for health workers, mental-health patients in their subtree.
OFFICE_ROLES = (Role.ADMIN, Role.COUNTY_OFFICER, Role.COUNTY_HEAD, Role.TOWNSHIP_OFFICER, Role.SUPERVISOR)


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"
    UNKNOWN = "unknown", "未知"


# The people a user reaches through their teams or grants are matched by a list of ids up to this many (an
# officer on a few dozen teams), and by a subquery beyond it (a police liaison on thousands).
INLINE_IDS_MAX = 500


def person_scope_q(user, via: str = "", of: Person | None = None) -> Q:
    """Who may open which file (docs/people.md, "Who sees whom"), for persons reached through ``via``.

    - office roles: their jurisdiction subtree;
    - health workers: mental-health patients in their subtree, and people they registered;
    - everyone: the people on whose active team they serve.
    Minors' and sealed files additionally need an active AccessGrant, whatever the role.

    Rows seen through their person (a case, its check-ins, an alert) pass ``via`` ("person__",
    "case__person__") and are filtered through a join to the person, not an EXISTS nested inside their
    own: every level of nesting cost Django milliseconds to build and compile on each query of a page
    (profiled in-process), against well under a millisecond of SQL.  The teams and grants are read once
    for the scope (``core.scoping.reused``), which is as old as the "now" a grant's expiry is compared with.

    With ``of``, the rows of that one person, whom ``visible_to(user, of=…)`` has shown to be in reach.
    """
    from backend.people.models.case import Case, CaseKind

    def field(name: str) -> str:
        return f"{via}{name}"

    if of is not None:
        return Q(**{field("pk"): of.pk})

    teams, grants = reused(user, "person_reach", lambda: _reach(user))
    subtree = jurisdiction_subtree_q(user, field("jurisdiction"))
    # An empty list of teams or grants adds no term: each term is built and compiled on every query.
    ways = [Q(**{field("pk__in"): teams})] if _some(teams) else []
    if user.has_role(*OFFICE_ROLES):
        ways.append(subtree)
    if user.has_role(Role.HEALTH_WORKER):
        mental = Case.objects.filter(kind=CaseKind.MENTAL_HEALTH).values("person_id")
        # …and the people they registered themselves, who have no mental-health case until they open one.
        ways.append(subtree & (Q(**{field("pk__in"): mental}) | Q(**{field("created_by"): user})))
    if not ways:
        return Q(pk__in=[])
    reach = functools.reduce(operator.or_, ways)
    unrestricted = Q(**{field("is_minor"): False, field("is_sealed"): False})
    if _some(grants):
        unrestricted |= Q(**{field("pk__in"): grants})
    return reach & unrestricted


def _some(ids) -> bool:
    """A non-empty list of ids, or a query (which ``_reach`` hands over only when it found many)."""
    return not isinstance(ids, list) or bool(ids)


def _reach(user) -> tuple:
    """The persons on whose active team ``user`` serves and those they hold an active grant for: ids, or
    the query itself when there are more than ``INLINE_IDS_MAX``.

    Every request of every signed-in user asks this, so both lists come in one statement written once
    (``_reach_sql``) instead of two querysets built and compiled each time (~1 ms, profiled)."""
    from backend.people.models.team import TeamMember

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_reach_sql(), [user.pk, INLINE_IDS_MAX + 1, user.pk, now, INLINE_IDS_MAX + 1])
        rows = cursor.fetchall()
    teams = [pk for source, pk in rows if source == "t"]
    grants = [pk for source, pk in rows if source == "g"]
    if len(teams) > INLINE_IDS_MAX:
        teams = TeamMember.objects.filter(user=user, left_at__isnull=True).values_list(
            "team__case__person_id", flat=True
        )
    if len(grants) > INLINE_IDS_MAX:
        grants = AccessGrant.objects.filter(
            user=user, expires_at__gt=timezone.now(), revoked_at__isnull=True
        ).values_list("person_id", flat=True)
    return teams, grants


@functools.cache
def _reach_sql() -> str:
    """Active team memberships' persons ("t") and unexpired, unrevoked grants' persons ("g"), each list
    cut at the limit it is passed (the same rows as the querysets ``_reach`` falls back to)."""
    from backend.people.models.case import Case
    from backend.people.models.team import Team, TeamMember

    q = connection.ops.quote_name
    member, team, case, grant = (q(m._meta.db_table) for m in (TeamMember, Team, Case, AccessGrant))
    return (
        f"SELECT 't', pid FROM (SELECT c.{q('person_id')} AS pid FROM {member} m"  # noqa: S608 (model names)
        f" JOIN {team} t ON t.{q('id')} = m.{q('team_id')} JOIN {case} c ON c.{q('id')} = t.{q('case_id')}"
        f" WHERE m.{q('user_id')} = %s AND m.{q('left_at')} IS NULL LIMIT %s) on_team"
        f" UNION ALL SELECT 'g', pid FROM (SELECT g.{q('person_id')} AS pid FROM {grant} g"
        f" WHERE g.{q('user_id')} = %s AND g.{q('expires_at')} > %s AND g.{q('revoked_at')} IS NULL"
        " LIMIT %s) granted"
    )


class PersonQuerySet(ScopedQuerySet):
    def scope_q(self, user, of: Person | None = None) -> Q:
        return person_scope_q(user, of=of)

    def in_subtree_of(self, user) -> PersonQuerySet:
        """Every person under the user's jurisdiction, restricted files included: only for granting access."""
        return self.filter(jurisdiction_subtree_q(user, "jurisdiction"))


class Person(models.Model):
    """A person the office supports or supervises (服务管理对象).  Their cases live in ``Case``."""

    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, related_name="persons")
    name = EncryptedTextField("姓名")
    name_index = BlindIndexField(source="name", domain="name")
    former_names = EncryptedJSONField("曾用名", default=list)
    id_type = models.CharField(
        "证件类型", max_length=24, choices=DocumentType.CHOICES, default=DocumentType.RESIDENT_ID
    )
    id_number = EncryptedTextField("证件号码")
    id_number_index = BlindIndexField(source="id_number", domain="id_number")
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = EncryptedDateField("出生日期", null=True, blank=True)
    ethnicity = models.CharField("民族", max_length=16, blank=True, default="")
    household_address = EncryptedTextField("户籍地", null=True, blank=True)
    residence_address = EncryptedTextField("居住地", null=True, blank=True)
    residence_point = EncryptedJSONField("居住地坐标（WGS-84）", null=True, blank=True)
    employer = EncryptedTextField("工作单位/学校", null=True, blank=True)
    is_minor = models.BooleanField("未成年人", default=False)
    is_sealed = models.BooleanField("犯罪记录封存", default=False)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        constraints = [
            # One file per identity: a second registration of the same ID number is a mistake.
            models.UniqueConstraint(fields=["id_number_index"], name="person_unique_identity")
        ]
        indexes = [
            # Used by list pages: scoped by jurisdiction, newest first / keyset on id.
            models.Index(fields=["jurisdiction", "id"], name="person_by_jurisdiction"),
        ]

    def __str__(self) -> str:
        return f"Person {self.pk}"

    @property
    def is_restricted(self) -> bool:
        return self.is_minor or self.is_sealed


class PersonPhone(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    number = EncryptedTextField("电话")
    number_index = BlindIndexField(source="number", domain="phone")
    label = models.CharField("说明", max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return f"PersonPhone {self.pk}"


class PersonContact(models.Model):
    """A guardian or emergency contact (监护人/紧急联系人)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    relation = models.CharField("关系", max_length=32)
    name = EncryptedTextField("姓名")
    phone = EncryptedTextField("电话", null=True, blank=True)
    is_guardian = models.BooleanField("监护人", default=False)

    def __str__(self) -> str:
        return f"PersonContact {self.pk}"


class AccessGrant(models.Model):
    """Explicit permission to open a minor's or sealed file (未成年人/封存档案查阅授权), time-limited and audited."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="person_grants")
    reason = EncryptedTextField("依据")
    granted_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+", null=True)
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "person"], name="grant_by_user_person")]

    def __str__(self) -> str:
        return f"AccessGrant {self.pk}"
