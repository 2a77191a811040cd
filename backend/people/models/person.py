from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.crypto.fields import (
    BlindIndexField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q
from backend.people.idcard import DocumentType
from backend.people.models.scope import person_scope_q


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"
    UNKNOWN = "unknown", "未知"


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
