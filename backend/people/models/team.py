from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import EncryptedTextField
from backend.core.scoping import ScopedQuerySet
from backend.people.models.scope import person_scope_q


class TeamRole(models.TextChoices):
    LEADER = "leader", "组长"
    OFFICE_STAFF = "office_staff", "司法所工作人员"
    SOCIAL_WORKER = "social_worker", "社会工作者"
    VOLUNTEER = "volunteer", "志愿者"
    FAMILY = "family", "家庭成员"
    GUARDIAN = "guardian", "监护人"
    VILLAGE_CADRE = "village_cadre", "村（居）委会人员"
    GRID_WORKER = "grid_worker", "网格员"
    POLICE = "police", "民警"
    DOCTOR = "doctor", "精防医生"
    CIVIL_AFFAIRS = "civil_affairs", "民政干部"
    DISABLED_FEDERATION = "disabled_federation", "残联干部"
    EMPLOYER = "employer", "所在单位人员"
    SCHOOL = "school", "学校人员"


TEAM_NAMES = {"correction": "矫正小组", "aftercare": "帮教小组", "mental_health": "关爱帮扶小组"}


class TeamQuerySet(ScopedQuerySet):
    def scope_q(self, user, of=None) -> Q:
        return person_scope_q(user, "case__person__", of)  # a team is seen with its case


class Team(models.Model):
    """The support team of one case (矫正小组 / 帮教小组 / 关爱帮扶小组)."""

    case = models.OneToOneField("people.Case", on_delete=models.CASCADE, related_name="team")
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Team {self.pk}"

    @property
    def name(self) -> str:
        return TEAM_NAMES[self.case.kind]


class TeamMember(models.Model):
    """A member: a user of the system, or an outside contact whose name and phone are encrypted."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="team_memberships"
    )
    name = EncryptedTextField("姓名", null=True, blank=True)
    phone = EncryptedTextField("电话", null=True, blank=True)
    gender = models.CharField("性别", max_length=8, choices=[("male", "男"), ("female", "女")])
    role = models.CharField("职责", max_length=24, choices=TeamRole.choices)
    trained_for_minors = models.BooleanField("经未成年人工作培训", default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Used by Person.visible_to: "is this user on this person's team?"
        indexes = [models.Index(fields=["user", "team"], name="member_by_user")]

    def __str__(self) -> str:
        return f"TeamMember {self.pk}"
