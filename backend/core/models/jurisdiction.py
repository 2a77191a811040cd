from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q


class JurisdictionQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        return jurisdiction_subtree_q(user, "")

    def subtree(self, root: Jurisdiction) -> JurisdictionQuerySet:
        return self.filter(path__startswith=root.path)


class Jurisdiction(models.Model):
    """A node of the administrative tree (行政区划): province → city → county → township 司法所 → grid.

    ``code`` is the 12-digit statistical division code (统计用区划代码).  ``path`` is the chain of ids
    ("/1/4/9/") so a subtree is one indexed prefix query.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县（区）"
        TOWNSHIP = "township", "乡镇（街道）司法所"
        GRID = "grid", "村（社区）网格"

    DEPTH = {Level.PROVINCE: 0, Level.CITY: 1, Level.COUNTY: 2, Level.TOWNSHIP: 3, Level.GRID: 4}

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Used by visible_to(): every scoped query is a prefix match on this column.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = JurisdictionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs) -> None:
        # The path needs our own id, which exists only after the insert.  Moving a node is not offered:
        # it would have to rewrite every descendant's path in one transaction.
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        path = f"{parent_path}{self.pk}/"
        if path != self.path:
            self.path = path
            type(self).objects.filter(pk=self.pk).update(path=path)

    def clean(self) -> None:
        if not re.fullmatch(r"\d{12}", self.code or ""):
            raise ValidationError({"code": "区划代码应为 12 位数字"})
        if self.parent is None and self.level != self.Level.PROVINCE:
            raise ValidationError({"parent": "只有省级可以没有上级"})
        if (
            self.parent is not None
            and self.DEPTH[self.Level(self.level)] <= self.DEPTH[self.Level(self.parent.level)]
        ):
            raise ValidationError({"level": "下级的层级必须低于上级"})

    def contains(self, other: Jurisdiction | None) -> bool:
        return other is not None and other.path.startswith(self.path)

    def ancestors(self) -> list[Jurisdiction]:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        by_id = {j.pk: j for j in Jurisdiction.objects.filter(pk__in=ids)}
        return [by_id[i] for i in ids if i in by_id]
